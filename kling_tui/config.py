"""Operator configuration: gateways, polling, theme. Read once, validated fully, no surprises.

Sources, strongest first: command-line flags, then environment variables, then the TOML file
(``--config``, else ``$KLING_TUI_CONFIG``, else ``<user config dir>/kling-tui/config.toml``).
See :func:`load_config` for the file's shape and the exact rules.

Every problem becomes one :class:`ConfigError` that names the file (or "environment" /
"command line"), the key and what was expected, because a person fixes it by hand. Errors and
reprs never contain a token: tokens become :class:`~kling_tui.gateway.auth.Secret` the
moment they are read, and a file that holds one must not be readable by group or other.

This module has no Textual import and does no network I/O.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs
import tomli_w

from kling_tui.gateway.auth import Credential, CredentialError, JwtSigner, Secret, StaticToken
from kling_tui.gateway.sanitize import clean_text
from kling_tui.gateway.urls import UrlRuleError, check_base_url, check_path_prefix
from kling_tui.store.atomic import atomic_write
from kling_tui.store.safe_read import (
    FileRefused,
    MiB,
    access_problem,
    describe_size,
    loads_toml,
    read_regular,
)

__all__ = [
    "ADHOC_GATEWAY",
    "AppConfig",
    "ConfigError",
    "GatewayConfig",
    "GatewaySetup",
    "NoGatewayError",
    "PollConfig",
    "SetupResult",
    "add_gateway",
    "check_gateway_setup",
    "config_path",
    "load_config",
    "remember_theme",
]

CONFIG_ENV = "KLING_TUI_CONFIG"
GATEWAY_ENV = "KLING_TUI_GATEWAY"
BASE_URL_ENV = "KLING_TUI_BASE_URL"
TOKEN_ENV = "KLING_API_KEY"
ACCESS_KEY_ENV = "KLING_ACCESS_KEY"
SECRET_KEY_ENV = "KLING_SECRET_KEY"

ADHOC_GATEWAY = "default"
"""Name of the gateway made from ``--base-url`` when no gateway is named explicitly."""

RELAY_PREFIX = "/kling/v1"
NATIVE_PREFIX = "/v1"
DEFAULT_THEME = "kling-dark"

_NO_VALUE: Any = object()
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOML_LINE_RE = re.compile(r"\(at line (\d+), column \d+\)")

SHOWN_PREFIX = 4
"""A string value in an error shows at most its first 4 characters and its length: the
operator recognises their typo, and a token pasted into the wrong key is not repeated."""

# Every numeric setting and its accepted range (inclusive), checked at load. Documented in
# README.md ("Configuration"); poll.max_interval must also be at least poll.interval.
INTERVAL_RANGE = (1.0, 3600.0)
"""poll.interval, poll.max_interval (seconds): faster than 1 s only hammers the gateway."""
TIMEOUT_RANGE = (1.0, 600.0)
"""gateways.*.timeout and connect_timeout (seconds)."""
CONCURRENCY_RANGE = (1, 64)
"""gateways.*.max_concurrency (requests in flight per gateway)."""
RETRIES_RANGE = (0, 10)
"""gateways.*.max_retries (retries of one query; each backs off up to 4 s)."""

_TOP_KEYS = ("default_gateway", "theme", "gateways", "poll")
_POLL_KEYS = ("interval", "max_interval", "bell")
_TOKEN_KEYS = ("token", "token_env")
_JWT_KEYS = ("access_key", "secret_key", "access_key_env", "secret_key_env")
_SECRET_KEYS = ("token", "access_key", "secret_key")
_GATEWAY_KEYS = (
    "base_url",
    "path_prefix",
    *_TOKEN_KEYS,
    *_JWT_KEYS,
    "timeout",
    "connect_timeout",
    "max_concurrency",
    "max_retries",
)


# -- errors ---------------------------------------------------------------------------------


class ConfigError(Exception):
    """The configuration cannot be used. ``str()`` tells the operator what to fix where.

    ``file`` is the config file (``None`` for environment / command-line problems, then
    ``where`` says which), ``key`` the dotted key or variable / flag name (``None`` for
    whole-file problems), ``expected`` what would be accepted, ``got`` the offending value
    (omitted for anything that could be a secret), ``line`` the TOML line when known.
    """

    def __init__(
        self,
        file: Path | None,
        key: str | None,
        expected: str,
        got: Any = _NO_VALUE,
        *,
        where: str | None = None,
        line: int | None = None,
    ) -> None:
        self.file = file
        self.key = key
        self.expected = expected
        self.got = None if got is _NO_VALUE else got
        self._has_got = got is not _NO_VALUE
        self.where = where
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.file is not None:
            parts = [f"config {self.file}"]
        else:
            parts = [self.where or "configuration"]
        if self.key:
            parts.append(self.key)
        text = ": ".join(parts) + f": expected {self.expected}"
        if self._has_got:
            text += f", got {_shown(self.got)}"
        # names and keys come from the file or the command line: one line, no escapes
        return clean_text(text, 2000)

    def __reduce__(self) -> tuple[Any, ...]:
        got = self.got if self._has_got else _NO_VALUE
        return (_rebuild_error, (self.file, self.key, self.expected, got, self.where, self.line))


def _shown(value: Any) -> str:
    """An offending value, as far as it cannot be a secret.

    Numbers and booleans in full; a string as its first :data:`SHOWN_PREFIX` characters
    and its length (``'sk-a…' (51 characters)``): a token pasted into ``token_env``,
    ``default_gateway`` or ``timeout`` must not be printed back. Tables and arrays by kind.
    """
    if isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str):
        if len(value) <= SHOWN_PREFIX:
            return repr(value)
        return f"{value[:SHOWN_PREFIX] + '…'!r} ({len(value)} characters)"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    return f"a {type(value).__name__}"


class NoGatewayError(ConfigError):
    """No gateway at all, and the operator named none: say how to go on, not which name
    was missing (it was ``"default"``, a name the operator never typed)."""

    def __init__(self, file: Path | None) -> None:
        self.exists = file is not None and file.exists()
        super().__init__(file, "gateway", "a configured gateway")

    def __str__(self) -> str:
        if self.file is None:
            where = "no config file is in use"
        elif self.exists:
            where = f"the config file {self.file} has no [gateways.NAME] table"
        else:
            where = f"no config file at {self.file}"
        text = (
            f"no gateway is configured ({where}). Either pass --base-url URL with the token "
            f"in ${TOKEN_ENV}, or add a [gateways.NAME] table to "
            f"{self.file or 'the config file'} (see the README, section Configuration), "
            "or try it without an account: kling-tui --demo"
        )
        return clean_text(text, 2000)  # the path comes from a flag or the environment

    def __reduce__(self) -> tuple[Any, ...]:
        return (NoGatewayError, (self.file,))


def _rebuild_error(
    file: Path | None, key: str | None, expected: str, got: Any, where: str | None, line: int | None
) -> ConfigError:
    return ConfigError(file, key, expected, got, where=where, line=line)


# -- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GatewayConfig:
    """One gateway: where it is, how to authenticate, how hard to push it.

    ``credential`` is ``None`` when the token's variable is not set: that is not a load error
    (``ls`` or ``rm`` need no token); the fetcher reports "no token: set <credential_hint>".
    ``auth_hint`` is the source to name in that case (the variable(s) that would hold it).
    Constructing one directly does no validation: :func:`load_config` validates file input.
    """

    name: str
    base_url: str
    path_prefix: str
    credential: Credential | None
    timeout: float = 15.0
    connect_timeout: float = 5.0
    max_concurrency: int = 8
    max_retries: int = 3
    auth_hint: str = TOKEN_ENV

    @property
    def origin(self) -> str:
        """``scheme://host[:port]``: what messages show. Never a path or userinfo."""
        parts = urlsplit(self.base_url)
        host = parts.netloc.rpartition("@")[2]
        return f"{parts.scheme.lower()}://{host.lower()}"

    @property
    def credential_hint(self) -> str:
        """Where the operator should look when authentication fails or no token is set."""
        return self.credential.hint if self.credential is not None else self.auth_hint


