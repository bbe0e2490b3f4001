"""The export dialog (``e``): where to write the rows shown, prefilled with a default.

Enter writes, Escape cancels. A folder gets the default file name; ``.jsonl`` writes JSON
lines, anything else CSV (``kling_tui.export.export_target``); a folder that does not exist
is said in the dialog, which stays open.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from kling_tui.export import MAX_PATH_CHARS, export_target


class ExportScreen(ModalScreen[tuple[Path, str] | None]):
    """Returns (path, format), or None when cancelled."""

    DEFAULT_CSS = """
    ExportScreen {
        align: center middle;
    }
    ExportScreen > Vertical {
        width: 80;
        max-width: 100%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    ExportScreen #export-error {
        color: $error;
        height: auto;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export-cancel"),
    ]

    def __init__(self, count: int, default_path: Path, cwd: Path) -> None:
        super().__init__()
        self._count = count
        self._default = default_path
        self._cwd = cwd

    def compose(self) -> ComposeResult:
        noun = "task" if self._count == 1 else "tasks"
        title = Text(f"Export {self._count} {noun} (the filter applied)", style=Style(bold=True))
        hint = Text("Enter writes · Esc cancels · a .jsonl name writes JSON lines", style="dim")
        with Vertical():
            yield Static(title, id="export-title")
            yield Input(str(self._default), id="export-path", max_length=MAX_PATH_CHARS)
            yield Static(hint, id="export-hint")
            yield Static(Text(""), id="export-error")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            target = export_target(event.value, self._default.name, self._cwd)
        except ValueError as exc:
            self.query_one("#export-error", Static).update(Text(str(exc)))
            return
        self.dismiss(target)

    def action_cancel(self) -> None:
        self.dismiss(None)
