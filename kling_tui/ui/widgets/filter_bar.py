"""The filter line opened with ``/``: live filtering as you type.

Enter keeps the filter and returns to the table; Escape clears it. The app owns the
filter state; this widget only reports what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


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
                "filter: words, status:failed, kind:text2video, gw:NAME — Enter keeps, Esc clears"
            ),
            id=id,
            select_on_focus=False,
        )

    def open(self, current: str) -> None:
        self.value = current
        self.cursor_position = len(current)
        self.add_class("-open")
        self.focus()

    def close(self) -> None:
        self.remove_class("-open")

    def action_clear_filter(self) -> None:
        self.value = ""
        self.close()
        self.post_message(self.Done("", cleared=True))

    async def action_submit(self) -> None:
        self.close()
        self.post_message(self.Done(self.value, cleared=False))
