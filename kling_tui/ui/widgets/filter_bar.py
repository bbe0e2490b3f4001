"""The filter line opened with ``/``: live filtering as you type.

Enter keeps the filter and returns to the table; Escape clears it. The app owns the
filter state; this widget reports what was typed, and says on its top border what it
cannot understand (an unknown key, status or kind): a filter that quietly matched
everything looked like one that worked. Enter does not close the bar on such a filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Input
from textual.widgets.input import Selection

from kling_tui.gateway.sanitize import clean_text
from kling_tui.ui.view import parse_filter


class FilterBar(Input):
    """An ``Input`` docked at the bottom, hidden until ``/`` is pressed."""

    DEFAULT_CSS = """
    FilterBar {
        dock: bottom;
        display: none;
        height: 3;
        border: tall $accent;
    }
    FilterBar.-open {
        display: block;
    }
    FilterBar.-error {
        border: tall $error;
        border-title-color: $text-error;
        border-title-style: bold;
        border-title-align: left;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_filter", "Clear filter", show=False)
    ]

    @dataclass
    class Done(Message):
        """Filtering finished: ``cleared`` when Escape dropped the filter."""

        text: str
        cleared: bool

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            placeholder=(
                "filter: words, status:failed, !status:succeeded, kind:t2v, gw:, label:, "
                "model: — Enter keeps, Esc clears"
            ),
            id=id,
            select_on_focus=False,
        )
        self._error = ""

    def open(self, current: str) -> None:
        """Show the bar with the current filter selected: typing replaces it, an arrow
        key keeps it to edit."""
        self.value = current
        self.add_class("-open")
        self.show_problems(current)
        self.focus()
        self.selection = Selection(0, len(current))

    @property
    def error(self) -> str:
        """The error shown on the bar's border, or ``""``."""
        return self._error

    def show_problems(self, text: str) -> bool:
        """Show what ``text`` has that the filter cannot use. Returns whether it has any."""
        task_filter = parse_filter(text)
        problems = task_filter.problems
        if problems:
            message = "; ".join(problems)
            if task_filter.hint:
                message += " — " + task_filter.hint
            self._error = clean_text(message, limit=300)
            # Content, not str: the message quotes what was typed, never markup.
            self.border_title = Content(self._error)
        else:
            self._error = ""
            self.border_title = None
        self.set_class(bool(problems), "-error")
        return bool(problems)

    def _on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self:
            self.show_problems(event.value)

    def close(self) -> None:
        self.remove_class("-open")

    def action_clear_filter(self) -> None:
        self.value = ""
        self.close()
        self.post_message(self.Done("", cleared=True))

    async def action_submit(self) -> None:
        if self.show_problems(self.value):
            self.app.bell()
            return  # keep the bar open on its error: fix the term, or Esc clears it
        self.close()
        self.post_message(self.Done(self.value, cleared=False))
