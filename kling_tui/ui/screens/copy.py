"""The copied text, shown for copying by hand.

``App.copy_to_clipboard`` writes an OSC 52 escape to the terminal and cannot know whether
it arrived: tmux with its default ``set-clipboard external``, macOS Terminal and many SSH
set-ups drop it silently. So ``y`` / ``c`` say what they did, and this dialog shows the
text in a read-only ``TextArea``, where it can be selected with the mouse (Shift+drag
selects in the terminal itself in most of them).
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from kling_tui.gateway.sanitize import clean_text


class CopyTextScreen(ModalScreen[None]):
    """Shows ``text`` selectable; Escape closes."""

    DEFAULT_CSS = """
    CopyTextScreen {
        align: center middle;
    }
    CopyTextScreen > Vertical {
        width: 90%;
        max-width: 100;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    CopyTextScreen TextArea {
        height: auto;
        max-height: 8;
        margin: 1 0;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="copy-close"),
    ]

    def __init__(self, text: str, what: str) -> None:
        super().__init__()
        self.text = clean_text(text, limit=8192)
        self.what = clean_text(what, limit=60)

    def compose(self) -> ComposeResult:
        title = Text(f"The {self.what}, to copy by hand", style=Style(bold=True))
        note = Text(
            "It was sent to the terminal clipboard with the OSC 52 escape; terminals that "
            "ignore it (tmux with set-clipboard external, macOS Terminal) leave the clipboard "
            "as it was. Select the text above with the mouse (Shift+drag in most terminals). "
            "Esc closes."
        )
        with Vertical():
            yield Static(title)
            area = TextArea(
                self.text, read_only=True, soft_wrap=True, show_line_numbers=False, id="copy-text"
            )
            yield area
            yield Static(note, id="copy-note")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.select_all()

    def action_close(self) -> None:
        self.dismiss(None)
