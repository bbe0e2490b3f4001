"""The header line: gateways, counts per status, polling state, sort and filter.

It renders itself from plain data at its current width, its parts giving way in one fixed
order (``DROP_ORDER``, never mid-word), so it stays one line at any width and the same
width always shows the same parts. Counts are coloured with the badge colours so
the header and the table read the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from kling_tui.gateway.sanitize import clean_text
from kling_tui.polling.poller import PollerState
from kling_tui.ui.widgets.cost_part import CostLine, cost_variants
from kling_tui.ui.widgets.fit import fit_parts
from kling_tui.ui.widgets.palette import Palette

COUNTED: tuple[tuple[str, str, str], ...] = (
    # (badge/count name, long label, short label)
    ("submitted", "submitted", "sub"),
    ("in_progress", "in progress", "run"),
    ("stuck", "stuck", "stuck"),
    ("succeeded", "succeeded", "ok"),
    ("failed", "failed", "fail"),
    ("error", "error", "err"),
    ("expiring", "expiring", "exp"),
)

SHOWN_WHEN_NONZERO = frozenset({"stuck", "expiring"})
"""Counts left out at zero: most lists never hold a stuck task, and "0 stuck" is noise
(nor one whose result expires within three days, not downloaded: ``expiry``)."""
COUNT_COLOURS = {"stuck": "stale", "expiring": "stale"}
"""Counts drawn in another badge's colour (as their badges are: ``view.badge_name``)."""

STATE_ICONS: dict[str, str] = {
    PollerState.RUNNING.value: "●",
    PollerState.PAUSED.value: "⏸",
    PollerState.BACKING_OFF.value: "◌",
    PollerState.AUTH_FAILED.value: "✖",
    PollerState.IDLE.value: "✓",
    "crashed": "✖",
    "stopped": "■",
}


DETAILED_STATES = (PollerState.BACKING_OFF.value, PollerState.AUTH_FAILED.value, "crashed")
"""States whose header shows the reason after the word, room allowing."""

DROP_ORDER: tuple[str, ...] = (
    # What gives way first when the header is too wide, step by step (a part named twice
    # steps down twice). The default sort ("added") goes before all of these; the filter
    # count and the marks never go: a filtered table must say so, and so must the rows
    # that d / r / c / y / D act on.
    "cost",  # "$ 12 units today · native 3/5 ███░░" -> "$12 3/5" (cost_part.py)
    "cost",  # -> gone: the Costs screen ($) has it all
    "gateways",  # "a, b" -> "a +1"
    "counts",  # "5 submitted · 4 in progress" -> "5 sub 4 run"
    "sort",
    "state",  # the reason after "backing_off" (the alert line and toasts say it too)
    "title",
    "gateways",  # -> gone
    "counts",  # -> only the non-zero counts
    "state",  # -> gone (below about 45 columns)
)


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
    cost: CostLine | None = None
    sort_reverse: bool = False
    marked: int = 0
    hide_finished: bool = False


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

    def _state_part(self, with_detail: bool) -> Text:
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
        if with_detail and data.detail and state in DETAILED_STATES:
            text.append(": " + clean_text(data.detail, limit=200), style=Style(color=colour))
        return text

    def _counts_part(self, compact: bool, nonzero_only: bool = False) -> Text:
        text = Text()
        for name, long_label, short_label in COUNTED:
            number = self.data.counts.get(name, 0)
            if not number and (nonzero_only or name in SHOWN_WHEN_NONZERO):
                continue
            if text:
                text.append(" · " if not compact else " ", style=Style(color=self.palette.muted))
            style = (
                Style(color=self.palette.badge_color(COUNT_COLOURS.get(name, name)), bold=True)
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
        """The header at ``width``: parts give way in the order of ``DROP_ORDER``."""
        data = self.data
        muted = Style(color=self.palette.muted)
        gateways = [clean_text(g, limit=80) for g in data.gateways] or ["no gateway"]
        gateway_forms = [Text(", ".join(gateways))]
        if len(gateways) > 1:
            gateway_forms.append(Text(f"{gateways[0]} +{len(gateways) - 1}"))
        warning = Style(color=self.palette.warning)
        filter_part = Text()
        if data.filter_text or data.hide_finished:
            filter_part = Text(f"filter {data.shown}/{data.total}", style=warning)
            if data.hide_finished:
                filter_part.append(" hide done", style=warning)
        marks_part = Text(f"{data.marked} marked", style=warning + Style(bold=True))
        default_sort = data.sort == "added" and not data.sort_reverse
        arrow = "" if default_sort else (" ▼" if data.sort_reverse else " ▲")
        variants: dict[str, list[Text]] = {
            "title": [Text("kling-tui", style=Style(bold=True))],
            "gateways": gateway_forms,
            "counts": [
                self._counts_part(compact=False),
                self._counts_part(compact=True),
                self._counts_part(compact=True, nonzero_only=True),
            ],
            "state": [self._state_part(with_detail=True), self._state_part(with_detail=False)],
            "marks": [marks_part if data.marked else Text()],
            "filter": [filter_part],
            "sort": [Text(f"sort: {data.sort}{arrow}", style=muted)],
            "cost": cost_variants(data.cost, self.palette),
        }
        for name in ("title", "gateways", "sort", "state"):
            variants[name].append(Text())
        order = list(variants)
        drop = DROP_ORDER if not default_sort else ("sort", *DROP_ORDER)
        steps = [order.index(name) for name in drop]
        return fit_parts(list(variants.values()), steps, width, Text(" │ ", style=muted), " ")

    def render(self) -> Text:
        return self._parts(max(self.size.width, 20))


NOTE_SEPARATOR = " · "


class NoteLine(Widget):
    """A one-line notice under the header (the demo's): clauses separated by `` · ``.

    It wrapped to a second line at 120 columns; now the clauses give way from the last,
    whole, so what stays is always the start of the sentence.
    """

    DEFAULT_CSS = """
    NoteLine {
        height: 1;
        padding: 0 1;
    }
    """

    def __init__(self, note: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clauses = [
            Text(clean_text(c.strip(), limit=300)) for c in note.split(NOTE_SEPARATOR) if c.strip()
        ]

    def render(self) -> Text:
        variants = [[clause, Text()] for clause in self.clauses]
        steps = list(range(len(variants) - 1, 0, -1))  # the last clause goes first
        return fit_parts(variants, steps, max(self.size.width, 10), Text(NOTE_SEPARATOR))
