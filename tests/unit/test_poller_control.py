"""Poller control without HTTP: stop() before run(), refresh while paused (issue 9)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kling_tui.models import Status, TaskKey, TaskSnapshot, WatchEntry, utcnow
from kling_tui.polling.poller import Poller, PollUpdate
from kling_tui.polling.schedule import PollPolicy
from kling_tui.store.watchlist import WatchList


def _watch(task_id: str) -> WatchEntry:
    return WatchEntry(task_id=task_id, kind="text2video", gateway="relay", added_at=utcnow())


class Counting:
    """Answers at once, in progress; counts the fetches of each task."""

    def __init__(self) -> None:
        self.fetched: list[str] = []

    async def fetch(self, entry: WatchEntry) -> TaskSnapshot:
        self.fetched.append(entry.task_id)
        return TaskSnapshot(
            entry.task_id, entry.kind, Status.IN_PROGRESS, "processing", 10.0, (), "",
            None, None, None, utcnow(),
        )  # fmt: skip


def _poller(tmp_path: Path, ids: list[str], fetcher: Counting) -> Poller:
    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([_watch(i) for i in ids])
    return Poller(store, fetcher, PollPolicy(interval=60.0), save_interval=60, reload_interval=60)


async def test_stop_before_run_makes_run_return(tmp_path: Path) -> None:
    """``wait`` on finished tasks stopped the poller before its loop started; run() then
    cleared the flag and polled forever."""
    fetcher = Counting()
    poller = _poller(tmp_path, ["a"], fetcher)
    poller.stop()
    await asyncio.wait_for(poller.run(), 2)
    assert fetcher.fetched == []
    # and a later run (the dashboard restarting its loop) polls again
    updated = asyncio.Event()
    poller.subscribe(lambda e: updated.set() if isinstance(e, PollUpdate) else None)
    runner = asyncio.create_task(poller.run())
    try:
        await asyncio.wait_for(updated.wait(), 2)
    finally:
        poller.stop()
        await asyncio.wait_for(runner, 2)
    assert fetcher.fetched == ["a"]


async def _run_paused(poller: Poller, act, first: int, then: int) -> None:  # type: ignore[no-untyped-def]
    """Run the loop until ``first`` polls, pause, ``act``, and wait for ``then`` polls."""
    seen = asyncio.Event()
    count = {"n": 0}

    def on_event(event: object) -> None:
        if isinstance(event, PollUpdate):
            count["n"] += 1
            if count["n"] >= (then if poller.paused else first):
                seen.set()

    poller.subscribe(on_event)
    runner = asyncio.create_task(poller.run())
    try:
        await asyncio.wait_for(seen.wait(), 2)  # the first round: every task once
        poller.pause()
        seen.clear()
        count["n"] = 0
        act()
        await asyncio.wait_for(seen.wait(), 2)
        for _ in range(5):  # let anything wrongly started run to its end
            await asyncio.sleep(0)
    finally:
        poller.stop()
        await asyncio.wait_for(runner, 2)


async def test_refresh_while_paused_fetches_that_task_once(tmp_path: Path) -> None:
    fetcher = Counting()
    poller = _poller(tmp_path, ["a", "b", "c"], fetcher)

    def act() -> None:
        poller.scheduler.refresh(None, poller._clock())  # everything is due ...
        fetcher.fetched.clear()
        poller.refresh(TaskKey("b", "text2video", "relay"))  # ... only b was asked for

    await _run_paused(poller, act, first=3, then=1)
    assert fetcher.fetched == ["b"]
    assert poller.paused


async def test_refresh_all_while_paused_fetches_each_once(tmp_path: Path) -> None:
    fetcher = Counting()
    poller = _poller(tmp_path, ["a", "b", "c"], fetcher)

    def act() -> None:
        fetcher.fetched.clear()
        poller.refresh(None)

    await _run_paused(poller, act, first=3, then=3)
    assert sorted(fetcher.fetched) == ["a", "b", "c"]
    assert poller.paused


async def test_merge_snapshots_delivers_an_imports_newer_data_and_saves_it(tmp_path: Path) -> None:
    """Import (key I): a watched task found on a list page gets that snapshot through the
    poller, as a PollUpdate, saved with the next flush; untracked keys are ignored."""
    poller = _poller(tmp_path, ["a"], Counting())
    seen: list[PollUpdate] = []
    poller.subscribe(lambda e: seen.append(e) if isinstance(e, PollUpdate) else None)
    done = TaskSnapshot(
        "a", "text2video", Status.SUCCEEDED, "succeed", 100.0, (), "", None, None, None, utcnow()
    )
    key = TaskKey("a", "text2video", "relay")
    other = TaskKey("zzz", "text2video", "relay")
    assert poller.merge_snapshots([(key, done), (other, done)]) == 1
    assert poller.merge_snapshots([(key, done)]) == 0  # the same snapshot again: nothing
    assert [u.finished_now for u in seen] == [True]
    assert poller.scheduler.task_state(key).next_due is None  # finished: not polled again
    await poller.flush()
    assert WatchList(poller.store.path).load()[0].snapshot == done


def test_loaded_tasks_reach_the_scheduler_at_its_first_use_as_of_the_load(
    tmp_path: Path,
) -> None:
    """Construction leaves the schedule to the scheduler's first use (a start's first frame
    does not wait for 10,000 schedule entries); what it then holds is what an eager add at
    construction gave: every task, due as of the construction's clock reading, a finished
    one not due."""
    from tests.support.clock import FakeClock

    clock = FakeClock()
    store = WatchList(tmp_path / "w.toml")
    store.load()
    done = _watch("done")
    done.snapshot = TaskSnapshot(
        "done", "text2video", Status.SUCCEEDED, "succeed", 100.0, (), "",
        None, None, None, utcnow(),
    )  # fmt: skip
    store.add([_watch("a"), _watch("b"), done])
    poller = Poller(store, Counting(), PollPolicy(interval=60.0), clock=clock)
    assert poller._scheduler.task_state(TaskKey("a", "text2video", "relay")) is None
    assert poller.render_times is poller._scheduler.times  # the ETA's feed builds nothing
    assert poller._unscheduled
    clock.now += 500.0  # the first use comes later: the tasks still date from the load
    keys = [TaskKey(i, "text2video", "relay") for i in ("a", "b", "done")]
    states = [poller.scheduler.task_state(k) for k in keys]
    assert all(s is not None for s in states)
    assert [s.status_since for s in states if s] == [1000.0, 1000.0, 1000.0]
    assert [s.next_due for s in states if s][:2] == [1000.0, 1000.0]
    assert poller.scheduler.due(clock(), per_gateway_limit={"relay": 10}) == keys[:2]
