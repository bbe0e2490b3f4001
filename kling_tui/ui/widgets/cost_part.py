"""The header's cost and capacity part: its own forms, longest first, for ``fit_parts``.

Self-contained so the header (``summary.py``) only names it: ``cost_variants(line, palette)``
gives the forms (units today, the fullest gateway's slots as a gauge; then a short form; then
nothing), and ``DROP_ORDER`` drops it before anything else on a narrow screen. The gauge is
drawn in the warning colour when the gateway's slots are all taken.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from kling_tui.costs import Capacity, CostSummary
from kling_tui.gateway.sanitize import clean_text
from kling_tui.ui.widgets.palette import Palette

GAUGE_CELLS = 5


@dataclass(frozen=True, slots=True)
class CostLine:
    """What the header shows: units today (Kling units, then relay quota) and one gauge."""

    units_today: float = 0.0
    quota_today: float = 0.0
    gauge: Capacity | None = None

    @classmethod
    def of(cls, costs: CostSummary, capacities: tuple[Capacity, ...]) -> CostLine:
        """The fullest gateway with a known limit (no limit known: no gauge; the Costs
        screen still counts the slots in use)."""
        known = [c for c in capacities if c.limit]
        gauge = max(known, key=lambda c: (c.ratio, c.in_use), default=None)
        return cls(costs.units_today, costs.quota_today, gauge)

    @property
    def empty(self) -> bool:
        return not self.units_today and not self.quota_today and self.gauge is None


def _units(value: float) -> str:
    return f"{value:,.1f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"


def gauge_text(c: Capacity, palette: Palette, *, cells: int = GAUGE_CELLS) -> Text:
    """``native 3/5 ███░░``: in the warning colour when full; ``3/?`` when the limit is unknown."""
    colour = palette.warning if c.full else palette.badge_color("succeeded")
    text = Text(clean_text(c.gateway, 40) + " ", style=Style(color=palette.muted))
    text.append(f"{c.in_use}/{c.limit if c.limit else '?'}", style=Style(color=colour, bold=True))
    if c.limit:
        filled = round(c.ratio * cells)
        text.append(" " + "█" * filled, style=Style(color=colour))
        text.append("░" * (cells - filled), style=Style(color=palette.muted))
    if c.full:
        text.append(" full", style=Style(color=colour, bold=True))
    return text


def cost_variants(line: CostLine | None, palette: Palette) -> list[Text]:
    """The part's forms, longest first; the last one is empty (the part dropped)."""
    if line is None or line.empty:
        return [Text()]
    muted = Style(color=palette.muted)
    long, short = Text(), Text()
    money = []
    if line.units_today or not line.quota_today:
        money.append(f"{_units(line.units_today)} units")
    if line.quota_today:
        money.append(f"{_units(line.quota_today)} quota")
    long.append("$ " + " + ".join(money) + " today", style=muted)
    short.append("$" + _units(line.units_today or line.quota_today), style=muted)
    if line.gauge is not None:
        long.append(" · ", style=muted)
        long.append_text(gauge_text(line.gauge, palette))
        g = line.gauge
        colour = palette.warning if g.full else palette.badge_color("succeeded")
        short.append(f" {g.in_use}/{g.limit or '?'}", style=Style(color=colour, bold=True))
    return [long, short, Text()]
