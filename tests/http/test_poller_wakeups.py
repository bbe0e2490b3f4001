"""The poll loop starts the next poll when a connection frees, however it frees (found in
review: removing a task in flight, and run() ending with polls in flight)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from kling_tui.models import Status, TaskSnapshot, WatchEntry, utcnow
from kling_tui.polling.poller import Poller, PollUpdate
from kling_tui.polling.schedule import PollPolicy
from kling_tui.store.watchlist import WatchList


def _watch(task_id: str) -> WatchEntry:
    return WatchEntry(task_id=task_id, kind="text2video", gateway="relay", added_at=utcnow())


class Gated:
    """``stuck`` hangs until released; every other task answers at once."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started: dict[str, float] = {}
        self.stuck_started = asyncio.Event()
        self.next_started = asyncio.Event()
        self.polled = asyncio.Event()

    async def fetch(self, entry: WatchEntry) -> TaskSnapshot:
        self.started.setdefault(entry.task_id, time.monotonic())
        if entry.task_id == "next":
            self.next_started.set()
        self.polled.set()
        if entry.task_id == "stuck":
            self.stuck_started.set()
            await self.release.wait()
        return TaskSnapshot(
            entry.task_id, entry.kind, Status.IN_PROGRESS, "processing", 10.0, (), "",
            None, None, None, utcnow(),
        )  # fmt: skip


async def test_removing_the_task_in_flight_lets_the_next_one_start(tmp_path: Path) -> None:
    """Gateway limit 1, ``stuck`` in flight, ``next`` due. Removing ``stuck`` frees the
    slot (Scheduler.remove), but remove() does not poke the loop and _poll_one returns
    before dispatching ("removed while in flight"); the loop, asleep because its only
    gateway was full (next_wake skips it), starts ``next`` only at its reload/save tick."""
    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([_watch("stuck"), _watch("next")])
    fetcher = Gated()
    poller = Poller(
        store, fetcher, PollPolicy(), per_gateway_limit={"relay": 1},
        save_interval=3600.0, reload_interval=3600.0,
    )  # fmt: skip
    polled: list[str] = []
    poller.subscribe(
        lambda e: polled.append(e.entry.task_id) if isinstance(e, PollUpdate) else None
    )
    run = asyncio.create_task(poller.run())
    try:
        await asyncio.wait_for(fetcher.stuck_started.wait(), 5)
        # Let the loop reach its sleep, its gateway full. There is no public signal for
        # "asleep"; coming too early only makes the test pass without proving the wake-up,
        # never fail, so this short real wait stays.
        await asyncio.sleep(0.05)
        poller.remove([e.key for e in poller.entries if e.task_id == "stuck"])
        fetcher.release.set()  # and the removed task's answer arrives
        # The loop's own tick is an hour away: ``next`` starting at all proves the wake-up,
        # with no bound on elapsed wall time for a busy machine to break.
        await asyncio.wait_for(fetcher.next_started.wait(), 5)
    finally:
        poller.stop()
        await run


async def test_a_poll_cancelled_by_run_ending_is_polled_after_a_restart(tmp_path: Path) -> None:
    """Pre-existing, in run()'s finally: in-flight polls are cancelled, but the scheduler
    still counts them in flight (no record()); the dashboard restarts run() after a crash,
    and those tasks are never polled again, their gateway a connection short for good."""
    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([_watch("stuck")])
    fetcher = Gated()
    poller = Poller(
        store, fetcher, PollPolicy(interval=0.05), save_interval=0.1, reload_interval=0.1
    )
    run = asyncio.create_task(poller.run())
    await asyncio.wait_for(fetcher.stuck_started.wait(), 5)
    poller.stop()
    await run  # as after a crash: in-flight polls cancelled
    fetcher.started.clear()
    fetcher.stuck_started.clear()
    fetcher.polled.clear()
    fetcher.release.set()
    run = asyncio.create_task(poller.run())
    try:
        with contextlib.suppress(TimeoutError):  # a bound for failure, not a fixed wait
            await asyncio.wait_for(fetcher.polled.wait(), 5)
        assert "stuck" in fetcher.started, "never polled again after run() restarted"
    finally:
        poller.stop()
        await run
