"""The help screen: every key (as currently bound, keymap included) and the filter syntax.

At 80x24 the list is taller than the screen: the keys and the filter syntax scroll, and
the line saying how to close it stays in view below them. Descriptions wrap under
themselves (a grid), never back to the key column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import Console, Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

FILTER_HELP = (
    ("words", "match ids, label, message, last error"),
    ("status:failed", "submitted in_progress succeeded failed unknown"),
    ("", "error (last poll failed) stale pending"),
    ("", "active finished stuck (not moving for far too long)"),
    ("status:failed,error", "any of several statuses"),
    ("kind:image2video", "by kind"),
    ("gw:NAME", "by gateway"),
    ("id:ID", "by any of its ids: relay, Kling, external"),
    ("label:TEXT", "labels containing TEXT"),
    ("model:NAME", "the model, or part of it"),
    ("!TERM", "not: !status:done !word; all terms must hold"),
    ("h", "hide succeeded tasks (view.hide_finished_after)"),
    ("esc", "clears the marks first, then the filter"),
)

CLOSE_HINT = "Esc closes · ↑ ↓ PgUp PgDn scroll · ctrl+p: command palette"


class HelpScreen(ModalScreen[None]):
    """Lists ``(keys, description)`` pairs given by the app."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > Vertical {
        width: 80;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen #help-body {
        height: auto;
        max-height: 1fr;
        scrollbar-size-vertical: 1;
    }
    HelpScreen #help-close-hint {
        dock: bottom;
        height: 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help-close")
    ]

    def __init__(self, keys: Sequence[tuple[str, str]], *, key_colour: str = "#f0b04c") -> None:
        super().__init__()
        self._keys = list(keys)
        self._key_colour = key_colour

    def help_text(self) -> Group:
        """Both sections, each a two-column grid (so wrapped text stays in its column)."""
        bold = Style(bold=True)
        keys = Table.grid(padding=(0, 2))
        keys.add_column(no_wrap=True, style=Style(bold=True, color=self._key_colour))
        keys.add_column(overflow="fold")
        for key, description in self._keys:
            keys.add_row(Text(key), Text(description))
        syntax = Table.grid(padding=(0, 2))
        syntax.add_column(no_wrap=True, style=bold)
        syntax.add_column(overflow="fold")
        for term, description in FILTER_HELP:
            syntax.add_row(Text(term), Text(description))
        return Group(Text("Keys", style=bold), keys, Text("\nFilter (/)", style=bold), syntax)

    def plain_text(self, width: int = 76) -> str:
        """What the help says, as plain lines ``width`` wide (for tests and checks)."""
        console = Console(width=width, color_system=None)
        with console.capture() as capture:
            console.print(self.help_text())
            console.print(CLOSE_HINT)
        return capture.get()

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll(id="help-body"):
                yield Static(self.help_text(), id="help-text")
            yield Static(Text(CLOSE_HINT), id="help-close-hint")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
