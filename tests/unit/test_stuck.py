"""Issue 12 item 3: learned render times, the stuck rule, synthetic relay progress.

Times come from the one ``FakeClock`` (seconds), turned into the aware datetimes answers
carry; nothing sleeps.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from kling_tui.gateway.normalize import normalize
from kling_tui.kinds import Media
from kling_tui.models import Status, TaskSnapshot, WatchEntry
from kling_tui.polling.eta import (
    DEFAULT_TIMES,
    STUCK_MIN_SECONDS,
    EtaEstimator,
    Phase,
    RenderTimes,
    Typical,
    is_stuck,
    reads_synthetic,
    stuck_after,
)
from kling_tui.polling.poller import apply_result
from kling_tui.polling.schedule import PollPolicy, Scheduler
from kling_tui.store.codec import entry_to_table, read_entry
from kling_tui.store.errors import EntryInvalid
from tests.support.clock import FakeClock
from tests.support.snapshots import task_snapshot

EPOCH = datetime(2026, 11, 22, tzinfo=UTC)


def wall(clock: FakeClock) -> datetime:
    return EPOCH + timedelta(seconds=clock.now)


def answer(
    clock: FakeClock,
    status: Status = Status.IN_PROGRESS,
    progress: float | None = None,
    *,
    kind: str = "text2video",
    model: str | None = None,
    synthetic: bool = False,
    created: datetime | None = None,
) -> TaskSnapshot:
    return task_snapshot(
        "t-1",
        kind,
        status,
        wall(clock),
        progress=progress,
        created_at=created,
        model=model,
        progress_synthetic=synthetic,
    )


def watched(kind: str = "text2video") -> WatchEntry:
    return WatchEntry(task_id="t-1", kind=kind, gateway="relay", added_at=EPOCH)


# -- learned times ------------------------------------------------------------------------


def test_learned_times_fall_back_from_model_to_kind_to_media_to_the_default() -> None:
    times = RenderTimes(min_samples=3)
    r = Phase.RENDER
    # nothing learned: the media's default (an image is far faster than a video)
    assert times.typical(r, "text2video") == DEFAULT_TIMES[Media.VIDEO][r]
    assert times.typical(r, "image-generations") == DEFAULT_TIMES[Media.IMAGE][r]
    assert times.typical(r, "image-generations").p90 < times.typical(r, "text2video").p90
    assert times.quantile(r, "text2video") is None, "no default behind a bare quantile"
    for seconds in (100, 110, 120):
        times.learn(r, "text2video", "kling-v2-1", seconds)
    # the model's own, the kind's (any model) and every video kind's
    assert times.typical(r, "text2video", "kling-v2-1").median == 110
    assert times.typical(r, "text2video").median == 110
    assert times.typical(r, "image2video").median == 110, "another video kind: media group"
    assert times.typical(r, "image-generations") == DEFAULT_TIMES[Media.IMAGE][r]
    assert times.quantile(r, "image2video", same_kind=True) is None
    # another model of the kind, too few of its own: the kind's
    for seconds in (400, 500):
        times.learn(r, "text2video", "kling-v2-6", seconds)
    assert times.typical(r, "text2video", "kling-v2-6").median == 120  # kind: 100..500
    times.learn(r, "text2video", "kling-v2-6", 600)
    assert times.typical(r, "text2video", "kling-v2-6") == Typical(500, 600)
    assert times.count(r, "text2video", "kling-v2-6") == 3
    # the queue is its own phase
    assert times.typical(Phase.QUEUE, "text2video") == DEFAULT_TIMES[Media.VIDEO][Phase.QUEUE]


def test_learned_times_keep_a_window_and_ignore_nonsense() -> None:
    times = RenderTimes(window=3, min_samples=1)
    for seconds in (0.0, -5.0, float("nan"), float("inf")):
        times.learn(Phase.RENDER, "text2video", None, seconds)
    assert times.count(Phase.RENDER, "text2video") == 0
    for seconds in (10, 20, 30, 1000, 2000, 3000):
        times.learn(Phase.RENDER, "text2video", None, seconds)
    assert times.typical(Phase.RENDER, "text2video").median == 2000, "the last 3 only"


def test_scheduler_learns_queue_and_render_per_kind_and_model() -> None:
    clock = FakeClock(0.0)
    s = Scheduler(PollPolicy(learn_samples=1))
    key = watched().key
    s.add(key, clock())
    for status, wait in ((Status.SUBMITTED, 40), (Status.IN_PROGRESS, 200), (Status.SUCCEEDED, 0)):
        s.record(key, clock(), answer(clock, status, model="kling-v2-1"))
        clock.advance(wait)
    assert s.times.typical(Phase.QUEUE, "text2video", "kling-v2-1").median == 40
    assert s.times.typical(Phase.RENDER, "text2video", "kling-v2-1").median == 200
    assert s.render_floor("text2video", "kling-v2-1") == 200


# -- the stuck rule -----------------------------------------------------------------------


def test_a_task_whose_state_does_not_move_is_stuck_after_3x_p90_and_unstuck_when_it_moves() -> None:
    clock = FakeClock(0.0)
    times = RenderTimes(min_samples=3)
    for seconds in (600, 700, 800):  # p90 800 s: stuck after 2,400 s
        times.learn(Phase.RENDER, "text2video", None, seconds)
    assert stuck_after(times, "text2video", None, Status.IN_PROGRESS) == 2400
    e = watched()
    apply_result(e, answer(clock, Status.IN_PROGRESS, 30.0), times)
    assert e.state_since == wall(clock) and not e.stuck
    clock.advance(2400)
    apply_result(e, answer(clock, Status.IN_PROGRESS, 30.0), times)
    assert not e.stuck, "exactly at the limit: not yet"
    assert e.state_since == EPOCH, "an unchanged state keeps its start"
    clock.advance(60)
    apply_result(e, answer(clock, Status.IN_PROGRESS, 30.0), times)
    assert e.stuck, "past 3 x p90 without a move"
    assert is_stuck(e, times, wall(clock))
    clock.advance(5)
    apply_result(e, answer(clock, Status.IN_PROGRESS, 31.0), times)
    assert not e.stuck, "it moved: un-stuck at once"
    assert e.state_since == wall(clock)


def test_stuck_needs_at_least_ten_minutes_and_never_for_a_finished_task() -> None:
    clock = FakeClock(0.0)
    times = RenderTimes(min_samples=1)
    times.learn(Phase.RENDER, "image-generations", None, 10)  # 3 x p90 = 30 s: too short
    assert stuck_after(times, "image-generations", None, Status.IN_PROGRESS) == STUCK_MIN_SECONDS
    e = watched("image-generations")
    apply_result(e, answer(clock, Status.IN_PROGRESS, None, kind="image-generations"), times)
    clock.advance(STUCK_MIN_SECONDS - 1)
    apply_result(e, answer(clock, Status.IN_PROGRESS, None, kind="image-generations"), times)
    assert not e.stuck
    clock.advance(2)
    apply_result(e, answer(clock, Status.IN_PROGRESS, None, kind="image-generations"), times)
    assert e.stuck
    apply_result(e, answer(clock, Status.SUCCEEDED, 100.0, kind="image-generations"), times)
    assert not e.stuck


def test_a_queued_task_is_measured_against_queue_waits_from_its_creation() -> None:
    clock = FakeClock(3600.0)
    e = watched()
    # first seen queued, created an hour ago: queued that long already (video queue
    # default p90 600 s: stuck after 1,800 s)
    apply_result(e, answer(clock, Status.SUBMITTED, 0.0, created=EPOCH))
    assert e.state_since == EPOCH and e.stuck
    assert stuck_after(RenderTimes(), "text2video", None, Status.SUBMITTED) == 1800


def test_a_list_written_before_state_since_counts_from_the_last_answer() -> None:
    clock = FakeClock(0.0)
    e = replace(watched(), snapshot=answer(clock, Status.IN_PROGRESS, 30.0))
    clock.advance(4000)
    apply_result(e, answer(clock, Status.IN_PROGRESS, 30.0))
    assert e.state_since == EPOCH and e.stuck  # video render default p90 600 s -> 1,800 s


def test_state_since_is_kept_in_the_watch_list_in_its_range() -> None:
    clock = FakeClock(0.0)
    e = watched()
    apply_result(e, answer(clock, Status.IN_PROGRESS, 30.0, synthetic=True))
    clock.advance(50)
    apply_result(e, answer(clock, Status.IN_PROGRESS, 30.0, synthetic=True))
    table = entry_to_table(e)
    assert table["last"]["state_since"] == EPOCH
    assert table["last"]["progress_synthetic"] is True
    back = read_entry(table)
    assert back.state_since == EPOCH and back.snapshot is not None
    assert back.snapshot.progress_synthetic
    table["last"]["state_since"] = EPOCH + timedelta(days=1)  # later than fetched_at
    assert read_entry(table).state_since == wall(clock)
    table["last"]["state_since"] = datetime(1999, 12, 31, tzinfo=UTC)
    with pytest.raises(EntryInvalid, match="state_since must be 2000-01-01 or later"):
        read_entry(table)
    table["last"]["state_since"] = "soon"
    with pytest.raises(EntryInvalid, match=r"last\.state_since must be a date-time"):
        read_entry(table)
    apply_result(e, answer(clock, Status.SUCCEEDED, 100.0))
    assert "state_since" not in entry_to_table(e)["last"], "only unfinished tasks keep it"


# -- synthetic progress -------------------------------------------------------------------


def _relay(progress: str) -> bytes:
    return (
        b'{"code":"success","data":{"task_id":"t-1","status":"IN_PROGRESS","progress":"'
        + progress.encode()
        + b'","data":null}}'
    )


def _normalized(body: bytes) -> TaskSnapshot:
    snap = normalize(
        200,
        {"content-type": "application/json"},
        body,
        task_id="t-1",
        kind="text2video",
        origin="https://relay.example",
        credential_hint="KLING_API_KEY",
        now=EPOCH,
    )
    assert isinstance(snap, TaskSnapshot)
    return snap


def test_a_relay_records_step_percentages_are_synthetic() -> None:
    for step in ("0%", "10%", "20%", "30%"):
        assert _normalized(_relay(step)).progress_synthetic, step
    assert not _normalized(_relay("45%")).progress_synthetic, "a fork with real percentages"
    done = _relay("100%").replace(b"IN_PROGRESS", b"SUCCESS")
    assert not _normalized(done).progress_synthetic, "finished: nothing left to estimate"
    native = b'{"code":0,"data":{"task_id":"t-1","task_status":"processing"}}'
    assert not _normalized(native).progress_synthetic


def test_synthetic_progress_takes_its_eta_from_learned_render_times() -> None:
    clock = FakeClock(0.0)
    times = RenderTimes(min_samples=3)
    for seconds in (200, 300, 400):
        times.learn(Phase.RENDER, "text2video", None, seconds)
    eta = EtaEstimator(times)
    e = watched()
    for progress in (10.0, 20.0, 30.0):  # a relay's synthetic steps: 10 %/min "rate"
        apply_result(e, answer(clock, Status.IN_PROGRESS, progress, synthetic=True), times)
        eta.observe(e)
        clock.advance(60)
    # rendering for 180 s; learned median 300 s: 120 s left (the rate would say 420 s)
    assert eta.eta_seconds(e, wall(clock)) == pytest.approx(120)
    clock.advance(180)  # 360 s: past the median, to the p90 (400 s)
    assert eta.eta_seconds(e, wall(clock)) == pytest.approx(40)
    clock.advance(100)
    assert eta.eta_seconds(e, wall(clock)) is None, "past the p90: no basis"


def test_a_real_percentage_on_a_relay_makes_the_task_use_its_rate_again() -> None:
    clock = FakeClock(0.0)
    eta = EtaEstimator(RenderTimes())
    e = watched()
    for progress, synthetic in ((10.0, True), (45.0, False), (20.0 + 60.0, False)):
        e.snapshot = answer(clock, Status.IN_PROGRESS, progress, synthetic=synthetic)
        eta.observe(e)
        clock.advance(70)
    # 10 % at 0 s -> 80 % at 140 s: 0.5 %/s, 20 % left = 40 s from 140 s; now 210 s
    assert eta.eta_seconds(e, EPOCH + timedelta(seconds=140)) == pytest.approx(40)
    e.snapshot = answer(clock, Status.IN_PROGRESS, 30.0 + 60.0, synthetic=True)
    assert not _synthetic_eta(eta, e), "one real reading: the steps are real too"


def _synthetic_eta(eta: EtaEstimator, e: WatchEntry) -> bool:
    track = eta._samples[e.key]
    assert e.snapshot is not None
    return reads_synthetic(e.snapshot, track.real_seen)


def test_the_scheduler_reads_no_rate_from_synthetic_progress() -> None:
    clock = FakeClock(0.0)
    s = Scheduler(PollPolicy())
    key = watched().key
    s.add(key, clock())
    for progress in (10.0, 20.0, 30.0):
        s.claim(key, clock())
        s.record(key, clock(), answer(clock, Status.IN_PROGRESS, progress, synthetic=True))
        clock.advance(5)
    task = s.task_state(key)
    assert task is not None and task.progress_origin is None
    assert s._estimate_remaining(task, clock()) is None, "no rate; nothing learned yet"


def test_an_answer_without_a_percentage_is_not_a_move() -> None:
    """A relay's 30 % then a native copy of the same task (no percentage: native answers
    have none) must not un-stick it; a percentage that changes still does."""
    clock = FakeClock(0.0)
    times = RenderTimes(min_samples=1)
    e = watched()
    apply_result(e, answer(clock, Status.IN_PROGRESS, 30.0), times)
    started = e.state_since
    clock.advance(3 * 3600)  # far past any video's stuck limit
    apply_result(e, answer(clock, Status.IN_PROGRESS, None), times)
    assert e.state_since == started and e.stuck
    clock.advance(1)
    apply_result(e, answer(clock, Status.IN_PROGRESS, 40.0), times)
    assert not e.stuck and e.state_since == wall(clock)