@dataclass(frozen=True)
class PollConfig:
    """How often unfinished tasks are polled (the poller backs off up to ``max_interval``)."""

    interval: float = 5.0
    max_interval: float = 60.0
    bell: bool = False


@dataclass
class AppConfig:
    """Everything loaded. ``path`` is the config file (possibly not yet existing, at the
    default location) so the theme choice can be remembered; ``None`` for built configs.

    ``adhoc_credential`` is the ``KLING_API_KEY`` token (or ``None``), used for gateways made
    from a bare base URL: see :meth:`adhoc_gateway`. ``theme`` ``None`` means the app default.
    """

    gateways: dict[str, GatewayConfig]
    default_gateway: str
    poll: PollConfig = field(default_factory=PollConfig)
    theme: str | None = DEFAULT_THEME
    path: Path | None = None
    adhoc_credential: Credential | None = None

    def gateway(self, name: str | None = None) -> GatewayConfig:
        """The named gateway, or the default one; unknown names list the known ones."""
        wanted = self.default_gateway if name is None else name
        found = self.gateways.get(wanted)
        if found is not None:
            return found
        if not self.gateways:
            if name is None:
                raise NoGatewayError(self.path)
            expected = (
                "a configured gateway; none is: pass --base-url URL (token in "
                f"{TOKEN_ENV}) or add a [gateways.NAME] table"
                + (f" to {self.path}" if self.path else "")
            )
        else:
            expected = "one of: " + ", ".join(sorted(self.gateways))
        raise ConfigError(self.path, "gateway", expected, wanted)

    def adhoc_gateway(
        self, name: str, base_url: str, path_prefix: str | None = None
    ) -> GatewayConfig:
        """A gateway at an explicit base URL (``--base-url``, or a watch entry that kept one).

        A configured gateway of that ``name`` keeps its credential and limits and only moves to
        ``base_url`` (and ``path_prefix`` when given): the operator named it. Any other name
        gets ``KLING_API_KEY`` (:attr:`adhoc_credential`) and the relay prefix: a credential
        configured for one gateway is never sent to another host implicitly.
        """
        known = self.gateways.get(name)
        if known is not None:
            return replace(known, base_url=base_url, path_prefix=path_prefix or known.path_prefix)
        return GatewayConfig(
            name=name,
            base_url=base_url,
            path_prefix=path_prefix or RELAY_PREFIX,
            credential=self.adhoc_credential,
            auth_hint=TOKEN_ENV,
        )


