"""The Costs (``$``) and Stats (``%``) screens and the header's cost part, for the app.

Aggregation is the core's (:mod:`kling_tui.costs`, :mod:`kling_tui.stats`); this mixin feeds
it the poller's entries and the clock, keeps the header's figure (worked out again at most
every ``COST_REFRESH`` seconds: 10,000 tasks are not summed on every batch), and reads the
account's packs through the one fetcher in a worker, at most once a minute per gateway
(``PackCache``), never blocking the screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kling_tui.costs import LearnedLimits, PackCache, PackReport, capacity, summarize_costs
from kling_tui.gateway.listing import is_native
from kling_tui.stats import summarize_stats
from kling_tui.ui.screens.costs import CostsScreen
from kling_tui.ui.screens.stats import StatsScreen
from kling_tui.ui.widgets.cost_part import CostLine

if TYPE_CHECKING:
    from kling_tui.ui.app import KlingApp

COST_REFRESH = 5.0
"""Seconds the header's cost figure is kept before it is summed again."""


class CostsMixin:
    """``$``, ``%`` and the header's cost part."""

    _cost_line: CostLine | None = None
    _cost_at: float = -1e9
    _packs: PackCache | None = None
    _learned: LearnedLimits | None = None

    def _limits(self: KlingApp) -> dict[str, int | None]:
        return {n: g.concurrency_limit for n, g in self.config.gateways.items()}

    def _cost_figures(self: KlingApp) -> tuple[Any, Any]:
        if self._learned is None:
            self._learned = LearnedLimits()
        entries = self.poller.entries
        costs = summarize_costs(entries, self._now())
        caps = capacity(entries, self.gateway_names, self._limits(), self._learned)
        return costs, caps

    def header_cost(self: KlingApp) -> CostLine | None:
        """The header's cost part, summed again at most every ``COST_REFRESH`` seconds."""
        now = self._clock()
        if now - self._cost_at >= COST_REFRESH:
            costs, caps = self._cost_figures()
            self._cost_line = CostLine.of(costs, caps)
            self._cost_at = now
        return self._cost_line

    def _native_gateways(self: KlingApp) -> list[str]:
        return [n for n, g in self.config.gateways.items() if is_native(g)]

    def action_show_costs(self: KlingApp) -> None:
        if self._packs is None:
            self._packs = PackCache()
        costs, caps = self._cost_figures()
        native = self._native_gateways()
        screen = CostsScreen(
            costs, caps, list(self._packs.reports.values()), native, self._now(), self._palette
        )
        self.push_screen(screen)
        fetch = getattr(self.poller.fetcher, "fetch_costs", None)
        due = [n for n in native if self._packs.due(n, self._clock())]
        if fetch is not None and due:
            for name in due:
                self._packs.asking(name, self._clock())
            self.run_worker(
                self._read_packs(screen, fetch, due),
                group="packs",
                exit_on_error=False,
            )

    async def _read_packs(
        self: KlingApp, screen: CostsScreen, fetch: Any, names: list[str]
    ) -> None:
        cache = self._packs
        assert cache is not None
        for name in names:
            try:
                page = await fetch(self.config.gateways[name])
                error = page.error.message if page.error is not None else None
                cache.store(PackReport(name, page.packs, self._now(), error))
            except Exception as exc:  # a surprise must not end the app: say it
                cache.store(PackReport(name, error=f"cannot read packs: {type(exc).__name__}"))
            screen.show(list(cache.reports.values()))

    def action_show_stats(self: KlingApp) -> None:
        self.push_screen(StatsScreen(summarize_stats(self.poller.entries, self._now())))
