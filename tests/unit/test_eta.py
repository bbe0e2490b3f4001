"""The one ETA estimate: the scheduler polls by it and the dashboard shows it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from kling_tui.models import Status, TaskKey, TaskSnapshot, WatchEntry
from kling_tui.polling.eta import EtaEstimator, seconds_left
from kling_tui.polling.schedule import PollPolicy, Scheduler
from tests.support.snapshots import task_snapshot

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_seconds_left_runs_down_from_the_last_reading() -> None:
    assert seconds_left((0.0, 10.0), (100.0, 60.0), 100.0) == 80.0
    assert seconds_left((0.0, 10.0), (100.0, 60.0), 130.0) == 50.0
    assert seconds_left((0.0, 10.0), (100.0, 60.0), 1000.0) == 0.0  # late: never negative
    assert seconds_left((0.0, 60.0), (100.0, 60.0), 100.0) is None  # did not move
    assert seconds_left((5.0, 10.0), (5.0, 60.0), 5.0) is None  # no time passed


def _snap(progress: float, at: datetime) -> TaskSnapshot:
    return task_snapshot(
        "t1",
        "text2video",
        Status.IN_PROGRESS,
        at,
        status_raw="processing",
        progress=progress,
        created_at=T0,
        updated_at=at,
    )


def test_scheduler_and_dashboard_agree_on_the_time_left() -> None:
    """The same readings give the scheduler's and the screen's estimate the same value."""
    policy = PollPolicy()
    scheduler = Scheduler(policy)
    key = TaskKey("main", "text2video", "t1")
    scheduler.add(key, 0.0)
    estimator = EtaEstimator()
    entry = WatchEntry(task_id="t1", kind="text2video", gateway="main", added_at=T0)
    readings = [(0.0, 0.0), (20.0, 10.0), (120.0, 60.0)]
    for at, progress in readings:
        when = T0 + timedelta(seconds=at)
        snap = _snap(progress, when)
        scheduler.claim(key, at)
        scheduler.record(key, at, snap)
        estimator.observe(replace(entry, snapshot=snap))
    task = scheduler.task_state(key)
    assert task is not None
    shown = estimator.eta_seconds(
        replace(entry, snapshot=_snap(60.0, T0 + timedelta(seconds=120))),
        T0 + timedelta(seconds=120),
    )
    # both measure from the first reading in this render (0 % at 0 s) to the last (60 % at
    # 120 s): 0.5 %/s, 40 % left -> 80 s
    assert shown == 80.0
    assert scheduler._estimate_remaining(task, 120.0) == 80.0
