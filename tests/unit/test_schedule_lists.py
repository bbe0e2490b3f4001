"""The scheduler's list-based refresh decision and ListWalk, pure, on a fake clock."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from kling_tui.gateway.normalize import ListPage
from kling_tui.models import ErrorType, Status, TaskKey
from kling_tui.polling.lists import ListPlan, ListWalk
from kling_tui.polling.schedule import Scheduler
from tests.support.snapshots import POLICY, err, key, snap

NATIVE = "native"


def sched(**kw: int) -> Scheduler:
    return Scheduler(replace(POLICY, list_min_due=4, **kw), rng=random.Random(7))


def keys(n: int, kind: str = "text2video", gateway: str = NATIVE, first: int = 1) -> list[TaskKey]:
    return [key(i, gateway, kind) for i in range(first, first + n)]


def scheduled(ks: list[TaskKey]) -> Scheduler:
    """A scheduler with every task of ``ks`` added, due at 0."""
    s = sched()
    for k in ks:
        s.add(k, 0.0)
    return s


def planned(ks: list[TaskKey]) -> tuple[Scheduler, ListPlan]:
    """``scheduled(ks)`` and the one list plan its due tasks make on the native gateway."""
    s = scheduled(ks)
    [plan] = s.plan_lists(0.0, [NATIVE])
    return s, plan


def page(ks: list[TaskKey], num: int = 1, size: int = 500, **kw: object) -> ListPage:
    snaps = tuple(snap(Status.IN_PROGRESS, k=k) for k in ks)
    return ListPage(ks[0].kind if ks else "text2video", num, size, snaps, **kw)  # type: ignore[arg-type]


def test_a_large_due_group_on_a_listing_gateway_becomes_one_plan() -> None:
    t2v, img = keys(10), keys(5, "image-generations", first=100)
    few = keys(3, "image2video", first=200)  # under list_min_due: one by one
    relay = keys(10, gateway="relay", first=300)
    s = scheduled(t2v + img + few + relay)
    plans = s.plan_lists(0.0, [NATIVE], per_gateway_limit={NATIVE: 8, "relay": 8})
    assert sorted((p.kind, len(p.due), p.pages) for p in plans) == [
        ("image-generations", 5, 1),
        ("text2video", 10, 1),
    ]
    assert all(s.task_state(k).in_flight for k in t2v + img)  # type: ignore[union-attr]
    single = s.due(0.0, per_gateway_limit={NATIVE: 8, "relay": 8})
    # each plan holds one connection of the gateway's 8: six left for the singles there
    assert sorted(single) == sorted(few + relay[:8])


def test_nothing_is_planned_for_a_gateway_that_does_not_list_or_is_blocked() -> None:
    s = scheduled(keys(10))
    assert s.plan_lists(0.0, ["other"]) == []
    assert s.plan_lists(0.0, [NATIVE], listable=lambda k: False) == []
    s.record(keys(1)[0], 0.0, err(ErrorType.RATE_LIMITED, retry_after=30))
    assert s.plan_lists(1.0, [NATIVE]) == []
    assert len(s.due(1.0)) == 0  # blocked for everyone


def test_found_tasks_are_recorded_and_missing_ones_fall_back_for_good() -> None:
    s = sched()
    due = keys(6)
    idle = keys(2, first=50)
    for k in idle:  # polled already: not due now, but on the page too
        s.add(k, 0.0)
        s.record(k, 0.0, snap(Status.IN_PROGRESS, k=k))
    for k in due:
        s.add(k, 0.0)
    [plan] = s.plan_lists(0.0, [NATIVE])
    assert sorted(plan.due) == sorted(due)
    walk = ListWalk(plan, max_pages=2, page_size=4)
    assert walk.next_page() == 1
    got = walk.take(page(due[:4], 1, 4))
    assert walk.next_page() == 2
    got += walk.take(page(due[4:5] + idle[:1], 2, 4))  # a short page: the list ends here
    assert walk.next_page() is None
    for k, result in got:
        if s.takes_listed(k):
            s.record(k, 1.0, result)
    s.end_list(walk, 1.0)
    assert walk.missing == {due[5]}
    missing = s.task_state(due[5])
    assert missing is not None and missing.unlisted and not missing.in_flight
    assert s.due(1.0) == [due[5]]  # at once, one by one
    for k in due[:5] + idle[:1]:
        state = s.task_state(k)
        assert state is not None and state.last_status is Status.IN_PROGRESS
        assert state.next_due == 1.0 + POLICY.interval  # recorded at the page's time
    s.record(due[5], 1.0, snap(Status.IN_PROGRESS, k=due[5]))
    # the gateway's connections are all free again
    taken = s.due(100.0, per_gateway_limit={NATIVE: 8})
    assert len(taken) == 8
    for k in taken:
        s.release(k, 100.0)
    # next time the plan expects two pages, and the unlisted task stays out of plans
    [again] = s.plan_lists(100.0, [NATIVE])
    assert again.pages == 2 and due[5] not in again.due


def test_a_task_polled_on_its_own_is_not_overwritten_by_a_page() -> None:
    ks = keys(5)
    s = scheduled(ks)
    [alone] = s.due(0.0, limit=1)
    [plan] = s.plan_lists(0.0, [NATIVE])
    assert alone not in plan.due
    assert not s.takes_listed(alone)  # its own answer is on its way
    assert all(s.takes_listed(k) for k in plan.due)
    s.record(ks[1], 0.0, snap(Status.SUCCEEDED, k=ks[1]))
    assert not s.takes_listed(ks[1])  # finished: nothing to refresh


def test_a_page_error_counts_for_the_due_tasks_or_turns_lists_off() -> None:
    ks = keys(5)
    s, plan = planned(ks)
    walk = ListWalk(plan, 2, 500)
    walk.take(ListPage("text2video", 1, 500, error=err(ErrorType.SERVER)))
    assert [k for k, _ in walk.failed_due] == list(plan.due)
    for k, e in walk.failed_due:
        s.record(k, 0.0, e)
    s.end_list(walk, 0.0)
    assert all(s.task_state(k).error_count == 1 for k in ks)  # type: ignore[union-attr]

    s, plan = planned(ks)
    walk = ListWalk(plan, 2, 500)
    no_list = err(ErrorType.BAD_RESPONSE)  # a 404 / HTML page for the list path
    walk.take(ListPage("text2video", 1, 500, error=no_list, no_list=True))
    assert walk.failed_due == []  # not the tasks' fault: they go back to single queries
    s.end_list(walk, 0.0)
    assert sorted(s.due(0.0)) == sorted(ks)
    for k in ks:
        s.release(k, 0.0)
    assert s.plan_lists(0.0, [NATIVE]) == []  # no list of this kind there any more


def test_a_garbled_page_falls_back_for_this_round_only() -> None:
    """A page the normalizer could not read (invalid JSON, cut short) says nothing about
    the tasks nor about the gateway's lists: single queries now, the list next round."""
    ks = keys(5)
    s, plan = planned(ks)
    walk = ListWalk(plan, 2, 500)
    walk.take(ListPage("text2video", 1, 500, error=err(ErrorType.BAD_RESPONSE)))
    assert walk.failed_due == [] and not walk.lists_unavailable
    assert walk.fallback == set(plan.due)
    s.end_list(walk, 0.0)
    assert sorted(s.due(0.0)) == sorted(ks)  # this round: one by one
    for k in ks:
        s.record(k, 0.0, snap(Status.IN_PROGRESS, k=k))
    assert all(not s.task_state(k).unlisted for k in ks)  # type: ignore[union-attr]
    [again] = s.plan_lists(1000.0, [NATIVE])  # the next round reads the list again
    assert sorted(again.due) == sorted(ks)


