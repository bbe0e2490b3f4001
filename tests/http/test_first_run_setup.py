"""End to end: a first run with no config, the gateway set up in the dashboard, and the
very next task polled against the real simulator on 127.0.0.1, without a restart."""

from __future__ import annotations

import pytest

from kling_tui.config import load_config
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.models import Status
from kling_tui.polling.poller import Poller
from kling_tui.sim.simulator import Simulator
from kling_tui.store.watchlist import WatchList
from kling_tui.ui.app import KlingApp
from kling_tui.ui.screens.setup import GatewaySetupScreen
from tests.support.clock import FakeClock
from tests.support.sim import TOKEN
from tests.support.ui_fakes import Opener, wait_for


async def test_setup_then_add_then_the_task_is_polled(
    sim: Simulator, sim_clock: FakeClock, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KLING_API_KEY", TOKEN)
    task = sim.add_task("text2video", outcome="succeed", queue_seconds=1, run_seconds=1)
    sim_clock.advance(10)
    config = load_config()  # no file at the default location: no gateway at all
    assert config.gateways == {}
    store = WatchList(tmp_path / "watchlist.toml")
    store.load()
    fetcher = Fetcher(config)
    poller = Poller(store, fetcher, entries=store.entries, save_interval=0.05)
    app = KlingApp(poller, config, open_browser=Opener(), tick_interval=0, close_fetcher=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        assert isinstance(app.screen, GatewaySetupScreen)
        await pilot.press(*sim.base_url, "ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, GatewaySetupScreen)
        await pilot.press("a", *task.task_id, "ctrl+s")
        await wait_for(pilot, lambda: bool(poller.entries) and poller.entries[0].finished, 5.0)
        [entry] = poller.entries
        assert entry.gateway == "relay" and entry.status is Status.SUCCEEDED
        assert entry.last_error is None
        await app.shutdown_poller()
