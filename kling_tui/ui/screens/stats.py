"""The Stats screen (``%``): a picture of the day, drawn from :mod:`kling_tui.stats`.

Plots (``textual-plotext``) on the left, the same numbers as plain text on the right, for
screen readers and copy-paste. Kinds and gateway names are the watch list's (cleaned).
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static
from textual_plotext import PlotextPlot

from kling_tui.gateway.sanitize import clean_text
from kling_tui.stats import Distribution, StatsSummary
from kling_tui.ui.format import text_table

CLOSE_HINT = "Esc closes"


def _secs(value: float) -> str:
    if value >= 3600:
        return f"{value / 3600:.1f}h"
    if value >= 60:
        return f"{value / 60:.0f}m"
    return f"{value:.0f}s"


def numbers(stats: StatsSummary) -> Group:
    """Everything the plots show, as text."""
    bold = Style(bold=True)
    parts: list[Text | Table] = []
    done, failed = sum(stats.finished), sum(stats.failed)
    parts.append(Text(f"Last 24 h: {done} finished, {failed} failed", style=bold))
    busy = [
        f"{h.strftime('%H')}h {f}/{x}"
        for h, f, x in zip(stats.hours, stats.finished, stats.failed, strict=True)
        if f or x
    ]
    parts.append(Text("per hour (ok/failed): " + (", ".join(busy) or "none")))

    def dist_table(title: str, rows: tuple[Distribution, ...]) -> None:
        parts.append(Text(title, style=bold))
        if not rows:
            parts.append(Text("  none", style="dim"))
            return
        table = text_table(
            (
                ("kind", "left"),
                ("n", "right"),
                ("min", "right"),
                ("median", "right"),
                ("max", "right"),
            ),
            (
                (clean_text(d.kind, 30), str(d.count), _secs(d.low), _secs(d.median), _secs(d.high))
                for d in rows
            ),
        )
        parts.append(table)

    dist_table("Queue wait per kind", stats.waits)
    dist_table("Time to finish per kind", stats.renders)
    parts.append(Text("Failure rate per gateway", style=bold))
    for r in stats.rates:
        parts.append(Text(f"  {clean_text(r.gateway, 30)}: {r.failed}/{r.ended} ({r.rate:.0%})"))
    if not stats.rates:
        parts.append(Text("  none", style="dim"))
    return Group(*parts)


class StatsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    StatsScreen { align: center middle; }
    StatsScreen > Vertical {
        width: 100%;
        height: 100%;
        border: thick $primary;
        background: $surface;
    }
    StatsScreen #stats-plots { width: 1fr; }
    StatsScreen #stats-numbers { width: 40; padding: 0 1; }
    StatsScreen PlotextPlot { height: 1fr; min-height: 6; }
    StatsScreen #stats-hint { height: 1; color: $text-muted; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,g,percent_sign", "close", "Close", id="stats-close")
    ]

    def __init__(self, stats: StatsSummary) -> None:
        super().__init__()
        self.stats = stats

    def compose(self) -> ComposeResult:
        with Vertical():
            with Horizontal():
                with Vertical(id="stats-plots"):
                    yield PlotextPlot(id="plot-hours")
                    yield PlotextPlot(id="plot-times")
                    yield PlotextPlot(id="plot-rates")
                with VerticalScroll(id="stats-numbers"):
                    yield Static(numbers(self.stats), id="stats-text")
            yield Static(Text(CLOSE_HINT), id="stats-hint")

    def on_mount(self) -> None:
        s = self.stats
        hours = self.query_one("#plot-hours", PlotextPlot).plt
        labels = [h.strftime("%H") for h in s.hours]
        hours.multiple_bar(
            labels, [list(s.finished), list(s.failed)], labels=["finished", "failed"]
        )
        hours.title("Tasks per hour (UTC)")
        hours.xticks(list(range(0, len(labels), 3)), labels[::3])
        times = self.query_one("#plot-times", PlotextPlot).plt
        kinds = sorted({d.kind for d in (*s.waits, *s.renders)})
        top = max((d.median for d in (*s.waits, *s.renders)), default=0.0)
        unit, per = ("minutes", 60.0) if top >= 120 else ("seconds", 1.0)
        waits = {d.kind: d.median / per for d in s.waits}
        renders = {d.kind: d.median / per for d in s.renders}
        if kinds:
            times.multiple_bar(
                [clean_text(k, 16) for k in kinds],
                [[waits.get(k, 0.0) for k in kinds], [renders.get(k, 0.0) for k in kinds]],
                labels=["queue wait", "to finish"],
            )
        times.title(f"Median {unit} per kind")
        rates = self.query_one("#plot-rates", PlotextPlot).plt
        if s.rates:
            rates.bar(
                [clean_text(r.gateway, 16) for r in s.rates],
                [round(r.rate * 100, 1) for r in s.rates],
                orientation="horizontal",
            )
            rates.xlim(0, 100)
        rates.title("Failure rate per gateway (%)")

    def action_close(self) -> None:
        self.dismiss(None)