def test_a_removed_task_in_a_list_does_not_unbalance_the_gateway() -> None:
    ks = keys(5)
    s, plan = planned(ks)
    s.remove(ks[0])
    walk = ListWalk(plan, 2, 500)
    for k, result in walk.take(page(ks, 1, 500)):
        if s.takes_listed(k):
            s.record(k, 0.0, result)
    s.end_list(walk, 0.0)
    assert len(s.due(100.0, per_gateway_limit={NATIVE: 3})) == 3


def test_a_task_due_while_its_kinds_list_is_in_flight_waits_for_that_page() -> None:
    """Due a moment after its kind's plan (the merge's flaky list test: due times a few
    microseconds apart), a task was polled alone while the page answering for it was on its
    way. It joins the read in flight: no query of its own, no connection, answered by the
    page, or due again when the read ends without it."""
    listed, late, gone = keys(4), keys(1, first=10)[0], keys(1, first=20)[0]
    s = scheduled(listed)
    [plan] = s.plan_lists(0.0, [NATIVE], per_gateway_limit={NATIVE: 8})
    for k in (late, gone):
        s.add(k, 0.001)
    assert s.plan_lists(0.001, [NATIVE], per_gateway_limit={NATIVE: 8}) == []
    assert s.due(0.001, per_gateway_limit={NATIVE: 8}) == []  # no single query
    assert s.task_state(late).joined and s.task_state(gone).joined  # type: ignore[union-attr]
    assert s._gateways[NATIVE].in_flight == 1  # the list's connection only
    walk = ListWalk(plan, 2, 500)
    for k, result in walk.take(page([*listed, late], 1, 500)):  # all due found: one page
        if s.takes_listed(k):
            s.record(k, 0.002, result)
    s.end_list(walk, 0.002)
    late_state, gone_state = s.task_state(late), s.task_state(gone)
    assert late_state is not None and gone_state is not None
    assert late_state.last_status is Status.IN_PROGRESS and late_state.next_due == 0.002 + 5.0
    # not on the page read (the walk stopped once its own due tasks were seen): due again
    # at once, and not taken as beyond the pages' reach
    assert not gone_state.in_flight and not gone_state.unlisted and gone_state.next_due == 0.002
    assert s._gateways[NATIVE].in_flight == 0
    assert s.due(0.002, per_gateway_limit={NATIVE: 8}) == [gone]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["plan", "due", "found", "fail", "miss", "remove", "add", "tick"]),
            st.integers(0, 11),
        ),
        max_size=60,
    )
)
def test_property_connections_always_balance(ops: list[tuple[str, int]]) -> None:
    """Whatever mix of list plans, single polls, removals and answers: once every poll and
    list has ended, every connection of the gateway is free again (and never below zero)."""
    s = sched()
    pool = keys(12)
    now = 0.0
    for k in pool[:8]:
        s.add(k, now)
    walks: list[ListWalk] = []
    singles: list[TaskKey] = []
    for op, n in ops:
        k = pool[n]
        if op == "plan":
            for plan in s.plan_lists(now, [NATIVE]):
                walks.append(ListWalk(plan, 2, 500))
        elif op == "due":
            singles += s.due(now, per_gateway_limit={NATIVE: 3})
        elif op in ("found", "fail", "miss") and walks:
            walk = walks.pop(n % len(walks))
            if op == "found":
                for key, result in walk.take(page(list(walk.plan.due)[: n + 1], 1, 500)):
                    if s.takes_listed(key):
                        s.record(key, now, result)
            elif op == "fail":
                walk.take(ListPage("text2video", 1, 500, error=err(ErrorType.SERVER)))
                for key, error in walk.failed_due:
                    if s.takes_listed(key):
                        s.record(key, now, error)
            s.end_list(walk, now)
        elif op == "remove":
            s.remove(k)
        elif op == "add":
            s.add(k, now)
        else:
            now += 3.0
        gw = s._gateways.get(NATIVE)
        assert gw is None or gw.in_flight >= 0
    for walk in walks:
        s.end_list(walk, now)
    for key in singles:
        if key in s:
            s.record(key, now, snap(Status.IN_PROGRESS, k=key))
    gw = s._gateways.get(NATIVE)
    assert gw is None or gw.in_flight == 0
    assert all(not (t := s.task_state(k)) or not t.in_flight for k in pool)
