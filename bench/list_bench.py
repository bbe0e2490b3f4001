"""list_refresh_requests_ratio / list_refresh_delay_ratio: list pages against per-task polls.

One simulated hour of a native account, on a simulated clock (no real time passes): a
submission script has just queued 1,000 tasks of two kinds, which Kling renders a few dozen
at a time per kind, so they finish all through the hour, while other users of the account
keep creating tasks of both kinds (pushing the watched ones down the newest-first lists).
A few watched tasks are hours old, far beyond the pages' reach: they must fall back to
single queries.

Both sides drive the real ``Scheduler`` with the same policy through the same hour; the only
difference is that the list side also asks ``Scheduler.plan_lists`` first and carries each
plan out with the real ``ListWalk``, as the poller does. Answers are built from the task
plans (as in the adaptive benchmark), so the figures count decisions, not HTTP speed.

* requests: one per single query, one per list page, sent during the hour;
* delay: for every task that finished during the hour, when its end was known minus when
  it happened (the tail after the hour is run until each of those is known, not counted).
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kling_tui.gateway.normalize import ListPage
from kling_tui.models import Status, TaskKey, TaskSnapshot
from kling_tui.polling.lists import ListWalk
from kling_tui.polling.schedule import PollPolicy, Scheduler

GATEWAY = "kling"
KINDS = ("text2video", "image2video")
RENDER = {"text2video": (150.0, 300.0), "image2video": (120.0, 270.0)}
"""Seconds per render, as in the adaptive benchmark (x2 for a third: 10 s clips)."""
HOUR = 3600.0
WATCHED_PER_KIND = 500
OLD_PER_KIND = 3
"""Of the watched tasks per kind, hours old and still queued: beyond any page."""
SLOTS_PER_KIND = 40
"""Tasks Kling renders at once per kind for the account (the rest wait in the queue)."""
OTHERS_PER_HOUR = 240
"""Unwatched tasks per kind created during the hour by other users of the account."""
HISTORY_PER_KIND = 1200
"""Older tasks of each kind already in the account's lists (finished)."""
FETCHED = datetime(2026, 12, 2, tzinfo=UTC)
FIRST_ID = 860_000_000_000_000_000


@dataclass
class SimTask:
    """One task of the account: when created, when it renders, how it ends."""

    key: TaskKey
    created: float
    start: float
    finish: float
    outcome: Status
    watched: bool
    _snaps: dict[Status, TaskSnapshot] = field(default_factory=dict)

    def status_at(self, t: float) -> Status:
        if t < self.start:
            return Status.SUBMITTED
        if t < self.finish:
            return Status.IN_PROGRESS
        return self.outcome

    def snapshot_at(self, t: float) -> TaskSnapshot:
        """The answer at ``t`` (the native API gives no progress); one object per status."""
        status = self.status_at(t)
        snap = self._snaps.get(status)
        if snap is None:
            key = self.key
            snap = self._snaps[status] = TaskSnapshot.bare(key.task_id, key.kind, status, FETCHED)
        return snap


@dataclass
class Account:
    """Every task of the account, per kind, in creation order (oldest first)."""

    by_kind: dict[str, list[SimTask]]

    @property
    def watched(self) -> list[SimTask]:
        return [t for tasks in self.by_kind.values() for t in tasks if t.watched]

    def page(self, kind: str, num: int, size: int, now: float) -> ListPage:
        """Page ``num`` of ``kind``'s list at ``now``: newest first, created tasks only."""
        tasks = self.by_kind[kind]
        lo, hi = 0, len(tasks)
        while lo < hi:  # tasks created by ``now``: a prefix of the creation order
            mid = (lo + hi) // 2
            if tasks[mid].created <= now:
                lo = mid + 1
            else:
                hi = mid
        newest = lo - 1 - (num - 1) * size
        chosen = tasks[max(-1, newest - size) + 1 : newest + 1][::-1] if newest >= 0 else []
        return ListPage(kind, num, size, tuple(t.snapshot_at(now) for t in chosen))


