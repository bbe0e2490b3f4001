"""The header line: gateways, counts per status, polling state, sort and filter.

It renders itself from plain data at its current width, dropping the least useful parts
first, so it stays one line at 80 columns. Counts are coloured with the badge colours so
the header and the table read the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from kling_tui.models import WatchEntry
from kling_tui.poller import PollerState
from kling_tui.sanitize import clean_text
from kling_tui.ui.view import RowState, row_state
from kling_tui.ui.widgets.palette import Palette

COUNTED: tuple[tuple[str, str, str], ...] = (
    # (badge/count name, long label, short label)
    ("submitted", "submitted", "sub"),
    ("in_progress", "in progress", "run"),
    ("succeeded", "succeeded", "ok"),
    ("failed", "failed", "fail"),
    ("error", "error", "err"),
)

STATE_ICONS: dict[str, str] = {
    PollerState.RUNNING.value: "●",
    PollerState.PAUSED.value: "⏸",
    PollerState.BACKING_OFF.value: "◌",
    PollerState.AUTH_FAILED.value: "✖",
    PollerState.IDLE.value: "✓",
    "crashed": "✖",
    "stopped": "■",
}


def count_marks(entry: WatchEntry) -> tuple[str, ...]:
    """The header counts one task adds to: its status, and ``error`` if its last poll
    failed (a task never fetched successfully counts as an error only)."""
    state = row_state(entry)
    marks: tuple[str, ...] = () if state is RowState.ERROR else (state.value,)
    if entry.last_error is not None:
        marks += ("error",)
    return marks


def count_states(entries: Iterable[WatchEntry]) -> Counter[str]:
    """Tasks per status; ``error`` counts every task whose last poll failed."""
    counts: Counter[str] = Counter()
    for entry in entries:
        counts.update(count_marks(entry))
    return counts


@dataclass(slots=True)
class SummaryData:
    gateways: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    total: int = 0
    shown: int = 0
    state: str = PollerState.IDLE.value
    detail: str = ""
    sort: str = "added"
    filter_text: str = ""


class SummaryBar(Widget):
    """One line at the top of the screen. Everything in it is plain text."""

    DEFAULT_CSS = """
    SummaryBar {
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, palette: Palette, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.palette = palette
        self.data = SummaryData()

    def show(self, data: SummaryData) -> None:
        self.data = data
        self.refresh()

    def set_palette(self, palette: Palette) -> None:
        self.palette = palette
        self.refresh()

    def _state_part(self, compact: bool) -> Text:
        data, palette = self.data, self.palette
        state = data.state
        colour = {
            PollerState.RUNNING.value: palette.badge_color("succeeded"),
            PollerState.PAUSED.value: palette.warning,
            PollerState.BACKING_OFF.value: palette.warning,
            PollerState.AUTH_FAILED.value: palette.error,
            "crashed": palette.error,
        }.get(state, palette.muted)
        word = {PollerState.RUNNING.value: "polling", PollerState.IDLE.value: "idle"}.get(
            state, state
        )
        text = Text(f"{STATE_ICONS.get(state, '•')} {word}", style=Style(color=colour, bold=True))
        if data.detail and state in (
            PollerState.BACKING_OFF.value,
            PollerState.AUTH_FAILED.value,
            "crashed",
        ):
            if not compact:
                text.append(": " + clean_text(data.detail, limit=200), style=Style(color=colour))
        return text

    def _counts_part(self, compact: bool) -> Text:
        text = Text()
        for name, long_label, short_label in COUNTED:
            if text:
                text.append(" · " if not compact else " ", style=Style(color=self.palette.muted))
            number = self.data.counts.get(name, 0)
            style = (
                Style(color=self.palette.badge_color(name), bold=True)
                if number
                else Style(color=self.palette.muted)
            )
            text.append(str(number), style=style)
            text.append(
                " " + (short_label if compact else long_label),
                style=Style(color=self.palette.muted) if not number else "",
            )
        return text

    def _parts(self, width: int) -> Text:
        data = self.data
        sep = Text(" │ ", style=Style(color=self.palette.muted))
        compact = width < 120
        gateways = ", ".join(clean_text(g, limit=80) for g in data.gateways) or "no gateway"
        title = Text(" kling-tui", style=Style(bold=True))
        pieces: list[Text] = [
            title,
            Text(gateways),
            self._counts_part(compact),
            self._state_part(compact),
        ]
        extras = Text()
        if data.filter_text:
            extras.append(
                f"filter {data.shown}/{data.total}", style=Style(color=self.palette.warning)
            )
        if not compact or data.sort != "added":
            if extras:
                extras.append("  ")
            extras.append(f"sort: {data.sort}", style=Style(color=self.palette.muted))
        if extras:
            pieces.append(extras)
        line = Text()
        for index, piece in enumerate(pieces):
            if index:
                line.append_text(sep)
            line.append_text(piece)
        if line.cell_len > width and len(pieces) > 2:
            # drop the title first, then shorten gateways
            pieces.pop(0)
            pieces[0] = Text(" " + pieces[0].plain)
            line = Text()
            for index, piece in enumerate(pieces):
                if index:
                    line.append_text(sep)
                line.append_text(piece)
        if line.cell_len > width:
            line.truncate(width, overflow="ellipsis")
        return line

    def render(self) -> Text:
        return self._parts(max(self.size.width, 20))
