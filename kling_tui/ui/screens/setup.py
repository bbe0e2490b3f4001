"""The gateway setup: one screen that writes a working config file on the first run.

A new operator has no config file and nothing to watch; this asks for the four things a
gateway needs (name, base URL, path prefix, where the credential lives) and hands them to
``config.add_gateway``, the pure writer, which validates them with ``load_config``'s own
rules, merges them into the file (created 0600 if missing) and reads the result back. The
credential is asked for as *environment variable names* only: no token is typed here, so
none can reach the file or the screen.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from kling_tui.config import (
    ACCESS_KEY_ENV,
    NATIVE_PREFIX,
    RELAY_PREFIX,
    SECRET_KEY_ENV,
    TOKEN_ENV,
    ConfigError,
    GatewaySetup,
    SetupResult,
    add_gateway,
)
from kling_tui.gateway.sanitize import clean_text

PREFIX_PRESETS: dict[str, tuple[str, str]] = {
    # preset -> (what the Select shows, the prefix)
    "relay": (f"relay {RELAY_PREFIX}", RELAY_PREFIX),
    "native": (f"native Kling API {NATIVE_PREFIX}", NATIVE_PREFIX),
    "custom": ("custom…", ""),
}
AUTH_MODES: dict[str, str] = {
    "token": "token in an environment variable (relays)",
    "keys": "access key + secret key variables (native JWT)",
}
_DEFAULT_NAMES = {"relay": "relay", "native": "kling"}

_FIELD_FOR_KEY = {
    "base_url": ("#setup-url", "Base URL"),
    "path_prefix": ("#setup-prefix", "Path prefix"),
    "token_env": ("#setup-token-env", "Token variable"),
    "access_key_env": ("#setup-ak-env", "Access key variable"),
    "secret_key_env": ("#setup-sk-env", "Secret key variable"),
}


def describe_problem(exc: ConfigError, name: str) -> tuple[str | None, str]:
    """(selector of the field to focus, one line for the operator) for a setup refusal.

    Only problems of the new gateway ``name`` point at a field; anything else (a file that
    does not load as it is) is shown whole, naming the file. A value typed into a *variable
    name* field is never echoed: someone may have pasted the token itself there.
    """
    key = exc.key or ""
    leaf = key.rpartition(".")[2]
    if key == f"gateways.{name}.{leaf}" and leaf in _FIELD_FOR_KEY:
        selector, label = _FIELD_FOR_KEY[leaf]
        text = f"{label}: expected {exc.expected}"
        if leaf.endswith("_env"):
            text += " (the variable's name, not the token itself)"
        elif exc.got is not None:
            text += f", got {clean_text(repr(exc.got), limit=80)}"
        return selector, text
    if key in ("gateway name", f"gateways.{name}"):
        return "#setup-name", f"Name: expected {exc.expected}"
    return None, str(exc)


class GatewaySetupScreen(ModalScreen[SetupResult | None]):
    """Modal form; returns the ``SetupResult`` once the file is written, None if cancelled."""

    DEFAULT_CSS = """
    GatewaySetupScreen {
        align: center middle;
    }
    GatewaySetupScreen > #setup-dialog {
        width: 78;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        overflow-y: auto;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    GatewaySetupScreen #setup-title {
        text-style: bold;
    }
    GatewaySetupScreen #setup-path, GatewaySetupScreen .setup-note {
        color: $text-muted;
    }
    GatewaySetupScreen .setup-row {
        height: auto;
    }
    GatewaySetupScreen #setup-name-row, GatewaySetupScreen #setup-auth-row {
        margin-top: 1;
    }
    GatewaySetupScreen .setup-row > Label {
        width: 14;
    }
    GatewaySetupScreen .setup-row > Input, GatewaySetupScreen .setup-row > Select {
        width: 1fr;
    }
    GatewaySetupScreen .setup-row > Input {
        background: $background;
    }
    GatewaySetupScreen .setup-row > Input:focus {
        background: $boost;
    }
    GatewaySetupScreen #setup-prefix {
        width: 20;
        margin-left: 1;
    }
    GatewaySetupScreen #setup-prefix.-hidden, GatewaySetupScreen .setup-row.-hidden {
        display: none;
    }
    GatewaySetupScreen #setup-env-state {
        height: auto;
        margin-top: 1;
        color: $text-success;
    }
    GatewaySetupScreen #setup-env-state.-missing {
        color: $text-warning;
    }
    GatewaySetupScreen #setup-errors {
        color: $error;
        height: auto;
        display: none;
    }
    GatewaySetupScreen #setup-errors.-show {
        display: block;
    }
    GatewaySetupScreen #setup-buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    GatewaySetupScreen #setup-buttons Button {
        margin-left: 2;
        min-width: 10;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="setup-cancel"),
        Binding("ctrl+s", "save", "Save", id="setup-save"),
    ]

    def __init__(self, path: Path, *, env: Mapping[str, str] | None = None) -> None:
        """``path``: the config file that is read at start-up (and will be written)."""
        super().__init__()
        self.path = Path(path)
        self._env: Mapping[str, str] = os.environ if env is None else env

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        exists = self.path.exists()
        with Vertical(id="setup-dialog"):
            title = Text("Set up a gateway")
            title.append("   ctrl+s saves · Esc cancels", style=Style(dim=True, bold=False))
            yield Static(title, id="setup-title")
            where = Text("Config file: ")
            where.append(clean_text(str(self.path), limit=300), style=Style(bold=True))
            where.append(" (the gateway is added to it)" if exists else " (created, mode 0600)")
            yield Static(where, id="setup-path")
            with Horizontal(classes="setup-row", id="setup-name-row"):
                yield Label("Name")
                yield Input("relay", id="setup-name", compact=True, max_length=64)
            with Horizontal(classes="setup-row"):
                yield Label("Base URL")
                yield Input(
                    placeholder="https://api.example.com  (scheme and host only)",
                    id="setup-url",
                    compact=True,
                    max_length=300,
                )
            with Horizontal(classes="setup-row"):
                yield Label("Path prefix")
                yield Select(
                    [(Text(label), key) for key, (label, _) in PREFIX_PRESETS.items()],
                    value="relay",
                    allow_blank=False,
                    id="setup-preset",
                    compact=True,
                )
                yield Input(
                    placeholder="/custom/v1",
                    id="setup-prefix",
                    classes="-hidden",
                    compact=True,
                    max_length=100,
                )
            with Horizontal(classes="setup-row", id="setup-auth-row"):
                yield Label("Auth")
                yield Select(
                    [(Text(label), key) for key, label in AUTH_MODES.items()],
                    value="token",
                    allow_blank=False,
                    id="setup-auth",
                    compact=True,
                )
            with Horizontal(classes="setup-row", id="setup-token-row"):
                yield Label("Token var")
                yield Input(TOKEN_ENV, id="setup-token-env", compact=True, max_length=64)
            with Horizontal(classes="setup-row -hidden", id="setup-keys-row"):
                yield Label("Key vars")
                yield Input(ACCESS_KEY_ENV, id="setup-ak-env", compact=True, max_length=64)
                yield Input(SECRET_KEY_ENV, id="setup-sk-env", compact=True, max_length=64)
            yield Static(Text(""), id="setup-env-state")
            yield Static(
                Text(
                    "Only variable names are written, never a token. Other settings: "
                    "see the README, Configuration."
                ),
                classes="setup-note",
            )
            yield Static(Text(""), id="setup-errors")
            with Horizontal(id="setup-buttons"):
                yield Button("Cancel", id="setup-cancel-button", compact=True)
                yield Button("Save", id="setup-save-button", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#setup-url", Input).focus()
        self._show_env_state()

    # -- reacting to the form ------------------------------------------------------------

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "setup-preset":
            preset = str(event.value)
            self.query_one("#setup-prefix", Input).set_class(preset != "custom", "-hidden")
            if preset in _DEFAULT_NAMES:
                # The native API signs with a key pair; relays take a token: follow the
                # preset (the operator can still change it), and the untouched default name.
                self.query_one("#setup-auth", Select).value = (
                    "keys" if preset == "native" else "token"
                )
                name = self.query_one("#setup-name", Input)
                if name.value in _DEFAULT_NAMES.values():
                    name.value = _DEFAULT_NAMES[preset]
            else:
                self.query_one("#setup-prefix", Input).focus()
        elif event.select.id == "setup-auth":
            keys = event.value == "keys"
            self.query_one("#setup-token-row").set_class(keys, "-hidden")
            self.query_one("#setup-keys-row").set_class(not keys, "-hidden")
        self._show_env_state()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id in ("setup-token-env", "setup-ak-env", "setup-sk-env"):
            self._show_env_state()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the last one it saves."""
        event.stop()
        last = "#setup-sk-env" if self._auth() == "keys" else "#setup-token-env"
        if event.input is self.query_one(last, Input):
            self.action_save()
        else:
            self.focus_next()

    def _auth(self) -> str:
        return str(self.query_one("#setup-auth", Select).value)

    def _variables(self) -> list[str]:
        if self._auth() == "keys":
            return [self.query_one(f"#setup-{k}-env", Input).value.strip() for k in ("ak", "sk")]
        return [self.query_one("#setup-token-env", Input).value.strip()]

    def _show_env_state(self) -> None:
        """Say whether the named variables are set here: the running app can only use them
        if they are (an exported variable reaches it on the next start)."""
        names = [n for n in self._variables() if n]
        missing = [n for n in names if not self._env.get(n)]
        line = Text()
        if not names:
            line.append("Name the variable that holds the token.")
        elif missing:
            line.append("⚠ not set here: ", style=Style(bold=True))
            line.append(", ".join(clean_text(n, limit=64) for n in missing))
            line.append(
                ". Polls will say 'no token' until you export "
                + ("it" if len(missing) == 1 else "them")
                + " and restart kling-tui."
            )
        else:
            line.append("✓ set in this environment: ")
            line.append(", ".join(clean_text(n, limit=64) for n in names))
        state = self.query_one("#setup-env-state", Static)
        state.update(line)
        state.set_class(bool(missing) or not names, "-missing")

    # -- the result ----------------------------------------------------------------------

    def gateway_setup(self) -> GatewaySetup:
        """What the form says, as the writer takes it."""
        preset = str(self.query_one("#setup-preset", Select).value)
        prefix = PREFIX_PRESETS.get(preset, ("", ""))[1]
        if preset == "custom":
            prefix = self.query_one("#setup-prefix", Input).value.strip()
        name = self.query_one("#setup-name", Input).value.strip()
        url = self.query_one("#setup-url", Input).value.strip()
        if self._auth() == "keys":
            ak, sk = self._variables()
            return GatewaySetup(name, url, prefix, None, ak, sk)
        return GatewaySetup(name, url, prefix, self._variables()[0])

    def _show_error(self, text: str | None) -> None:
        errors = self.query_one("#setup-errors", Static)
        errors.update(Text(text or ""))
        errors.set_class(bool(text), "-show")

    def action_save(self) -> None:
        setup = self.gateway_setup()
        try:
            result = add_gateway(self.path, setup, self._env)
        except ConfigError as exc:
            selector, text = describe_problem(exc, setup.name)
            self._show_error(text)
            if selector is not None:
                widget = self.query_one(selector)
                if widget.display:
                    widget.focus()
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "setup-save-button":
            self.action_save()
        else:
            self.action_cancel()
