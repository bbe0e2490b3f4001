"""Key ``I``: the gateway import runs in a worker, shows its progress, adds the new tasks
through the poller (one way into the table) and toasts "N new tasks, M already watched"."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from kling_tui.gateway.fetcher import Fetcher
from kling_tui.models import Status
from kling_tui.polling.poller import Poller
from kling_tui.store.watchlist import WatchList
from kling_tui.ui.app import KlingApp
from kling_tui.ui.bindings import ACTION_HELP, APP_BINDINGS
from tests.support.clock import FakeClock
from tests.support.pilot import record_notes
from tests.support.sim import gateways_for, running_simulator
from tests.support.ui_fakes import NOW, Opener, entry, wait_for


class GatedFetcher(Fetcher):
    """The real fetcher, whose list pages wait for the test to open the gate."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.gate = asyncio.Event()

    async def fetch_page(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        await self.gate.wait()
        return await super().fetch_page(*args, **kwargs)


def test_the_import_key_is_a_binding_with_an_id_and_help() -> None:
    binding = next(b for b in APP_BINDINGS if getattr(b, "action", "") == "import_tasks")
    assert (binding.key, binding.id) == ("I", "import")
    assert "Import tasks" in ACTION_HELP["import_tasks"]


async def test_I_imports_the_gateway_lists_and_toasts(tmp_path: Path) -> None:
    clock = FakeClock()
    with running_simulator(clock) as sim:
        t2v = sim.add_task("text2video", queue_seconds=0, run_seconds=1)
        img = sim.add_task("image-generations", queue_seconds=100)
        known = sim.add_task("advanced-lip-sync", queue_seconds=100)
        clock.advance(5)
        config = replace(gateways_for(sim.base_url), default_gateway="native")
        fetcher = GatedFetcher(config)
        store = WatchList(tmp_path / "watchlist.toml")
        store.load()
        store.add([entry(known.task_id, None, kind="advanced-lip-sync", gateway="native")])
        poller = Poller(store, fetcher, entries=store.entries, save_interval=0.05)
        app = KlingApp(poller, config, now=lambda: NOW, start_polling=False, open_browser=Opener())
        async with app.run_test(size=(120, 30)) as pilot:
            notes = record_notes(app)
            await pilot.press("I")
            await wait_for(pilot, lambda: app.alert.has_class("-show"))
            assert "importing" in str(app.alert.render())
            await pilot.press("I")  # a second press while it runs starts nothing
            assert notes[-1][0] == "An import is already running."
            fetcher.gate.set()
            await wait_for(pilot, lambda: any("new task" in m for m, _ in notes), timeout=10)
            assert ("2 new tasks, 1 already watched", "information") in notes
            assert not app.alert.has_class("-show")
            assert app.table.total_count == 3
            keys = {e.task_id: e for e in app.poller.entries}
            assert set(keys) == {t2v.task_id, img.task_id, known.task_id}
            assert keys[t2v.task_id].status is Status.SUCCEEDED
            assert keys[known.task_id].snapshot is not None  # the newer data, merged
            assert {e.task_id for e in WatchList(store.path).load()} == set(keys)
            await app.shutdown_poller()
        await fetcher.aclose()


async def test_I_says_how_many_listed_items_it_skipped(tmp_path: Path) -> None:
    """A listed task whose id could not be queried (``/``, ``..``) is skipped and the toast
    says so, as the command does on stderr; the others are imported."""
    clock = FakeClock()
    with running_simulator(clock) as sim:
        good = sim.add_task("text2video", queue_seconds=100)
        sim.add_task("text2video", task_id="../../etc", queue_seconds=100)
        config = replace(gateways_for(sim.base_url), default_gateway="native")
        fetcher = Fetcher(config)
        store = WatchList(tmp_path / "watchlist.toml")
        store.load()
        poller = Poller(store, fetcher, entries=store.entries, save_interval=0.05)
        app = KlingApp(poller, config, now=lambda: NOW, start_polling=False, open_browser=Opener())
        async with app.run_test(size=(120, 30)) as pilot:
            notes = record_notes(app)
            await pilot.press("I")
            await wait_for(pilot, lambda: any("new task" in m for m, _ in notes), timeout=10)
            message, severity = next((m, s) for m, s in notes if "new task" in m)
            assert message.startswith("1 new task, 0 already watched\n1 listed item skipped")
            assert severity == "warning"
            assert [e.task_id for e in app.poller.entries] == [good.task_id]
            await app.shutdown_poller()
        await fetcher.aclose()
