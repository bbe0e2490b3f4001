"""The pure scheduler, driven by a fake clock (plain floats)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from kling_tui.models import RETRY_AFTER_CAP, ErrorType, Status, TaskKey
from kling_tui.polling.schedule import Scheduler
from tests.support.snapshots import POLICY, err, key, snap


def sched(**kw: float) -> Scheduler:
    return Scheduler(replace(POLICY, **kw), rng=random.Random(7))


def poll(s: Scheduler, k: TaskKey, now: float, result) -> float:  # type: ignore[no-untyped-def]
    """Poll ``k`` at ``now`` (it must be due) and return when it is due next."""
    assert k in s.due(now), f"{k} not due at {now}"
    s.record(k, now, result)
    state = s.task_state(k)
    assert state is not None
    return -1.0 if state.next_due is None else state.next_due


def test_new_task_is_due_at_once_and_then_every_interval() -> None:
    s = sched()
    k = key()
    s.add(k, 0.0)
    assert s.next_wake(0.0) == 0.0
    assert poll(s, k, 0.0, snap(Status.SUBMITTED)) == 5.0
    assert s.due(4.9) == []
    assert s.next_wake(4.0) == pytest.approx(1.0)
    assert poll(s, k, 5.0, snap(Status.SUBMITTED)) == 10.0


def test_in_flight_task_is_not_returned_twice() -> None:
    s = sched()
    k = key()
    s.add(k, 0.0)
    assert s.due(0.0) == [k]
    assert s.due(100.0) == []
    assert s.next_wake(100.0) is None
    s.record(k, 1.0, snap(Status.SUBMITTED))
    assert s.due(6.0) == [k]


def test_finished_tasks_are_not_polled_again() -> None:
    s = sched()
    a, b = key(1), key(2)
    s.add(a, 0.0)
    s.add(b, 0.0, status=Status.SUCCEEDED)
    assert s.due(0.0) == [a]
    s.record(a, 1.0, snap(Status.FAILED, k=a))
    state = s.task_state(a)
    assert state is not None and state.next_due is None
    assert s.due(10_000.0) == []
    assert s.next_wake(10_000.0) is None


def test_submitted_slowdown_grows_to_max_and_resets_on_change() -> None:
    s = sched()
    k = key()
    s.add(k, 0.0)
    now, gaps = 0.0, []
    for _ in range(25):
        nxt = poll(s, k, now, snap(Status.SUBMITTED))
        gaps.append(nxt - now)
        now = nxt
    assert gaps[0] == 5.0
    assert max(gaps) == 60.0, "bounded by max_interval"
    assert gaps == sorted(gaps), "the interval only grows while nothing changes"
    assert all(g == 5.0 for g, t in zip(gaps, range(25), strict=False) if t < 6)
    nxt = poll(s, k, now, snap(Status.IN_PROGRESS, 10.0))
    assert nxt - now == 5.0, "a status change goes back to the base rate"


def test_moving_progress_far_from_the_end_polls_slower_and_near_the_end_faster() -> None:
    s = sched()
    k = key()
    s.add(k, 0.0)
    poll(s, k, 0.0, snap(Status.IN_PROGRESS, 0.0))
    nxt = poll(s, k, 5.0, snap(Status.IN_PROGRESS, 1.0))  # 0.2 %/s: ~495 s left
    assert nxt - 5.0 == 60.0
    nxt = poll(s, k, 65.0, snap(Status.IN_PROGRESS, 60.0))  # ~0.92 %/s: ~43 s left
    assert nxt - 65.0 == pytest.approx(43.3 * 0.3, abs=0.2)
    nxt = poll(s, k, 100.0, snap(Status.IN_PROGRESS, 92.0))  # ~0.92 %/s: ~9 s left
    assert nxt - 100.0 == pytest.approx(2.5), "near the estimated end: faster than base"
    nxt = poll(s, k, 102.5, snap(Status.IN_PROGRESS, 94.0))
    assert nxt - 102.5 == pytest.approx(2.5)


def test_stalled_progress_is_not_trusted_forever() -> None:
    s = sched()
    k = key()
    s.add(k, 0.0)
    poll(s, k, 0.0, snap(Status.IN_PROGRESS, 0.0))
    now = poll(s, k, 5.0, snap(Status.IN_PROGRESS, 30.0))  # the relay jumps to 30 %, stays
    gaps = []
    for _ in range(30):
        nxt = poll(s, k, now, snap(Status.IN_PROGRESS, 30.0))
        gaps.append(nxt - now)
        now = nxt
    assert all(5.0 <= g <= 60.0 for g in gaps)
    assert gaps[-1] > gaps[0], "as the rate decays the estimate moves away: slower polls"


def test_without_progress_learned_render_times_are_used() -> None:
    s = sched(learn_samples=3)
    for n in range(1, 4):  # three renders of 200 s teach the scheduler
        k = key(n)
        s.add(k, 0.0)
        poll(s, k, 0.0, snap(Status.IN_PROGRESS, k=k))
        s.refresh(k, 200.0)
        poll(s, k, 200.0, snap(Status.SUCCEEDED, k=k))
    assert s.render_floor("text2video") == pytest.approx(200.0)
    assert s.render_floor("image2video") is None
    k = key(9)
    s.add(k, 1000.0)
    nxt = poll(s, k, 1000.0, snap(Status.IN_PROGRESS, k=k))
    assert nxt - 1000.0 == pytest.approx(60.0), "200 s of render left: slow"
    nxt = poll(s, k, 1195.0, snap(Status.IN_PROGRESS, k=k))
    assert nxt - 1195.0 == pytest.approx(2.5), "near the shortest known render: fast"
    nxt = poll(s, k, 1250.0, snap(Status.IN_PROGRESS, k=k))
    assert nxt - 1250.0 == pytest.approx(5.0), "past it: base rate"
    other = key(10, kind="image2video")
    s.add(other, 0.0)
    assert poll(s, other, 0.0, snap(Status.IN_PROGRESS, k=other)) == 5.0


def test_error_backoff_grows_with_jitter_caps_and_resets() -> None:
    s = sched(error_base=5.0, error_max=80.0, jitter=0.2)
    k = key()
    s.add(k, 0.0)
    now, gaps = 0.0, []
    for _ in range(8):
        nxt = poll(s, k, now, err(ErrorType.NETWORK))
        gaps.append(nxt - now)
        now = nxt
    for n, gap in enumerate(gaps):
        nominal = min(80.0, 5.0 * 2**n)
        assert nominal * 0.8 <= gap <= nominal * 1.2
    assert s.backing_off and s.gateway_state("relay") == "backing_off"
    assert poll(s, k, now, snap(Status.SUBMITTED)) - now == 5.0
    assert not s.backing_off and s.gateway_state("relay") == "ok"


def test_retry_after_blocks_the_whole_gateway_only() -> None:
    s = sched()
    a, b, c = key(1), key(2), key(3, gateway="native")
    for k in (a, b, c):
        s.add(k, 0.0)
    assert set(s.due(0.0)) == {a, b, c}
    s.record(b, 0.0, snap(Status.SUBMITTED, k=b))
    s.record(c, 0.0, snap(Status.SUBMITTED, k=c))
    s.record(a, 0.0, err(ErrorType.RATE_LIMITED, retry_after=30.0))
    assert s.gateway_blocked_until("relay") == 30.0
    assert s.gateway_blocked_until("native") is None
    assert s.due(10.0) == [c], "b is due, but its gateway is blocked"
    s.record(c, 10.0, snap(Status.SUBMITTED, k=c))
    assert s.next_wake(10.0) == pytest.approx(5.0)  # c at 15
    assert s.due(29.0) == [c]
    assert b in s.due(30.0)


def test_retry_after_is_capped() -> None:
    s = sched()
    k = key()
    s.add(k, 0.0)
    s.due(0.0)
    s.record(k, 0.0, err(ErrorType.RATE_LIMITED, retry_after=10_000.0))
    assert s.gateway_blocked_until("relay") == RETRY_AFTER_CAP


def test_auth_failure_marks_gateway_and_slows_its_tasks() -> None:
    s = sched()
    k = key()
    s.add(k, 0.0)
    assert poll(s, k, 0.0, err(ErrorType.AUTH)) == 60.0
    assert s.gateway_state("relay") == "auth_failed"
    assert poll(s, k, 60.0, err(ErrorType.ACCOUNT)) == 120.0
    assert s.gateway_state("relay") == "account"
    poll(s, k, 120.0, snap(Status.SUBMITTED))
    assert s.gateway_state("relay") == "ok"


def test_not_found_stops_until_refresh() -> None:
    s = sched()
    k = key()
    s.add(k, 0.0)
    assert poll(s, k, 0.0, err(ErrorType.NOT_FOUND)) == -1.0
    state = s.task_state(k)
    assert state is not None and state.stopped
    assert s.due(1000.0) == []
    s.refresh(k, 1000.0)
    assert s.due(1000.0) == [k]


def test_refresh_one_and_all_including_finished() -> None:
    s = sched()
    a, b = key(1), key(2)
    s.add(a, 0.0)
    s.add(b, 0.0, status=Status.SUCCEEDED)
    poll(s, a, 0.0, snap(Status.SUBMITTED, k=a))
    s.refresh(a, 1.0)
    assert s.due(1.0) == [a]
    s.record(a, 1.0, snap(Status.SUBMITTED, k=a))
    s.refresh(None, 2.0)
    assert set(s.due(2.0)) == {a, b}


def test_per_gateway_concurrency_limit() -> None:
    s = sched()
    keys = [key(n) for n in range(10)] + [key(n, gateway="native") for n in range(10, 13)]
    for k in keys:
        s.add(k, 0.0)
    first = s.due(0.0, per_gateway_limit={"relay": 4, "native": 2})
    assert sum(k.gateway == "relay" for k in first) == 4
    assert sum(k.gateway == "native" for k in first) == 2
    assert s.due(0.0, per_gateway_limit={"relay": 4, "native": 2}) == []
    s.record(first[0], 0.1, snap(Status.SUBMITTED, k=first[0]))
    again = s.due(0.1, per_gateway_limit={"relay": 4, "native": 2})
    assert len(again) == 1 and again[0].gateway == first[0].gateway
    assert s.due(0.1, limit=0) == []


def test_removal_while_in_flight_frees_the_slot() -> None:
    s = sched()
    a, b = key(1), key(2)
    s.add(a, 0.0)
    s.add(b, 0.0)
    assert s.due(0.0, per_gateway_limit={"relay": 1}) == [a]
    s.remove(a)
    assert a not in s and len(s) == 1
    assert s.due(0.0, per_gateway_limit={"relay": 1}) == [b]
    s.record(a, 1.0, snap(Status.SUBMITTED, k=a))  # a late answer for a removed task
    assert a not in s


def test_ten_thousand_tasks_cost_log_n_heap_work() -> None:
    """Heap size stays proportional to the tasks: stale entries do not pile up."""
    s = sched()
    keys = [key(n) for n in range(10_000)]
    for k in keys:
        s.add(k, 0.0)
    now = 0.0
    for _ in range(5):
        batch = s.due(now)
        assert len(batch) == 10_000
        for k in batch:
            s.record(k, now, snap(Status.IN_PROGRESS, None, k))
        now += 5.0
    heap = s._gateways["relay"].heap
    assert len(heap) <= 10_000
    assert s.due(now - 0.1) == []


def test_a_gateway_at_its_limit_does_not_count_for_the_next_wake_up() -> None:
    """The poll loop would otherwise wake every millisecond to start nothing: the poller
    starts the next poll itself when one in flight ends."""
    s = Scheduler(POLICY, rng=random.Random(1))
    for n in range(4):
        s.add(key(n), 0.0)
    s.add(key(9, gateway="other"), 0.0)
    limits = {"relay": 2, "other": 2}
    assert len(s.due(0.0, per_gateway_limit=limits)) == 3  # 2 relay (at its limit) + 1 other
    s.record(key(9, gateway="other"), 1.0, snap(Status.IN_PROGRESS, k=key(9, gateway="other")))
    assert s.next_wake(1.0) == 0.0  # relay tasks are due, but relay is full
    assert s.next_wake(1.0, per_gateway_limit=limits) == pytest.approx(5.0)  # other's next
    s.record(key(0), 2.0, snap(Status.IN_PROGRESS, k=key(0)))  # a relay slot frees
    assert s.next_wake(2.0, per_gateway_limit=limits) == 0.0


def test_a_poll_cancelled_in_flight_is_released_and_due_again() -> None:
    """run() ending cancels polls in flight: they must not stay counted in flight."""
    s = Scheduler(POLICY, rng=random.Random(1))
    s.add(key(1), 0.0)
    assert s.due(0.0, per_gateway_limit={"relay": 1}) == [key(1)]
    assert s.due(1.0, per_gateway_limit={"relay": 1}) == []
    s.release(key(1), 2.0)
    assert s.due(2.0, per_gateway_limit={"relay": 1}) == [key(1)]
    s.release(key(2), 2.0)  # unknown or not in flight: nothing happens
