"""The names an operator types: environment variables, gateway path prefixes, the
ad-hoc gateway, the default theme, and the keys a config file may hold.
"""

from __future__ import annotations

import re

CONFIG_ENV = "KLING_TUI_CONFIG"
GATEWAY_ENV = "KLING_TUI_GATEWAY"
BASE_URL_ENV = "KLING_TUI_BASE_URL"
TOKEN_ENV = "KLING_API_KEY"
ACCESS_KEY_ENV = "KLING_ACCESS_KEY"
SECRET_KEY_ENV = "KLING_SECRET_KEY"
ACCESS_TOKEN_ENV = "KLING_RELAY_ACCESS_TOKEN"
"""A new-api relay's user access token (its task log, ``task_log = true``), not the API key."""

ADHOC_GATEWAY = "default"
"""Name of the gateway made from ``--base-url`` when no gateway is named explicitly."""

RELAY_PREFIX = "/kling/v1"
NATIVE_PREFIX = "/v1"
DEFAULT_THEME = "kling-dark"

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

_TOP_KEYS = ("default_gateway", "theme", "gateways", "poll", "download", "keys", "notify", "view")
_NOTIFY_KEYS = ("command", "timeout", "terminal")
_POLL_KEYS = ("interval", "max_interval", "bell")
_DOWNLOAD_KEYS = ("dir", "name", "max_bytes", "jobs", "per_host", "auto")
_VIEW_KEYS = ("hide_finished_after",)
_TOKEN_KEYS = ("token", "token_env")
_JWT_KEYS = ("access_key", "secret_key", "access_key_env", "secret_key_env")
_TASK_LOG_KEYS = ("task_log", "access_token", "access_token_env", "user_id")
_SECRET_KEYS = ("token", "access_key", "secret_key", "access_token")
_GATEWAY_KEYS = (
    "base_url",
    "path_prefix",
    *_TOKEN_KEYS,
    *_JWT_KEYS,
    "timeout",
    "connect_timeout",
    "max_concurrency",
    "max_retries",
    "concurrency_limit",
    *_TASK_LOG_KEYS,
    "list_refresh",
    "external_id",
)
EXTERNAL_ID_FORMS = ("path", "query")
"""``gateways.*.external_id``: where an external id goes in a status query (see the model)."""
