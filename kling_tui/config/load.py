"""Loading the configuration: which file (:func:`config_path`), then flags over environment
over file (:func:`load_config`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

from kling_tui.config.file import _check_private, _read_file
from kling_tui.config.model import AppConfig
from kling_tui.config.names import ADHOC_GATEWAY, BASE_URL_ENV, CONFIG_ENV, GATEWAY_ENV
from kling_tui.config.reader import _Reader
from kling_tui.config.validate import _from_data


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
        [download]
        dir = "~/Videos/kling"                   # default: Videos, else Downloads, else
                                                 # ./kling-videos
        name = "{label}-{task_id}-{n}.{ext}"     # fields: README, "Downloads"
        max_bytes = 2147483648                   # 1 MiB-1 TiB; also jobs, per_host (1-16)
        auto = false                             # the dashboard downloads as tasks succeed

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
    config = file_config(path, _named_by(config_flag, env), env)
    overrides = _Overrides.read(env, gateway, base_url, path_prefix)
    return overrides.apply(config)


def _named_by(config_flag: str | os.PathLike[str] | None, env: Mapping[str, str]) -> str | None:
    """Who named the config file (``--config`` or ``$KLING_TUI_CONFIG``), ``None`` for the
    default location: a missing file is an error only when the operator named it."""
    if config_flag is not None and os.fspath(config_flag):
        return "--config"
    return CONFIG_ENV if env.get(CONFIG_ENV) else None


def file_config(path: Path, named_by: str | None, env: Mapping[str, str]) -> AppConfig:
    """The file at ``path`` read, checked for privacy and validated; no override applied."""
    data, st = _read_file(path, named_by)
    _check_private(path, st, data)
    return _from_data(path, data, env)


@dataclass(frozen=True)
class _Overrides:
    """The flag and environment choices that beat the file, each validated where it came
    from (``--gateway`` / ``KLING_TUI_GATEWAY``, ``--path-prefix``, ``--base-url`` /
    ``KLING_TUI_BASE_URL``). ``named_key`` and ``named_reader`` say who named ``selected``."""

    selected: str | None
    named_key: str
    named_reader: _Reader
    prefix: str | None
    url: str | None

    @classmethod
    def read(
        cls,
        env: Mapping[str, str],
        gateway: str | None,
        base_url: str | None,
        path_prefix: str | None,
    ) -> _Overrides:
        """Validate the overrides, in this order: gateway name, path prefix, base URL."""
        cli = _Reader(None, "command line")
        environment = _Reader(None, "environment variable")
        selected: str | None = None
        named_key, named_reader = "--gateway", cli
        if gateway:
            selected = cli.name(gateway, "--gateway")
        elif env.get(GATEWAY_ENV):
            selected = environment.name(env[GATEWAY_ENV], GATEWAY_ENV)
            named_key, named_reader = GATEWAY_ENV, environment
        prefix = cli.path_prefix(path_prefix, "--path-prefix") if path_prefix else None
        url: str | None = None
        if base_url:
            url = cli.base_url(base_url, "--base-url")
        elif env.get(BASE_URL_ENV):
            url = environment.base_url(env[BASE_URL_ENV], BASE_URL_ENV)
        return cls(selected, named_key, named_reader, prefix, url)

    def apply(self, config: AppConfig) -> AppConfig:
        """``config`` with the overrides applied (see :func:`load_config` for the rules)."""
        gateways = config.gateways
        if self.url is not None:
            target = self.selected or ADHOC_GATEWAY
            gateways[target] = config.adhoc_gateway(target, self.url, self.prefix)
            config.default_gateway = target
            return config
        if self.selected is not None:
            if self.selected not in gateways:
                known = ", ".join(gateways) or "none configured (pass --base-url)"
                raise self.named_reader.error(
                    self.named_key, f"a configured gateway: {known}", self.selected
                )
            config.default_gateway = self.selected
        if self.prefix is not None and config.default_gateway in gateways:
            gateways[config.default_gateway] = replace(
                gateways[config.default_gateway], path_prefix=self.prefix
            )
        return config
