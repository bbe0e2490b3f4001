"""The polling loop against the real simulator: tasks finish, outages pass, saves batch."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kling_tui.config import AppConfig
from kling_tui.models import Status, WatchEntry, utcnow
from kling_tui.polling.poller import (
    ListChanged,
    Notice,
    Poller,
    PollerEvent,
    PollUpdate,
    StateChanged,
)
from kling_tui.polling.schedule import PollPolicy
from kling_tui.sim.simulator import Fault, Simulator
from kling_tui.store.watchlist import WatchList
from tests.support.clock import FakeClock
from tests.support.polling import make, run_until, watch


async def loop_turns(poller: Poller, turns: int, timeout: float = 5.0) -> None:
    """Wait until the running loop has planned its next sleep ``turns`` times.

    Proves the loop looked at the schedule and chose not to poll; a fixed sleep proved
    nothing on a busy machine (the loop might not have turned at all)."""
    done = asyncio.Event()
    seen = 0
    real = poller.scheduler.next_wake

    def counting(*args: object, **kwargs: object) -> float | None:
        nonlocal seen
        seen += 1
        if seen >= turns:
            done.set()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    poller.scheduler.next_wake = counting  # type: ignore[method-assign]
    try:
        async with asyncio.timeout(timeout):
            await done.wait()
    finally:
        del poller.scheduler.next_wake


async def test_tasks_run_to_the_end_and_are_saved(
    tmp_path: Path, sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    ok = sim.add_task("text2video", outcome="succeed", queue_seconds=1, run_seconds=2)
    bad = sim.add_task("image2video", outcome="fail", queue_seconds=1, run_seconds=2)
    native = sim.add_task("multi-image2video", outcome="succeed", queue_seconds=1, run_seconds=2)
    poller, store, events = make(
        tmp_path,
        app_config,
        [
            watch(ok.task_id),
            watch(bad.task_id, "image2video"),
            watch(native.task_id, "multi-image2video", "native"),
        ],
    )

    # server time moves a quarter second per poll result: the tasks progress as the loop
    # polls them, however slowly a busy machine runs it
    poller.subscribe(lambda e: sim_clock.advance(0.25) if isinstance(e, PollUpdate) else None)
    await run_until(poller, lambda: all(e.finished for e in poller.entries))
    by_id = {e.task_id: e for e in poller.entries}
    assert by_id[ok.task_id].status is Status.SUCCEEDED
    assert by_id[bad.task_id].status is Status.FAILED
    assert by_id[native.task_id].status is Status.SUCCEEDED
    updates = [e for e in events if isinstance(e, PollUpdate)]
    assert sum(1 for u in updates if u.finished_now) == 3
    # the final state reached the file
    saved = {e.task_id: e for e in WatchList(store.path).load()}
    assert saved[ok.task_id].status is Status.SUCCEEDED
    assert saved[ok.task_id].snapshot is not None and saved[ok.task_id].snapshot.videos
    assert saved[bad.task_id].status is Status.FAILED


async def test_finished_tasks_are_not_polled_again(
    tmp_path: Path, sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    task = sim.add_task(queue_seconds=0, run_seconds=0)
    sim_clock.advance(1)
    poller, _, _ = make(tmp_path, app_config, [watch(task.task_id)])
    await poller.poll_once()
    assert poller.entries[0].finished
    sim.reset_log()
    runner = asyncio.create_task(poller.run())
    await loop_turns(poller, 4)  # four turns of the loop (reload ticks), no poll
    poller.stop()
    await runner
    assert sim.request_count == 0
    poller.refresh(poller.entries[0].key)
    await run_until(poller, lambda: sim.request_count >= 1, timeout=2)
    assert sim.request_count >= 1


async def test_outage_keeps_last_good_snapshot_marks_stale_and_recovers(
    tmp_path: Path, sim: Simulator, app_config: AppConfig
) -> None:
    task = sim.add_task(queue_seconds=100, run_seconds=100)
    poller, _, events = make(tmp_path, app_config, [watch(task.task_id)])
    await poller.poll_once()
    good = poller.entries[0].snapshot
    assert good is not None and good.status is Status.SUBMITTED
    sim.inject(Fault.DROP, count=-1)
    await poller.poll_once()
    entry = poller.entries[0]
    assert entry.snapshot is good, "the last good snapshot is kept"
    assert entry.last_error is not None and entry.last_error.type.value == "network"
    assert any(isinstance(e, PollUpdate) and e.stale for e in events)
    sim.clear_faults()
    await run_until(poller, lambda: poller.entries[0].last_error is None, timeout=10)
    assert poller.entries[0].snapshot is not None


async def test_auth_failure_shows_in_state(
    tmp_path: Path, sim: Simulator, app_config: AppConfig
) -> None:
    task = sim.add_task(queue_seconds=100)
    sim.inject(Fault.UNAUTHORIZED, count=-1)
    poller, _, events = make(tmp_path, app_config, [watch(task.task_id)])
    await run_until(poller, lambda: poller.entries[0].last_error is not None, timeout=3)
    states = [e for e in events if isinstance(e, StateChanged)]
    assert any(s.state.value == "auth failed" and "401" in s.detail for s in states)


async def test_pause_stops_polling_and_resume_restarts(
    tmp_path: Path, sim: Simulator, app_config: AppConfig
) -> None:
    task = sim.add_task(queue_seconds=100)
    poller, _, _ = make(tmp_path, app_config, [watch(task.task_id)])
    poller.pause()
    sim.reset_log()
    polled = asyncio.Event()
    poller.subscribe(lambda e: polled.set() if isinstance(e, PollUpdate) else None)
    runner = asyncio.create_task(poller.run())
    await loop_turns(poller, 3)  # three turns of the paused loop, no poll
    assert sim.request_count == 0
    poller.resume()
    async with asyncio.timeout(3):  # a bound for failure; no fixed wait on a busy machine
        await polled.wait()
    poller.stop()
    await runner
    assert sim.request_count >= 1


async def test_results_are_written_in_batches(
    tmp_path: Path,
    sim: Simulator,
    sim_clock: FakeClock,
    app_config: AppConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tasks = [sim.add_task(queue_seconds=0, run_seconds=0) for _ in range(60)]
    sim_clock.advance(1)
    poller, store, _ = make(
        tmp_path, app_config, [watch(t.task_id) for t in tasks], save_interval=10.0
    )
    writes: list[int] = []
    real_update = store.update

    def counting_update(entries):  # type: ignore[no-untyped-def]
        batch = list(entries)
        writes.append(len(batch))
        real_update(batch)

    monkeypatch.setattr(store, "update", counting_update)
    await run_until(poller, lambda: all(e.finished for e in poller.entries), timeout=5)
    assert sum(writes) == 60
    assert len(writes) <= 2, f"60 results took {len(writes)} file writes"


async def test_another_process_adding_a_task_is_picked_up(
    tmp_path: Path, sim: Simulator, app_config: AppConfig
) -> None:
    first = sim.add_task(queue_seconds=100)
    second = sim.add_task(queue_seconds=100)
    poller, store, events = make(tmp_path, app_config, [watch(first.task_id)])
    other = WatchList(store.path)
    other.load()

    polled = asyncio.Event()
    poller.subscribe(lambda e: polled.set() if isinstance(e, PollUpdate) else None)

    async def add_later() -> None:
        await polled.wait()  # the loop is running and has polled the first task
        other.add([watch(second.task_id)])

    adder = asyncio.create_task(add_later())
    await run_until(poller, lambda: len(poller.entries) == 2, timeout=3)
    await adder
    assert any(isinstance(e, ListChanged) and e.added for e in events)


async def test_a_task_added_by_another_process_just_before_a_save_is_tracked(
    tmp_path: Path, sim: Simulator, app_config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The save looked for another process's change, then took the lock: a task added in
    between reached the store (and the file) but the poller never polled it. Found by a
    flaky test_another_process_adding_a_task_is_picked_up under load."""
    first = sim.add_task(queue_seconds=100)
    second = sim.add_task(queue_seconds=100)
    poller, store, _ = make(tmp_path, app_config, [watch(first.task_id)])
    real_update = store.update

    def other_process_adds_first(entries):  # type: ignore[no-untyped-def]
        other = WatchList(store.path)
        other.load()
        other.add([watch(second.task_id)])
        real_update(entries)

    monkeypatch.setattr(store, "update", other_process_adds_first)
    await poller.poll_once()  # polls the first task, then saves its result
    assert {e.task_id for e in poller.entries} == {first.task_id, second.task_id}