def account_hour(seed: int = 2026) -> Account:
    """The account's tasks: history, the old stragglers, the batch, the others' tasks."""
    rng = random.Random(seed)
    next_id = iter(range(FIRST_ID, FIRST_ID + 10**7))
    by_kind: dict[str, list[SimTask]] = {}
    for kind in KINDS:
        low, high = RENDER[kind]

        def render() -> float:
            return rng.uniform(low, high) * (2 if rng.random() < 1 / 3 else 1)  # noqa: B023

        def outcome() -> Status:
            return Status.FAILED if rng.random() < 0.05 else Status.SUCCEEDED

        def task(created: float, start: float, finish: float, watched: bool) -> SimTask:
            key = TaskKey(str(next(next_id)), kind, GATEWAY)  # noqa: B023
            return SimTask(key, created, start, finish, outcome(), watched)

        tasks = [task(-20_000.0 + i, -19_000.0 + i, -18_800.0 + i, False) for i in range(200)]
        for i in range(OLD_PER_KIND):  # hours in another queue: beyond every page
            start = rng.uniform(600, HOUR - 900)
            tasks.append(task(-10_000.0 + i, start, start + render(), True))
        tasks += [
            task(-9_000.0 + i * 6, -8_900.0 + i * 6, -8_600.0 + i * 6, False)
            for i in range(HISTORY_PER_KIND)
        ]
        # The batch: submitted over the last minute, rendered SLOTS_PER_KIND at a time, FIFO.
        batch = sorted(rng.uniform(-60.0, 0.0) for _ in range(WATCHED_PER_KIND - OLD_PER_KIND))
        slots = [0.0] * SLOTS_PER_KIND
        for created in batch:
            slot = min(range(SLOTS_PER_KIND), key=slots.__getitem__)
            start = max(created + rng.uniform(5, 20), slots[slot])
            finish = start + render()
            slots[slot] = finish
            tasks.append(task(created, start, finish, True))
        others = sorted(rng.uniform(0.0, HOUR) for _ in range(OTHERS_PER_HOUR))
        tasks += [task(c, c + 30, c + 30 + render(), False) for c in others]
        tasks.sort(key=lambda t: t.created)
        by_kind[kind] = tasks
    return Account(by_kind)


@dataclass
class RunResult:
    requests: int
    list_pages: int
    singles: int
    mean_delay_s: float
    finished: int


def run_hour(account: Account, *, lists: bool, policy: PollPolicy | None = None) -> RunResult:
    """Drive the real scheduler through the hour; with ``lists``, list plans first."""
    policy = policy or PollPolicy()
    scheduler = Scheduler(policy, rng=random.Random(1))
    watched = account.watched
    by_key = {t.key: t for t in watched}
    for t in watched:
        scheduler.add(t.key, 0.0)
    due_by = {t.key for t in watched if t.finish <= HOUR}
    known: dict[TaskKey, float] = {}
    pages = singles = 0
    now = 0.0

    def record(key: TaskKey, snap: TaskSnapshot) -> None:
        scheduler.record(key, now, snap)
        if snap.status.terminal and key not in known:
            known[key] = now

    while now <= HOUR or not due_by <= known.keys():
        counting = now <= HOUR
        if lists:
            for plan in scheduler.plan_lists(now, [GATEWAY]):
                walk = ListWalk(plan, policy.list_max_pages, policy.list_page_size)
                while (num := walk.next_page()) is not None:
                    pages += counting
                    page = account.page(plan.kind, num, walk.page_size, now)
                    for key, snap in walk.take(page):
                        if scheduler.takes_listed(key):
                            record(key, snap)
                scheduler.end_list(walk, now)
        for key in scheduler.due(now):
            singles += counting
            record(key, by_key[key].snapshot_at(now))
        wake = scheduler.next_wake(now)
        if wake is None:
            break
        now += max(wake, 1e-3)
    delays = [known[k] - by_key[k].finish for k in due_by]
    return RunResult(pages + singles, pages, singles, statistics.fmean(delays), len(due_by))


@dataclass
class ListRefreshResult:
    per_task: RunResult
    listed: RunResult

    @property
    def requests_ratio(self) -> float:
        return self.listed.requests / self.per_task.requests

    @property
    def delay_ratio(self) -> float:
        return self.listed.mean_delay_s / self.per_task.mean_delay_s


def measure_list_refresh(seed: int = 2026) -> ListRefreshResult:
    """Both sides on the same simulated hour, one after the other (no real time is timed)."""
    account = account_hour(seed)
    per_task = run_hour(account, lists=False)
    listed = run_hour(account, lists=True)
    assert math.isfinite(per_task.mean_delay_s) and per_task.mean_delay_s > 0
    return ListRefreshResult(per_task, listed)


def figures() -> dict[str, Any]:
    """The two figures and what is behind them, for ``run.py``."""
    result = measure_list_refresh()
    return {
        "list_refresh_requests_ratio": result.requests_ratio,
        "list_refresh_delay_ratio": result.delay_ratio,
        "details": {
            "list_refresh": {
                "per_task_requests": result.per_task.requests,
                "list_requests": result.listed.requests,
                "list_pages": result.listed.list_pages,
                "list_singles": result.listed.singles,
                "per_task_mean_delay_s": result.per_task.mean_delay_s,
                "list_mean_delay_s": result.listed.mean_delay_s,
                "finished_in_the_hour": result.listed.finished,
            }
        },
    }


if __name__ == "__main__":
    import json
    import time

    started = time.perf_counter()
    out = figures()
    out["seconds"] = time.perf_counter() - started
    print(json.dumps(out, indent=2))
