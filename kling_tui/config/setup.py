"""First-run setup: add one gateway to the config file (:func:`add_gateway`), by variable
names only, validated by the same rules as :func:`~kling_tui.config.load.load_config`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from kling_tui.config.errors import ConfigError
from kling_tui.config.file import MAX_CONFIG_BYTES, _check_private, _read_file
from kling_tui.config.load import file_config
from kling_tui.config.model import AppConfig, GatewayConfig
from kling_tui.config.names import RELAY_PREFIX, TOKEN_ENV
from kling_tui.config.reader import _Reader
from kling_tui.config.validate import _from_data
from kling_tui.config.write import _write_edit
from kling_tui.store.safe_read import FileRefused, read_regular

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
    config = file_config(path, "the setup", env)
    return SetupResult(path=path, created=created, gateway=config.gateways[name], config=config)