async def test_broken_hand_edit_is_reported_and_polling_goes_on(
    tmp_path: Path, sim: Simulator, app_config: AppConfig
) -> None:
    task = sim.add_task(queue_seconds=100)
    # No save while the loop runs (only the last one, at stop): an editor does not take the
    # watch list's lock, so a save of ours at the moment it writes could replace its text,
    # and the test would wait for a notice that never comes. This test is about the reload.
    poller, store, events = make(tmp_path, app_config, [watch(task.task_id)], save_interval=60)
    original = store.path.read_bytes()
    polled = asyncio.Event()
    poller.subscribe(lambda e: polled.set() if isinstance(e, PollUpdate) else None)

    async def break_file() -> None:
        await polled.wait()  # the loop is running
        # in place, as nano does: truncate, then write (a reload may run in between)
        store.path.write_bytes(original + b"\n[[tasks]\nbroken")
        polled.clear()

    breaker = asyncio.create_task(break_file())
    notified = False

    def reported_then_polled() -> bool:
        nonlocal notified
        if not notified and any(isinstance(e, Notice) for e in events):
            notified = True
            polled.clear()
        return notified and polled.is_set()

    await run_until(poller, reported_then_polled, timeout=3)
    await breaker
    notice = next(e for e in events if isinstance(e, Notice))
    assert str(store.path) in notice.message
    assert len(poller.entries) == 1
    assert store.path.read_bytes().endswith(b"broken"), "a broken file is never overwritten"


