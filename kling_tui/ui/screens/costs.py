"""The Costs screen (``$``): what today and this week cost, capacity, the account's packs.

Draws plain data from :mod:`kling_tui.costs` (no aggregation here). Every server string
(pack names, statuses, messages) is shown as ``Text``, never as markup, cleaned again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from kling_tui.costs import PACK_LAG_HOURS, Capacity, CostSummary, PackReport
from kling_tui.gateway.sanitize import clean_text
from kling_tui.ui.format import text_table
from kling_tui.ui.widgets.cost_part import _units, gauge_text
from kling_tui.ui.widgets.palette import Palette

CLOSE_HINT = "Esc closes · ↑ ↓ PgUp PgDn scroll"


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    days = (moment - now).total_seconds() / 86400
    date = moment.strftime("%Y-%m-%d")
    if days >= 0:
        return f"{date} (in {days:.0f} d)"
    return f"{date} ({-days:.0f} d ago)"


def spend_table(costs: CostSummary) -> Group:
    bold = Style(bold=True)
    head = Text("Spent ", style=bold)
    head.append("(live: the sum of the tasks' own costs)", style="dim")
    totals = Text(
        f"today {_units(costs.units_today)} units · this week {_units(costs.units_week)} units"
    )
    if costs.quota_week:
        totals.append(
            f" · relay quota today {_units(costs.quota_today)}, "
            f"this week {_units(costs.quota_week)}"
        )
    table = text_table(
        (
            ("gateway", "left"),
            ("kind", "left"),
            ("model", "left"),
            ("today", "right"),
            ("week", "right"),
            ("tasks", "right"),
        ),
        (
            (
                clean_text(r.gateway, 40),
                clean_text(r.kind, 40),
                clean_text(r.model, 40),
                _units(r.today) + ("" if r.currency == "units" else " q"),
                _units(r.week) + ("" if r.currency == "units" else " q"),
                f"{r.tasks_today}/{r.tasks_week}",
            )
            for r in costs.rows
        ),
    )
    parts: list[Table | Text] = [head, totals]
    if costs.rows:
        parts.append(table)
    else:
        parts.append(Text("No task this week has a cost in its answer yet.", style="dim"))
    if costs.unpriced:
        parts.append(Text(f"{costs.unpriced} finished task(s) without a cost: not counted."))
    return Group(*parts)


def capacity_text(capacities: Sequence[Capacity], palette: Palette) -> Group:
    head = Text("Capacity ", style=Style(bold=True))
    head.append("(tasks submitted or processing per gateway)", style="dim")
    lines: list[Text] = [head]
    for c in capacities:
        line = gauge_text(c, palette, cells=20)
        if c.source == "1303":
            line.append("  limit learned from a 1303 answer", style="dim")
        elif c.source == "config":
            line.append("  limit from config (concurrency_limit)", style="dim")
        elif c.limit is None:
            line.append("  limit unknown: set concurrency_limit", style="dim")
        lines.append(line)
    if not capacities:
        lines.append(Text("No gateway.", style="dim"))
    return Group(*lines)


def packs_text(reports: Sequence[PackReport], native: Sequence[str], now: datetime) -> Group:
    bold = Style(bold=True)
    head = Text("Resource packs ", style=bold)
    head.append(
        f"(/account/costs, native gateways; remaining lags up to {PACK_LAG_HOURS} hours)",
        style="dim",
    )
    parts: list[Table | Text] = [head]
    by_name = {r.gateway: r for r in reports}
    if not native:
        parts.append(Text("No native gateway: relays have no packs to read.", style="dim"))
    for name in native:
        report = by_name.get(name)
        title = Text(clean_text(name, 40) + "  ", style=bold)
        if report is None:
            title.append("asking…", style="dim")
            parts.append(title)
            continue
        if report.fetched_at is not None:
            title.append(f"read {report.fetched_at.strftime('%H:%M')} UTC", style="dim")
        parts.append(title)
        if report.error:
            parts.append(Text("  " + clean_text(report.error, 300), style="bold"))
        if report.packs:
            table = text_table(
                (
                    ("pack", "left"),
                    ("remaining", "right"),
                    ("total", "right"),
                    ("expires", "left"),
                    ("status", "left"),
                ),
                (
                    (
                        clean_text(p.name, 60),
                        "-" if p.remaining is None else _units(p.remaining),
                        "-" if p.total is None else _units(p.total),
                        _when(p.expires_at, now),
                        clean_text(p.status, 20),
                    )
                    for p in report.packs
                ),
            )
            parts.append(table)
        elif not report.error:
            parts.append(Text("  no pack", style="dim"))
    return Group(*parts)


class CostsScreen(ModalScreen[None]):
    """Spend, capacity and packs; ``show`` redraws with new data (packs arrive later)."""

    DEFAULT_CSS = """
    CostsScreen { align: center middle; }
    CostsScreen > VerticalScroll {
        width: 100%;
        max-width: 120;
        height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    CostsScreen Static { margin-bottom: 1; }
    CostsScreen #costs-hint { color: $text-muted; margin: 0; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,dollar_sign", "close", "Close", id="costs-close")
    ]

    def __init__(
        self,
        costs: CostSummary,
        capacities: Sequence[Capacity],
        reports: Sequence[PackReport],
        native: Sequence[str],
        now: datetime,
        palette: Palette,
    ) -> None:
        super().__init__()
        self._data = (costs, tuple(capacities), tuple(reports), tuple(native), now)
        self._palette = palette

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="costs-body"):
            yield Static(id="costs-spent")
            yield Static(id="costs-capacity")
            yield Static(id="costs-packs")
            yield Static(Text(CLOSE_HINT), id="costs-hint")

    def on_mount(self) -> None:
        self._draw()

    def show(self, reports: Sequence[PackReport]) -> None:
        costs, caps, _, native, now = self._data
        self._data = (costs, caps, tuple(reports), native, now)
        if self.is_mounted:
            self._draw()

    def _draw(self) -> None:
        costs, caps, reports, native, now = self._data
        self.query_one("#costs-spent", Static).update(spend_table(costs))
        self.query_one("#costs-capacity", Static).update(capacity_text(caps, self._palette))
        self.query_one("#costs-packs", Static).update(packs_text(reports, native, now))

    def action_close(self) -> None:
        self.dismiss(None)
