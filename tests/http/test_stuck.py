"""Issue 12 item 3 against the simulator: a relay task that never moves is found stuck,
its synthetic 30 % recognised, its state's start saved, and ``ls --json`` says so."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

from kling_tui.cli import main
from kling_tui.config import AppConfig
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.models import Status, WatchEntry, utcnow
from kling_tui.polling.poller import Poller
from kling_tui.sim.simulator import Simulator
from kling_tui.store.watchlist import WatchList
from tests.support.clock import FakeClock


async def test_a_relay_task_that_never_moves_is_stuck_and_ls_says_so(
    env: Path, sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    # The answers' times follow the simulator's clock, 40 minutes in the past, so that
    # ``ls`` (which decides at the real now) sees the same picture.
    epoch = utcnow() - timedelta(minutes=40) - timedelta(seconds=sim_clock.now)
    frozen = sim.add_task(queue_seconds=1, stuck_at=30)
    moving = sim.add_task(queue_seconds=1, run_seconds=4 * 3600)
    path = env  # the watch list ``ls`` reads; the env fixture gave the CLI the token too
    store = WatchList(path)
    store.load()
    added = utcnow()
    store.add(
        [
            WatchEntry(task_id=t.task_id, kind="text2video", gateway="relay", added_at=added)
            for t in (frozen, moving)
        ]
    )
    fetcher = Fetcher(app_config, now=lambda: epoch + timedelta(seconds=sim_clock.now))
    poller = Poller(store, fetcher, entries=store.entries)
    try:
        sim_clock.advance(2)
        await poller.poll_once()
        stuck_entry, moving_entry = poller.entries
        snap = stuck_entry.snapshot
        assert snap is not None and snap.status is Status.IN_PROGRESS and snap.progress == 30
        assert snap.progress_synthetic, "the relay record's 30 % is a synthetic step"
        for _ in range(7):  # 35 minutes, polled every 5: the frozen one never moves
            sim_clock.advance(300)
            await poller.poll_once()
        assert stuck_entry.stuck, "unmoved 35 min, a video is stuck after 30"
        assert not moving_entry.stuck, "its percentage moves"
        assert stuck_entry.state_since == epoch + timedelta(seconds=1002)
    finally:
        await fetcher.aclose()
    saved = {e.task_id: e for e in WatchList(path).load()}
    assert saved[frozen.task_id].state_since == stuck_entry.state_since, "kept over a restart"
    out = io.StringIO()
    assert main(["ls", "--json"], out=out) == 0
    stuck = {r["task_id"]: r["stuck"] for r in map(json.loads, out.getvalue().splitlines())}
    assert stuck == {frozen.task_id: True, moving.task_id: False}