# -- paths ----------------------------------------------------------------------------------


def default_config_path() -> Path:
    """``<user config dir>/kling-tui/config.toml`` (``$XDG_CONFIG_HOME`` on Linux)."""
    return platformdirs.user_config_path("kling-tui") / "config.toml"


def config_path(flag: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    """The config file: ``--config``, then ``$KLING_TUI_CONFIG``, then the platform default.

    Empty values count as unset so ``KLING_TUI_CONFIG= cmd`` falls through to the default.
    """
    if flag is not None and os.fspath(flag):
        return Path(flag).expanduser()
    value = env.get(CONFIG_ENV)
    if value:
        return Path(value).expanduser()
    return default_config_path()


# -- reading --------------------------------------------------------------------------------


MAX_CONFIG_BYTES = 1 * MiB
"""A config is a few hundred bytes; anything near this is not a config (or is /dev/zero)."""


def _read_file(path: Path, named_by: str | None) -> tuple[dict[str, Any], os.stat_result | None]:
    """Parse the file; return the data and the ``fstat`` of what was read (``None``: absent).

    A missing file at the default location is an empty config; a missing file the operator
    named (``named_by``) is an error, because a typo there would otherwise silently drop all
    their settings. Only a regular file of at most 1 MiB is read (a FIFO would block, a
    device never end): see :func:`~kling_tui.store.safe_read.read_regular`.
    """
    try:
        raw, st = read_regular(path, limit=MAX_CONFIG_BYTES)
    except FileNotFoundError:
        if named_by is None:
            return {}, None
        raise ConfigError(path, None, f"an existing file (named by {named_by})") from None
    except FileRefused as exc:
        what = f"a file of at most {describe_size(MAX_CONFIG_BYTES)}"
        what = what if exc.too_large else "a regular file"
        raise ConfigError(path, None, f"{what} ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(path, None, f"a readable file ({exc.strerror or exc})") from None
    try:
        data = loads_toml(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(path, None, f"UTF-8 text (bad byte at offset {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE_RE.search(str(exc))
        line = int(match.group(1)) if match else None
        raise ConfigError(path, None, f"valid TOML: {exc}", line=line) from None
    return data, st


def _check_private(path: Path, st: os.stat_result | None, data: dict[str, Any]) -> None:
    """Refuse a file others can write (it decides where tokens are sent), and a file others
    can read when it holds a token or key: :func:`~kling_tui.store.safe_read.access_problem`."""
    if st is None:
        return
    problem = access_problem(path, st)
    if problem is not None:
        raise ConfigError(
            path,
            None,
            f"a file only its owner can change, since it says where tokens go ({problem})",
        )
    gateways = data.get("gateways")
    if not isinstance(gateways, dict):
        return
    for name, table in gateways.items():
        if not isinstance(table, dict):
            continue
        for key in _SECRET_KEYS:
            if key in table and (problem := access_problem(path, st, secret=True)) is not None:
                raise ConfigError(
                    path,
                    f"gateways.{name}.{key}",
                    f"a file only its owner can read, since it holds a secret ({problem})",
                )


class _Reader:
    """Validation helpers bound to one source (file, environment or command line)."""

    def __init__(self, file: Path | None, where: str | None = None) -> None:
        self.file = file
        self.where = where

    def error(self, key: str | None, expected: str, got: Any = _NO_VALUE) -> ConfigError:
        return ConfigError(self.file, key, expected, got, where=self.where)

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(key, "a table", value)
        return value

    def known_keys(self, table: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        """Typo protection: an unknown key is an error, with the closest known key."""
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.error(
                    f"{prefix}{key}", f"a known key{hint}; known: {', '.join(allowed)}"
                )

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "a non-empty string", value)
        return value.strip()

    def name(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
            raise self.error(
                key, "a gateway name (letters, digits, '_', '.', '-'; at most 64)", value
            )
        return value

    def env_name(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not _ENV_NAME_RE.fullmatch(value):
            raise self.error(key, "an environment variable name such as KLING_API_KEY", value)
        return value

    def number(self, value: Any, key: str, bounds: tuple[float, float], unit: str) -> float:
        """A finite number within ``bounds`` (inclusive); bools are refused (TOML ``true``
        is not 1). The message gives the range, so the operator need not look it up."""
        low, high = bounds
        # The range test comes first: it is exact for an int of any size, while
        # ``math.isfinite`` raises OverflowError on one no float holds (``timeout = 1e400``
        # written as 401 digits); NaN fails the range test too.
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
            or not math.isfinite(value)
        ):
            raise self.error(key, f"a number from {low:g} to {high:g} ({unit})", value)
        return float(value)

    def integer(self, value: Any, key: str, bounds: tuple[int, int]) -> int:
        low, high = bounds
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(key, f"a whole number from {low} to {high}", value)
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, "true or false", value)
        return value

    def base_url(self, value: Any, key: str) -> str:
        """``http(s)://host[:port]`` with nothing else:
        :func:`~kling_tui.gateway.urls.check_base_url`, the rule the watch list's ``base_url``
        follows too. Userinfo is not echoed."""
        try:
            return check_base_url(value)
        except UrlRuleError as exc:
            raise (
                self.error(key, exc.expected, value) if exc.echo else self.error(key, exc.expected)
            ) from None

    def path_prefix(self, value: Any, key: str) -> str:
        """A URL path starting with ``/`` (``/kling/v1``, ``/v1``); ``/`` alone means none:
        :func:`~kling_tui.gateway.urls.check_path_prefix`, shared with the watch list."""
        try:
            return check_path_prefix(value)
        except UrlRuleError as exc:
            raise self.error(key, exc.expected, value) from None


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
        default_prefix = NATIVE_PREFIX
    else:
        token, hint = _resolve_secret(reader, env, table, prefix, "token", "token_env", TOKEN_ENV)
        credential = StaticToken(token, hint=hint) if token is not None else None
        default_prefix = RELAY_PREFIX
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

    return GatewayConfig(
        name=name,
        base_url=base_url,
        path_prefix=path_prefix,
        credential=credential,
        timeout=num("timeout", defaults.timeout),
        connect_timeout=num("connect_timeout", defaults.connect_timeout),
        max_concurrency=whole("max_concurrency", defaults.max_concurrency, CONCURRENCY_RANGE),
        max_retries=whole("max_retries", defaults.max_retries, RETRIES_RANGE),
        auth_hint=hint,
    )


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
    theme = file.string(data["theme"], "theme") if "theme" in data else DEFAULT_THEME
    if "default_gateway" in data:
        default = file.string(data["default_gateway"], "default_gateway")
        if default not in gateways:
            known = ", ".join(gateways) or "none configured"
            raise file.error("default_gateway", f"a gateway in this file ({known})", default)
    else:
        default = next(iter(gateways), ADHOC_GATEWAY)
    adhoc_credential = _secret_from_env(env, TOKEN_ENV)
    return AppConfig(
        gateways=gateways,
        default_gateway=default,
        poll=poll,
        theme=theme,
        path=path,
        adhoc_credential=StaticToken(adhoc_credential, hint=TOKEN_ENV)
        if adhoc_credential is not None
        else None,
    )


def load_config(
    *,
    config_flag: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    gateway: str | None = None,
    base_url: str | None = None,
    path_prefix: str | None = None,
) -> AppConfig:
    """Load and validate the configuration; raise :class:`ConfigError` on any problem.

    File shape::

        default_gateway = "relay"        # else the first gateway in the file
        theme = "kling-dark"
        [gateways.relay]
        base_url = "https://api.chainhub.tech"   # scheme://host[:port], nothing more
        path_prefix = "/kling/v1"                # default; "/v1" for a JWT gateway
        token_env = "KLING_API_KEY"              # default when no other auth is given
        # token = "sk-..."                       # the file must then be chmod 600
        timeout = 15.0                           # 1-600 s; also connect_timeout (1-600 s),
                                                 # max_concurrency (1-64), max_retries (0-10)
        [gateways.kling]
        base_url = "https://api.klingai.com"
        access_key_env = "KLING_ACCESS_KEY"      # or access_key = "..." (chmod 600)
        secret_key_env = "KLING_SECRET_KEY"      # or secret_key = "..." (chmod 600)
        [poll]
        interval = 5.0                           # 1-3600 s
        max_interval = 60.0                      # poll.interval-3600 s
        bell = false

    Every numeric setting is checked against its range (the ``*_RANGE`` constants): a poll
    interval of 1e-6 s would flood the gateway, a million retries never return.

    Precedence: flags (``gateway``, ``base_url``, ``path_prefix``) over the environment
    (``KLING_TUI_GATEWAY``, ``KLING_TUI_BASE_URL``) over the file. Unknown keys are errors
    (typo protection). A token variable that is not set is *not* an error: the gateway gets
    ``credential=None`` and the fetcher reports "no token: set VAR"; a malformed one is.

    Base URL override (``--base-url`` / ``KLING_TUI_BASE_URL``): the gateway it applies to is
    the one named by ``--gateway`` / ``KLING_TUI_GATEWAY``, else ``"default"``
    (:data:`ADHOC_GATEWAY`), and it becomes ``default_gateway``. If that name is configured,
    the gateway keeps its credential and limits and only its ``base_url`` (and ``path_prefix``
    when given) changes; otherwise it is added with ``$KLING_API_KEY`` and ``path_prefix``
    defaulting to ``/kling/v1``. So without any file, ``--base-url URL`` + ``KLING_API_KEY``
    suffice, and a token from the file is never sent to a new host unless the operator names
    its gateway. ``--path-prefix`` alone changes the selected gateway's prefix.
    """
    env = os.environ if env is None else env
    path = config_path(config_flag, env)
    if config_flag is not None and os.fspath(config_flag):
        named_by: str | None = "--config"
    else:
        named_by = CONFIG_ENV if env.get(CONFIG_ENV) else None
    data, st = _read_file(path, named_by)
    _check_private(path, st, data)
    config = _from_data(path, data, env)
    gateways = config.gateways

    cli = _Reader(None, "command line")
    environment = _Reader(None, "environment variable")
    selected: str | None = None
    named_key, named_reader = "--gateway", cli
    if gateway:
        selected = cli.name(gateway, "--gateway")
        named_key, named_reader = "--gateway", cli
    elif env.get(GATEWAY_ENV):
        selected = environment.name(env[GATEWAY_ENV], GATEWAY_ENV)
        named_key, named_reader = GATEWAY_ENV, environment
    prefix = cli.path_prefix(path_prefix, "--path-prefix") if path_prefix else None

    url: str | None = None
    if base_url:
        url = cli.base_url(base_url, "--base-url")
    elif env.get(BASE_URL_ENV):
        url = environment.base_url(env[BASE_URL_ENV], BASE_URL_ENV)

    if url is not None:
        target = selected or ADHOC_GATEWAY
        gateways[target] = config.adhoc_gateway(target, url, prefix)
        config.default_gateway = target
        return config
    if selected is not None:
        if selected not in gateways:
            known = ", ".join(gateways) or "none configured (pass --base-url)"
            raise named_reader.error(named_key, f"a configured gateway: {known}", selected)
        config.default_gateway = selected
    if prefix is not None and config.default_gateway in gateways:
        gateways[config.default_gateway] = replace(
            gateways[config.default_gateway], path_prefix=prefix
        )
    return config


# -- writing --------------------------------------------------------------------------------

_TABLE_LINE_RE = re.compile(r"\s*\[")
_THEME_LINE_RE = re.compile(r"""\s*(theme|"theme"|'theme')\s*=""")


def _with_theme(text: str, theme: str) -> str:
    """``text`` with its top-level ``theme`` line replaced or inserted, comments kept.

    A plain TOML rewrite would drop the operator's comments; so edit the one line, and let
    the caller verify the result parses to exactly the intended data.
    """
    new_line = tomli_w.dumps({"theme": theme})
    lines = text.splitlines(keepends=True)
    first_table = next((i for i, ln in enumerate(lines) if _TABLE_LINE_RE.match(ln)), len(lines))
    for i in range(first_table):
        if _THEME_LINE_RE.match(lines[i]):
            lines[i] = new_line
            return "".join(lines)
    at = first_table
    while at > 0 and lines[at - 1].lstrip().startswith("#"):  # the table's own comment
        at -= 1
    while at > 0 and not lines[at - 1].strip():
        at -= 1
    if at > 0 and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    follows = at < len(lines) and lines[at].strip()
    lines[at:at] = [new_line, "\n"] if follows else [new_line]
    return "".join(lines)


def _write_edit(path: Path, edited: str, wanted: dict[str, Any]) -> None:
    """Write ``edited`` (the file's own text with one change made in place, so comments
    stay) if it parses to exactly ``wanted``; otherwise the plain dump of ``wanted``.
    One atomic replace either way; an unwritable file is a ``ConfigError``, left as it was."""
    try:
        ok = loads_toml(edited) == wanted
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        edited = tomli_w.dumps(wanted)
    try:
        atomic_write(path, edited.encode("utf-8"))
    except OSError as exc:
        raise ConfigError(
            path, None, f"a writable file ({exc.strerror or exc}); it is unchanged"
        ) from None


def remember_theme(path: Path, theme: str) -> None:
    """Persist the chosen theme in the config file, keeping everything else as it was.

    A file that does not parse is left untouched (``ConfigError``): overwriting it would
    destroy the operator's settings. The line is edited in place so comments survive; if the
    edit does not parse back to exactly the old data plus the theme, the file is rewritten
    from the parsed data instead (correct, but without comments).
    """
    if not isinstance(theme, str) or not _NAME_RE.fullmatch(theme):
        raise ConfigError(path, "theme", "a theme name (letters, digits, '_', '.', '-')", theme)
    path = Path(path)
    try:
        text = read_regular(path, limit=MAX_CONFIG_BYTES)[0].decode("utf-8")
    except FileNotFoundError:
        text = ""
    except FileRefused as exc:
        raise ConfigError(path, None, f"a regular file ({exc.reason})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, f"a readable UTF-8 file ({exc})") from None
    try:
        data = loads_toml(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE_RE.search(str(exc))
        raise ConfigError(
            path, None, f"valid TOML: {exc}", line=int(match.group(1)) if match else None
        ) from None
    if data.get("theme") == theme:
        return
    wanted = {**data, "theme": theme}
    _write_edit(path, _with_theme(text, theme), wanted)


# -- first-run setup: add one gateway -------------------------------------------------------

_NEW_FILE_HEADER = """\
# kling-tui configuration, written by its gateway setup. Edit freely: see the README,
# "Configuration". No token is stored here, only the names of the environment variables
# that hold them: export those before starting kling-tui.
"""


@dataclass(frozen=True)
class GatewaySetup:
    """What the setup screen asks for: one gateway, its auth given by *variable names* only.

    A token value has no field here on purpose: the setup can never write a secret into a
    file. ``token_env`` is used for a relay (static bearer token); ``access_key_env`` and
    ``secret_key_env`` together for the native API (a JWT signed with the key pair); set
    either the first or the pair.
    """

    name: str
    base_url: str
    path_prefix: str = RELAY_PREFIX
    token_env: str | None = TOKEN_ENV
    access_key_env: str | None = None
    secret_key_env: str | None = None

    def table(self) -> dict[str, str]:
        """The ``[gateways.NAME]`` table as it will be written (whitespace trimmed)."""
        table = {"base_url": self.base_url.strip(), "path_prefix": self.path_prefix.strip()}
        if self.access_key_env is not None or self.secret_key_env is not None:
            table["access_key_env"] = (self.access_key_env or "").strip()
            table["secret_key_env"] = (self.secret_key_env or "").strip()
        else:
            table["token_env"] = (self.token_env or "").strip()
        return table


@dataclass(frozen=True)
class SetupResult:
    """What :func:`add_gateway` did: the file, whether it was new, the gateway as loaded."""

    path: Path
    created: bool
    gateway: GatewayConfig
    config: AppConfig


def _merged(path: Path, setup: GatewaySetup, env: Mapping[str, str]) -> tuple[dict, AppConfig]:
    """The file's data with the new gateway added, validated as :func:`load_config` would."""
    data, st = _read_file(path, None)
    _check_private(path, st, data)
    name = _Reader(path).name(setup.name.strip(), "gateway name")
    existing = data.get("gateways", {})
    if isinstance(existing, dict) and name in existing:
        raise ConfigError(
            path,
            f"gateways.{name}",
            "a gateway name not used yet in this file (it has: "
            + ", ".join(sorted(existing))
            + "); pick another name or edit the file",
        )
    merged = dict(data)
    # A ``gateways`` that is not a table is left as it is: the validation below names it.
    merged["gateways"] = (
        {**existing, name: setup.table()} if isinstance(existing, dict) else existing
    )
    return merged, _from_data(path, merged, env)


def check_gateway_setup(
    path: Path, setup: GatewaySetup, env: Mapping[str, str] | None = None
) -> GatewayConfig:
    """Validate ``setup`` against the file at ``path`` without writing anything.

    The same rules as :func:`load_config` (it is the same code): a bad base URL, prefix,
    name or variable name raises :class:`ConfigError` naming ``gateways.NAME.KEY``, as does
    a name the file already uses or a file that does not load as it is.
    """
    _, config = _merged(Path(path), setup, os.environ if env is None else env)
    return config.gateways[setup.name.strip()]


def add_gateway(
    path: Path, setup: GatewaySetup, env: Mapping[str, str] | None = None
) -> SetupResult:
    """Add one gateway to the config file at ``path`` (created, mode 0600, if missing).

    An existing file is merged into, never replaced: its other gateways, settings and
    comments stay (the new table is appended; if that would not parse back to exactly the
    intended data, the file is rewritten from the parsed data, without comments). A gateway
    name already in the file is refused, as is a file that does not load: fixing those is
    the operator's call. An existing file keeps its mode; nothing secret is added to it.
    The result is read back with :func:`load_config`'s rules before this returns.
    """
    env = os.environ if env is None else env
    path = Path(path)
    merged, _ = _merged(path, setup, env)
    try:
        text = read_regular(path, limit=MAX_CONFIG_BYTES)[0].decode("utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError, FileRefused) as exc:
        raise ConfigError(path, None, f"a readable UTF-8 file ({exc})") from None
    created = not text.strip()
    name = setup.name.strip()
    addition = tomli_w.dumps({"gateways": {name: setup.table()}})
    if created:
        new_text = _NEW_FILE_HEADER + "\n" + addition
    else:
        new_text = text + ("\n" if text.endswith("\n") else "\n\n") + addition
    _write_edit(path, new_text, merged)
    # Read back by the file rules (not load_config: a KLING_TUI_BASE_URL in the environment
    # would rewrite the result, and the operator asked for what the file says).
    data, st = _read_file(path, "the setup")
    _check_private(path, st, data)
    config = _from_data(path, data, env)
    return SetupResult(path=path, created=created, gateway=config.gateways[name], config=config)
