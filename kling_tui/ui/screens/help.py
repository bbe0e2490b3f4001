"""The help screen: every key (as currently bound, keymap included) and the filter syntax."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

FILTER_HELP = (
    ("words", "match id, label, message, external id, last error"),
    ("status:failed", "submitted in_progress succeeded failed unknown"),
    ("", "error (last poll failed) stale pending"),
    ("", "active finished"),
    ("status:failed,error", "any of several statuses"),
    ("kind:image2video", "by kind"),
    ("gw:NAME", "by gateway"),
)


class HelpScreen(ModalScreen[None]):
    """Lists ``(keys, description)`` pairs given by the app."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 80;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help-close")
    ]

    def __init__(self, keys: Sequence[tuple[str, str]], *, key_colour: str = "#f0b04c") -> None:
        super().__init__()
        self._keys = list(keys)
        self._key_colour = key_colour

    def compose(self) -> ComposeResult:
        bold = Style(bold=True)
        text = Text("Keys\n", style=bold)
        width = max((len(k) for k, _ in self._keys), default=4) + 2
        for keys, description in self._keys:
            text.append(f"  {keys:<{width}}", style=Style(bold=True, color=self._key_colour))
            text.append(description + "\n")
        text.append("\nFilter (/)\n", style=bold)
        for syntax, description in FILTER_HELP:
            text.append(f"  {syntax:<21}", style=Style(bold=True))
            text.append(description + "\n")
        text.append("\nctrl+p opens the command palette (every action, themes). Esc closes.")
        with VerticalScroll():
            yield Static(text)

    def action_close(self) -> None:
        self.dismiss(None)
