"""List-based refresh in the polling loop, against the simulator's native list endpoints."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from kling_tui.config import AppConfig
from kling_tui.models import ErrorType, Status, WatchEntry
from kling_tui.polling.poller import PollUpdate
from kling_tui.sim.simulator import Fault, Simulator
from kling_tui.store.watchlist import WatchList
from tests.support.clock import FakeClock, TickingClock
from tests.support.polling import FAST, make, run_until, watch


def add_native(sim: Simulator, kind: str, n: int, **kw: float) -> list[str]:
    kw.setdefault("queue_seconds", 0)
    kw.setdefault("run_seconds", 100)
    return [sim.add_task(kind, **kw).task_id for _ in range(n)]  # type: ignore[arg-type]


def requests(sim: Simulator) -> tuple[list[str], list[str]]:
    """(list-page paths, single-task paths) the simulator was asked for."""
    lists, singles = [], []
    for _method, target in sim.requests:
        path, _, query = target.partition("?")
        (lists if "pageNum=" in query else singles).append(path)
    return lists, singles


def updated(events: list[object]):  # type: ignore[no-untyped-def]
    """A function: the ids of the tasks an update was published for so far."""
    return lambda: {e.entry.task_id for e in events if isinstance(e, PollUpdate)}


def entries(ids: list[str], kind: str, gateway: str = "native") -> list[WatchEntry]:
    return [watch(i, kind, gateway) for i in ids]


async def test_many_native_tasks_of_one_kind_are_refreshed_by_list_pages(
    tmp_path: Path, sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    t2v = add_native(sim, "text2video", 30)
    i2v = add_native(sim, "image-generations", 12)
    poller, store, events = make(tmp_path, app_config, entries(t2v, "text2video"))
    poller.add(entries(i2v, "image-generations"))
    seen = updated(events)
    await run_until(poller, lambda: seen() >= set(t2v + i2v))
    lists, singles = requests(sim)
    assert singles == []  # 42 tasks, not one single query
    assert "/v1/videos/text2video" in lists and "/v1/images/generations" in lists
    assert all(e.status is Status.IN_PROGRESS for e in poller.entries)
    # the same path as a single answer: the entry, the saved list, the update
    saved = {e.task_id: e for e in WatchList(store.path).load()}
    assert all(saved[i].snapshot is not None for i in t2v + i2v)
    sim_clock.advance(200)  # every task finishes
    await run_until(poller, lambda: all(e.finished for e in poller.entries))
    finished = [e for e in events if isinstance(e, PollUpdate) and e.finished_now]
    assert {e.entry.task_id for e in finished} == set(t2v + i2v)
    assert all(e.entry.snapshot and e.entry.snapshot.result_urls for e in finished)
    assert requests(sim)[1] == []


async def test_the_tasks_of_one_page_are_due_again_together(
    tmp_path: Path, sim: Simulator, app_config: AppConfig
) -> None:
    """A page's answers came at once: read per task, the clock spread their next polls over
    the delivery, and a wake-up in that spread found one due alone and queried it on its own
    (the merge's flaky list test). Time moves at every clock reading here."""
    ids = add_native(sim, "text2video", 30)
    poller, _store, _events = make(
        tmp_path, app_config, entries(ids, "text2video"), clock=TickingClock()
    )
    await poller.poll_once()
    assert requests(sim) == (["/v1/videos/text2video"], [])
    s = poller.scheduler
    states = [s.task_state(e.key) for e in poller.entries]
    first = min(t.next_due for t in states if t is not None and t.next_due is not None)
    [plan] = s.plan_lists(first, ["native"])  # the earliest due time: every one of them
    assert sorted(plan.due) == sorted(e.key for e in poller.entries)
    assert s.due(first) == []


async def test_tasks_beyond_the_pages_reach_fall_back_to_single_queries(
    tmp_path: Path, sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    old = add_native(sim, "text2video", 3)
    sim_clock.advance(1)
    add_native(sim, "text2video", 25)  # not watched: pushes the old ones off the pages
    sim_clock.advance(1)
    new = add_native(sim, "text2video", 6)
    policy = replace(FAST, list_page_size=10, list_max_pages=2)
    poller, _store, events = make(tmp_path, app_config, entries(old + new, "text2video"))
    poller.policy = policy
    poller.scheduler.policy = policy
    seen = updated(events)
    await run_until(poller, lambda: seen() >= set(old + new))
    lists, singles = requests(sim)
    assert lists == ["/v1/videos/text2video"] * 2  # two pages of ten: the reach
    assert sorted(p.rsplit("/", 1)[1] for p in singles) == sorted(old)
    for key in (e.key for e in poller.entries if e.task_id in old):
        state = poller.scheduler.task_state(key)
        assert state is not None and state.unlisted  # single queries from now on
    assert all(e.status is Status.IN_PROGRESS for e in poller.entries)


async def test_a_relay_is_never_list_refreshed(
    tmp_path: Path, sim: Simulator, app_config: AppConfig
) -> None:
    ids = add_native(sim, "text2video", 12)
    poller, _store, events = make(tmp_path, app_config, entries(ids, "text2video", "relay"))
    await run_until(poller, lambda: len(updated(events)()) == 12)
    lists, singles = requests(sim)
    assert lists == [] and len(singles) >= 12
    assert all(urlsplit(p).path.startswith("/kling/v1/") for p in singles)


async def test_list_refresh_false_polls_one_by_one(
    tmp_path: Path, sim: Simulator, app_config: AppConfig
) -> None:
    ids = add_native(sim, "text2video", 12)
    native = replace(app_config.gateways["native"], list_refresh=False)
    config = replace(app_config, gateways={**app_config.gateways, "native": native})
    poller, _store, events = make(tmp_path, config, entries(ids, "text2video"))
    await run_until(poller, lambda: len(updated(events)()) == 12)
    lists, singles = requests(sim)
    assert lists == [] and len(singles) >= 12


async def test_a_few_due_tasks_are_cheaper_one_by_one(
    tmp_path: Path, sim: Simulator, app_config: AppConfig
) -> None:
    ids = add_native(sim, "text2video", 3)
    # one due task: a page would cost as much as its own query and answer far more
    one = add_native(sim, "image2video", 1)
    poller, _store, events = make(tmp_path, app_config, entries(one, "image2video"))
    policy = replace(FAST, list_min_due=4)  # three are still too few with this setting
    poller.policy = poller.scheduler.policy = policy
    poller.add(entries(ids, "text2video"))
    await run_until(poller, lambda: len(updated(events)()) == 4)
    lists, singles = requests(sim)
    assert lists == [] and len(singles) >= 4


async def test_a_rate_limited_list_backs_off_like_a_single_poll(
    tmp_path: Path, sim: Simulator, app_config: AppConfig
) -> None:
    ids = add_native(sim, "text2video", 8)
    sim.retry_after = 30.0  # longer than the fetcher waits out: the scheduler's business
    sim.inject(Fault.RATE_LIMITED, count=1, lists=True)
    poller, _store, events = make(tmp_path, app_config, entries(ids, "text2video"))
    await run_until(poller, lambda: sum(isinstance(e, PollUpdate) for e in events) >= 8)
    updates = [e for e in events if isinstance(e, PollUpdate)]
    assert all(u.stale for u in updates[:8])
    assert all(
        u.entry.last_error and u.entry.last_error.type is ErrorType.RATE_LIMITED
        for u in updates[:8]
    )
    blocked = poller.scheduler.gateway_blocked_until("native")
    assert blocked is not None  # Retry-After blocks the whole gateway, as for one task
    lists, singles = requests(sim)
    assert lists == ["/v1/videos/text2video"] and singles == []


async def test_a_gateway_without_lists_goes_back_to_single_queries(
    tmp_path: Path, sim: Simulator, app_config: AppConfig
) -> None:
    ids = add_native(sim, "text2video", 8)
    sim.inject(Fault.HTML_200, count=1, lists=True)  # a web page where the list should be
    poller, _store, events = make(tmp_path, app_config, entries(ids, "text2video"))
    seen = updated(events)
    await run_until(poller, lambda: seen() >= set(ids))
    updates = [e for e in events if isinstance(e, PollUpdate)]
    assert all(not u.stale for u in updates)  # no task was blamed for the list
    lists, singles = requests(sim)
    assert lists == ["/v1/videos/text2video"]
    assert sorted(p.rsplit("/", 1)[1] for p in singles[:8]) == sorted(ids)


async def test_poll_once_reads_a_page_for_many_tasks_and_queries_the_rest(
    tmp_path: Path, sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    relayed = add_native(sim, "text2video", 3)
    old = add_native(sim, "text2video", 2)
    sim_clock.advance(1)
    add_native(sim, "text2video", 10)  # not watched: the old ones are past one short page
    sim_clock.advance(1)
    new = add_native(sim, "text2video", 8)
    lone = add_native(sim, "image2video", 1)
    poller, _store, _events = make(tmp_path, app_config, entries(old + new, "text2video"))
    poller.policy = poller.scheduler.policy = replace(FAST, list_page_size=10, list_max_pages=1)
    poller.add(entries(lone, "image2video") + entries(relayed, "text2video", "relay"))
    polled = await poller.poll_once()
    assert len(polled) == 14
    assert all(e.snapshot is not None and e.last_error is None for e in polled)
    lists, singles = requests(sim)
    assert lists == ["/v1/videos/text2video"]  # one page covers the eight new ones
    tails = sorted(p.rsplit("/", 1)[1] for p in singles)
    assert tails == sorted(old + lone + relayed)  # beyond the page, alone, or on a relay
