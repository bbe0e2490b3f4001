"""Operator configuration: gateways, polling, theme. Read once, validated fully, no surprises.

Sources, strongest first: command-line flags, then environment variables, then the TOML file
(``--config``, else ``$KLING_TUI_CONFIG``, else ``<user config dir>/kling-tui/config.toml``).
See :func:`load_config` for the file's shape and the exact rules.

Every problem becomes one :class:`ConfigError` that names the file (or "environment" /
"command line"), the key and what was expected, because a person fixes it by hand. Errors and
reprs never contain a token: tokens become :class:`~kling_tui.gateway.auth.Secret` the
moment they are read, and a file that holds one must not be readable by group or other.

This package has no Textual import and does no network I/O. Its rooms: :mod:`.names` (the
variables, prefixes and keys an operator types), :mod:`.errors`, :mod:`.model` (the loaded
dataclasses and numeric ranges), :mod:`.file` (reading the file safely), :mod:`.reader` (one
value's checks), :mod:`.validate` (parsed file to :class:`AppConfig`), :mod:`.load` (flag >
environment > file), :mod:`.write` (in-place edits, the theme) and :mod:`.setup` (adding a
gateway). Import from here: this module's ``__all__`` is the public API.
"""

from kling_tui.config.errors import ConfigError, NoGatewayError
from kling_tui.config.load import config_path, load_config
from kling_tui.config.model import (
    AppConfig,
    DownloadConfig,
    GatewayConfig,
    NotifyConfig,
    PollConfig,
    ViewConfig,
)
from kling_tui.config.names import (
    ACCESS_KEY_ENV,
    ADHOC_GATEWAY,
    NATIVE_PREFIX,
    RELAY_PREFIX,
    SECRET_KEY_ENV,
    TOKEN_ENV,
)
from kling_tui.config.setup import GatewaySetup, SetupResult, add_gateway, check_gateway_setup
from kling_tui.config.write import remember_theme

__all__ = [
    "ACCESS_KEY_ENV",
    "ADHOC_GATEWAY",
    "NATIVE_PREFIX",
    "RELAY_PREFIX",
    "SECRET_KEY_ENV",
    "TOKEN_ENV",
    "AppConfig",
    "ConfigError",
    "DownloadConfig",
    "GatewayConfig",
    "GatewaySetup",
    "NoGatewayError",
    "NotifyConfig",
    "PollConfig",
    "SetupResult",
    "ViewConfig",
    "add_gateway",
    "check_gateway_setup",
    "config_path",
    "load_config",
    "remember_theme",
]