async def test_the_loop_sleeps_while_the_gateway_is_full(tmp_path: Path) -> None:
    """With more tasks due than connections, polls start as others end; the loop itself
    must not wake over and over meanwhile (it did, every millisecond)."""
    from kling_tui.models import TaskSnapshot

    class Slow:
        async def fetch(self, entry: WatchEntry) -> TaskSnapshot:
            await asyncio.sleep(0.05)  # the behaviour under test: a slow gateway
            return TaskSnapshot(
                entry.task_id, entry.kind, Status.IN_PROGRESS, "processing", 10.0, (), "",
                None, None, None, utcnow(),
            )  # fmt: skip

    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([watch(f"slow-{i}") for i in range(12)])
    poller = Poller(store, Slow(), PollPolicy(), per_gateway_limit={"relay": 2}, save_interval=60)
    seen: list[str] = []
    all_seen = asyncio.Event()

    def record(event: PollerEvent) -> None:
        if isinstance(event, PollUpdate):
            seen.append(event.entry.task_id)
            if len(seen) >= 12:
                all_seen.set()

    poller.subscribe(record)
    wakes = 0
    real = poller.scheduler.next_wake

    def counting(*args: object, **kwargs: object) -> float | None:
        nonlocal wakes
        wakes += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    poller.scheduler.next_wake = counting  # type: ignore[method-assign]
    run = asyncio.create_task(poller.run())
    await asyncio.wait_for(all_seen.wait(), 10)  # a bound for failure, not a fixed wait
    poller.stop()
    await run
    assert sorted(seen) == sorted(f"slow-{i}" for i in range(12))  # 6 rounds of 2, ~0.3 s
    assert wakes < 40  # one per poll and a few loop turns, not one per millisecond
