"""A parsed config file turned into an :class:`~kling_tui.config.model.AppConfig`:
gateway tables, their secrets (file or environment), the poll table, the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kling_tui.config.errors import ConfigError
from kling_tui.config.keymap import read_keymap
from kling_tui.config.model import (
    CONCURRENCY_RANGE,
    DOWNLOAD_JOBS_RANGE,
    DOWNLOAD_MAX_BYTES_RANGE,
    HIDE_AFTER_RANGE,
    INTERVAL_RANGE,
    NOTIFY_ARG_CHARS,
    NOTIFY_ARGS_RANGE,
    NOTIFY_TIMEOUT_RANGE,
    RETRIES_RANGE,
    SLOTS_RANGE,
    TIMEOUT_RANGE,
    USER_ID_RANGE,
    AppConfig,
    DownloadConfig,
    GatewayConfig,
    NotifyConfig,
    PollConfig,
    ViewConfig,
)
from kling_tui.config.names import (
    _DOWNLOAD_KEYS,
    _GATEWAY_KEYS,
    _JWT_KEYS,
    _NOTIFY_KEYS,
    _POLL_KEYS,
    _TOKEN_KEYS,
    _TOP_KEYS,
    _VIEW_KEYS,
    ACCESS_KEY_ENV,
    ACCESS_TOKEN_ENV,
    ADHOC_GATEWAY,
    DEFAULT_THEME,
    EXTERNAL_ID_FORMS,
    NATIVE_PREFIX,
    RELAY_PREFIX,
    SECRET_KEY_ENV,
    TOKEN_ENV,
)
from kling_tui.config.reader import _Reader
from kling_tui.gateway.auth import Credential, CredentialError, JwtSigner, Secret, StaticToken


def _secret_from_env(env: Mapping[str, str], var: str) -> Secret | None:
    """The token in ``$var``, validated; ``None`` when unset or empty (not an error here)."""
    if not env.get(var):
        return None
    try:
        return Secret.from_raw(env[var], var)
    except CredentialError as exc:
        expected = _token_expectation(exc)
    # Raised outside the handler so the ConfigError has no __context__: the CredentialError's
    # traceback holds the raw value as a local of ``from_raw``.
    raise ConfigError(None, var, expected, where="environment variable")


def _token_expectation(exc: CredentialError) -> str:
    reason = str(exc).partition(": ")[2].partition(";")[0] or "unusable"
    return f"a token of printable ASCII without spaces or newlines ({reason})"


def _resolve_secret(
    reader: _Reader,
    env: Mapping[str, str],
    table: dict[str, Any],
    prefix: str,
    literal_key: str,
    env_key: str,
    default_var: str,
) -> tuple[Secret | None, str]:
    """One token or key, from the file or the environment; returns it and its hint.

    An explicit ``*_env`` variable that is set wins over a literal in the file (environment
    over file); the *default* variable only applies when the file gives no literal, so a
    stray ``KLING_API_KEY`` does not replace every gateway's own token.
    """
    explicit = env_key in table
    var = reader.env_name(table[env_key], prefix + env_key) if explicit else default_var
    literal = table.get(literal_key)
    if literal is None or explicit:
        secret = _secret_from_env(env, var)
        if secret is not None:
            return secret, var
    if literal is not None:
        key = prefix + literal_key
        hint = f"{literal_key} in {reader.file}"
        if not isinstance(literal, str):
            raise reader.error(key, "a string")
        try:
            return Secret.from_raw(literal, hint), hint
        except CredentialError as exc:
            expected = _token_expectation(exc)
        raise reader.error(key, expected)  # outside the handler: no __context__, see above
    return None, var


def _gateway(
    reader: _Reader, env: Mapping[str, str], name: str, table: dict[str, Any]
) -> GatewayConfig:
    """One ``[gateways.NAME]`` table. Which auth it uses follows from its keys: ``token`` /
    ``token_env`` (or nothing: ``$KLING_API_KEY``) for a relay, ``access_key*`` /
    ``secret_key*`` for the native API (JWT; its ``path_prefix`` then defaults to ``/v1``)."""
    prefix = f"gateways.{name}."
    reader.known_keys(table, _GATEWAY_KEYS, prefix)
    if "base_url" not in table:
        raise reader.error(prefix + "base_url", "an http(s) URL such as https://api.example.com")
    base_url = reader.base_url(table["base_url"], prefix + "base_url")
    uses_jwt = any(k in table for k in _JWT_KEYS)
    if uses_jwt and any(k in table for k in _TOKEN_KEYS):
        raise reader.error(
            f"gateways.{name}",
            "either token/token_env (relay) or access_key/secret_key (native JWT), not both",
        )
    credential, hint, default_prefix = _credential(reader, env, table, prefix, uses_jwt)
    path_prefix = (
        reader.path_prefix(table["path_prefix"], prefix + "path_prefix")
        if "path_prefix" in table
        else default_prefix
    )
    defaults = GatewayConfig(name, base_url, path_prefix, None)

    def num(key: str, default: float) -> float:
        if key not in table:
            return default
        return reader.number(table[key], prefix + key, TIMEOUT_RANGE, "seconds")

    def whole(key: str, default: int, bounds: tuple[int, int]) -> int:
        return reader.integer(table[key], prefix + key, bounds) if key in table else default

    task_log, log_token, log_hint = _task_log(reader, env, table, prefix)
    list_refresh = _list_refresh(reader, table, prefix, path_prefix)
    return GatewayConfig(
        name=name,
        base_url=base_url,
        path_prefix=path_prefix,
        credential=credential,
        list_refresh=list_refresh,
        timeout=num("timeout", defaults.timeout),
        connect_timeout=num("connect_timeout", defaults.connect_timeout),
        max_concurrency=whole("max_concurrency", defaults.max_concurrency, CONCURRENCY_RANGE),
        max_retries=whole("max_retries", defaults.max_retries, RETRIES_RANGE),
        concurrency_limit=whole("concurrency_limit", 0, SLOTS_RANGE) or None,
        auth_hint=hint,
        task_log=task_log,
        task_log_token=log_token,
        task_log_hint=log_hint,
        user_id=whole("user_id", 0, USER_ID_RANGE) or None,
        external_id=_external_id(reader, table, prefix, defaults.external_id),
    )


def _credential(
    reader: _Reader, env: Mapping[str, str], table: dict[str, Any], prefix: str, uses_jwt: bool
) -> tuple[Credential | None, str, str]:
    """The gateway's credential, the hint that names where it comes from, and the path
    prefix its kind of auth implies (native JWT: ``/v1``; relay token: ``/kling/v1``)."""
    credential: Credential | None
    if uses_jwt:
        ak, ak_hint = _resolve_secret(
            reader, env, table, prefix, "access_key", "access_key_env", ACCESS_KEY_ENV
        )
        sk, sk_hint = _resolve_secret(
            reader, env, table, prefix, "secret_key", "secret_key_env", SECRET_KEY_ENV
        )
        in_file = f" in {reader.file}"
        if ak_hint.endswith(in_file) and sk_hint.endswith(in_file):
            hint = f"access_key/secret_key{in_file}"
        else:
            hint = f"{ak_hint}/{sk_hint}"
        credential = JwtSigner(ak, sk, hint=hint) if ak is not None and sk is not None else None
        return credential, hint, NATIVE_PREFIX
    else:
        token, hint = _resolve_secret(reader, env, table, prefix, "token", "token_env", TOKEN_ENV)
        credential = StaticToken(token, hint=hint) if token is not None else None
        return credential, hint, RELAY_PREFIX


def _task_log(
    reader: _Reader, env: Mapping[str, str], table: dict[str, Any], prefix: str
) -> tuple[bool, StaticToken | None, str]:
    """``task_log`` and the relay access token it needs (``import`` reads the task log)."""
    task_log = (
        reader.boolean(table["task_log"], prefix + "task_log") if "task_log" in table else False
    )
    log_token, log_hint = None, ACCESS_TOKEN_ENV
    if task_log:
        secret, log_hint = _resolve_secret(
            reader, env, table, prefix, "access_token", "access_token_env", ACCESS_TOKEN_ENV
        )
        log_token = StaticToken(secret, hint=log_hint) if secret is not None else None
    return task_log, log_token, log_hint


def _list_refresh(
    reader: _Reader, table: dict[str, Any], prefix: str, path_prefix: str
) -> bool | None:
    """``list_refresh``: None (not set), False (off), True (only on a native gateway)."""
    list_refresh: bool | None = None
    if "list_refresh" in table:
        list_refresh = reader.boolean(table["list_refresh"], prefix + "list_refresh")
        if list_refresh and path_prefix != NATIVE_PREFIX:
            raise reader.error(
                prefix + "list_refresh",
                f"false, or left out, on a relay: list endpoints exist on the native API "
                f"(path_prefix {NATIVE_PREFIX}) only, and this gateway's path_prefix is "
                f"{path_prefix}",
                list_refresh,
            )
    return list_refresh


def _external_id(reader: _Reader, table: dict[str, Any], prefix: str, default: str) -> str:
    """``external_id = "path" | "query"``: anything else names both choices."""
    if "external_id" not in table:
        return default
    value = table["external_id"]
    if value not in EXTERNAL_ID_FORMS:
        raise reader.error(
            prefix + "external_id",
            '"path" (the id in place of the task id) or "query" (?external_task_id=ID)',
            value,
        )
    return value


def _poll(reader: _Reader, value: Any) -> PollConfig:
    table = reader.table(value, "poll")
    reader.known_keys(table, _POLL_KEYS, "poll.")
    defaults = PollConfig()
    interval = (
        reader.number(table["interval"], "poll.interval", INTERVAL_RANGE, "seconds")
        if "interval" in table
        else defaults.interval
    )
    max_interval = (
        reader.number(table["max_interval"], "poll.max_interval", INTERVAL_RANGE, "seconds")
        if "max_interval" in table
        else max(defaults.max_interval, interval)
    )
    if max_interval < interval:
        raise reader.error(
            "poll.max_interval",
            f"a number from poll.interval ({interval:g}) to {INTERVAL_RANGE[1]:g} (seconds)",
            max_interval,
        )
    bell = reader.boolean(table["bell"], "poll.bell") if "bell" in table else defaults.bell
    return PollConfig(interval=interval, max_interval=max_interval, bell=bell)


def _download(reader: _Reader, value: Any, base: Path) -> DownloadConfig:
    """``[download]``: each key in its documented range (README, "Downloads"); ``dir`` may
    start with ``~`` and is taken relative to the config file's folder when relative."""
    from kling_tui.downloads.names import TemplateError, check_template

    table = reader.table(value, "download")
    reader.known_keys(table, _DOWNLOAD_KEYS, "download.")
    d = DownloadConfig()
    folder = d.dir
    if "dir" in table:
        text = reader.string(table["dir"], "download.dir")
        if "\x00" in text or len(text) > 4096:
            raise reader.error("download.dir", "a folder path of at most 4096 characters")
        folder = Path(text).expanduser()
        if not folder.is_absolute():
            folder = base / folder
    name = d.name
    if "name" in table:
        try:
            name = check_template(reader.string(table["name"], "download.name"))
        except TemplateError as exc:
            raise reader.error("download.name", str(exc), table["name"]) from None

    def whole(key: str, default: int, bounds: tuple[int, int]) -> int:
        return reader.integer(table[key], "download." + key, bounds) if key in table else default

    auto = reader.boolean(table["auto"], "download.auto") if "auto" in table else d.auto
    return DownloadConfig(
        dir=folder,
        name=name,
        max_bytes=whole("max_bytes", d.max_bytes, DOWNLOAD_MAX_BYTES_RANGE),
        jobs=whole("jobs", d.jobs, DOWNLOAD_JOBS_RANGE),
        per_host=whole("per_host", d.per_host, DOWNLOAD_JOBS_RANGE),
        auto=auto,
    )


