"""``$`` (Costs) and ``%`` (Stats): open, content, close with Escape; the header's cost part."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static

from kling_tui.ui.app import KlingApp
from kling_tui.ui.screens.costs import CostsScreen
from kling_tui.ui.screens.stats import StatsScreen
from tests.support.cost_fakes import PackFetcher, cost_entries, native_config
from tests.support.ui_fakes import NOW, FakeFetcher, make_poller, wait_for


def build(tmp_path: Path, fetcher: FakeFetcher | None = None, limit: int | None = 2) -> KlingApp:
    poller = make_poller(tmp_path, cost_entries(), fetcher)
    return KlingApp(
        poller, native_config(limit), now=lambda: NOW, start_polling=False, tick_interval=0
    )


def text_of(app: KlingApp, selector: str) -> str:
    """What a Static holds, as plain text (its content is a Rich group or a Text)."""
    static = app.screen.query_one(selector, Static)
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(static.content)
    return console.export_text()


async def test_dollar_opens_costs_with_spend_capacity_and_packs(tmp_path: Path) -> None:
    fetcher = PackFetcher()
    app = build(tmp_path, fetcher)
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        header = app.summary.render().plain
        assert "$ 7.5 units today" in header and "main 2/2" in header and "full" in header
        await pilot.press("dollar_sign")
        await pilot.pause()
        assert isinstance(app.screen, CostsScreen)
        await wait_for(pilot, lambda: fetcher.cost_calls == 1)
        await pilot.pause()
        spent = text_of(app, "#costs-spent")
        assert "today 7.5 units" in spent and "kling-v2-1" in spent
        assert "2/2" in text_of(app, "#costs-capacity")
        packs = text_of(app, "#costs-packs")
        assert "Video [b]Pack[/b]" in packs and "1,835.5" in packs and "12 hours" in packs
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CostsScreen)
        await pilot.press("dollar_sign")  # within the minute: the cache, no new request
        await pilot.pause()
        assert isinstance(app.screen, CostsScreen) and fetcher.cost_calls == 1
        assert "Video [b]Pack[/b]" in text_of(app, "#costs-packs")


async def test_narrow_header_drops_the_cost_part_first(tmp_path: Path) -> None:
    app = build(tmp_path)
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        header = app.summary.render().plain
        assert "units today" not in header and header.endswith("$7.5 2/2")
        await pilot.resize_terminal(70, 20)
        await pilot.pause()
        header = app.summary.render().plain
        assert header.endswith("│ $7.5 2/2") and "submitted" not in header
        await pilot.resize_terminal(45, 20)
        await pilot.pause()
        header = app.summary.render().plain
        assert "$" not in header and "2 sub" in header


@pytest.mark.parametrize("key", ["g", "percent_sign"])
async def test_g_opens_stats_with_numbers_beside_the_plots(tmp_path: Path, key: str) -> None:
    app = build(tmp_path, limit=None)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        numbers = text_of(app, "#stats-text")
        assert "3 finished, 1 failed" in numbers
        assert "main: 1/4 (25%)" in numbers
        assert "Time to finish per kind" in numbers and "text2video" in numbers
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, StatsScreen)