def _notify(reader: _Reader, value: Any) -> NotifyConfig:
    """``[notify]``: ``command`` is argv (a list of strings: no shell ever reads it), each
    item printable text; ``timeout`` and ``terminal`` as documented."""
    table = reader.table(value, "notify")
    reader.known_keys(table, _NOTIFY_KEYS, "notify.")
    defaults = NotifyConfig()
    command: tuple[str, ...] = ()
    if "command" in table:
        raw = table["command"]
        low, high = NOTIFY_ARGS_RANGE
        expected = (
            f'a list of {low} to {high} strings, the program first (["notify-send", "Kling"]), '
            f"each printable and at most {NOTIFY_ARG_CHARS} characters; never a shell string"
        )
        if (
            not isinstance(raw, list)
            or not low <= len(raw) <= high
            or not all(isinstance(a, str) and a.isprintable() for a in raw)
            or any(len(a) > NOTIFY_ARG_CHARS for a in raw)
            or not raw[0].strip()
        ):
            raise reader.error("notify.command", expected)
        command = tuple(raw)
    timeout = (
        reader.number(table["timeout"], "notify.timeout", NOTIFY_TIMEOUT_RANGE, "seconds")
        if "timeout" in table
        else defaults.timeout
    )
    terminal = (
        reader.boolean(table["terminal"], "notify.terminal")
        if "terminal" in table
        else defaults.terminal
    )
    return NotifyConfig(command=command, timeout=timeout, terminal=terminal)


def _view(reader: _Reader, value: Any) -> ViewConfig:
    table = reader.table(value, "view")
    reader.known_keys(table, _VIEW_KEYS, "view.")
    if "hide_finished_after" not in table:
        return ViewConfig()
    after = reader.number(
        table["hide_finished_after"], "view.hide_finished_after", HIDE_AFTER_RANGE, "seconds"
    )
    return ViewConfig(hide_finished_after=after)


def _from_data(path: Path, data: dict[str, Any], env: Mapping[str, str]) -> AppConfig:
    """Validate a parsed config file: the rules :func:`load_config` and :func:`add_gateway`
    share (no flag or environment override applied here)."""
    file = _Reader(path)
    file.known_keys(data, _TOP_KEYS, "")
    gateways: dict[str, GatewayConfig] = {}
    for name, table in file.table(data.get("gateways", {}), "gateways").items():
        file.name(name, f"gateways.{name}")
        gateways[name] = _gateway(file, env, name, file.table(table, f"gateways.{name}"))
    poll = _poll(file, data.get("poll", {}))
    download = _download(file, data.get("download", {}), path.parent)
    view = _view(file, data.get("view", {}))
    theme = file.string(data["theme"], "theme") if "theme" in data else DEFAULT_THEME
    if "default_gateway" in data:
        default = file.string(data["default_gateway"], "default_gateway")
        if default not in gateways:
            known = ", ".join(gateways) or "none configured"
            raise file.error("default_gateway", f"a gateway in this file ({known})", default)
    else:
        default = next(iter(gateways), ADHOC_GATEWAY)
    adhoc_credential = _secret_from_env(env, TOKEN_ENV)
    try:
        keymap = read_keymap(data.get("keys", {}))
    except TypeError as exc:
        raise file.error("keys", str(exc)) from None
    return AppConfig(
        notify=_notify(file, data.get("notify", {})),
        keys=keymap.keys,
        key_problems=keymap.problems,
        gateways=gateways,
        default_gateway=default,
        poll=poll,
        view=view,
        theme=theme,
        path=path,
        download=download,
        adhoc_credential=StaticToken(adhoc_credential, hint=TOKEN_ENV)
        if adhoc_credential is not None
        else None,
    )
