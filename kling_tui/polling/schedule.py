"""Which watched task is due for a status query, and when: pure logic, no I/O, no clock.

Every method takes ``now`` (monotonic seconds), so tests and the benchmark's simulated day
drive it with a fake clock. The async loop in ``poller`` asks ``due(now)``, fetches those
tasks, and reports each answer with ``record(now, ...)``.

Rules, and why:

* Unfinished tasks are polled every ``interval``; finished ones never again unless
  refreshed (a succeeded task cannot change).
* A task that sits in ``submitted`` past ``submitted_grace`` is polled less and less often
  (×``growth`` per poll, up to ``max_interval``): a queued task cannot finish without first
  rendering, so a slow cadence there costs no finishing delay.
* While rendering, what matters is noticing the *finish* quickly. With a progress rate we
  estimate the time left: far from the end we poll at a fraction of it (bounded by
  ``interval`` and ``max_interval``), near the end faster than the base rate. Without
  progress (the native API gives none), or with a relay's synthetic percentage
  (``eta.reads_synthetic``), we learn how long renders take (``eta.RenderTimes``, per kind
  and model; queue waits too, for stuck detection) and stay slow until the shortest
  plausible render time of that kind has passed.
* Errors back off exponentially with jitter; ``Retry-After`` blocks the whole gateway;
  auth/account failures slow the gateway's tasks to ``max_interval`` until a good answer;
  a task that does not exist is not polled again until refreshed.

Cost: each gateway keeps its own heap with lazy invalidation, so ``due``/``record`` are
O(log n) per task and a gateway at its concurrency limit costs nothing to skip.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from kling_tui.models import (
    RETRY_AFTER_CAP,
    FetchError,
    FetchResult,
    GatewayState,
    Status,
    TaskKey,
)
from kling_tui.polling.eta import Phase, RenderTimes, reads_synthetic, seconds_left
from kling_tui.polling.lists import ListPlan, ListWalk
from kling_tui.polling.policy import PollPolicy, TaskSchedule

__all__ = ["PollPolicy", "Scheduler", "TaskSchedule"]


@dataclass(slots=True)
class _Gateway:
    heap: list[tuple[float, int, int, TaskKey]] = field(default_factory=list)
    in_flight: int = 0
    blocked_until: float = 0.0
    failure: GatewayState | None = None
    """Set by an error that blames the whole gateway (``ErrorPolicy.gateway_state``)."""


class Scheduler:
    """Decides when each watched task is polled. Deterministic for a given ``rng``."""

    def __init__(self, policy: PollPolicy | None = None, *, rng: random.Random | None = None):
        self.policy = policy or PollPolicy()
        self._rng = rng or random.Random()
        self._tasks: dict[TaskKey, TaskSchedule] = {}
        self._gateways: dict[str, _Gateway] = {}
        self._erroring: set[TaskKey] = set()
        self.times = RenderTimes(
            window=self.policy.learn_window, min_samples=self.policy.learn_samples
        )
        """Learned queue and render times: the scheduler learns them, the screen reads them."""
        self._seq = 0
        self._now = 0.0
        self._list_pages: dict[tuple[str, str], int] = {}
        """Pages the last list refresh of a (gateway, kind) needed: the cost of the next."""
        self._no_lists: set[tuple[str, str]] = set()
        """(gateway, kind) pairs whose list answered that there is none: single queries."""
        self._open_lists: dict[tuple[str, str], list[TaskKey]] = {}
        """(gateway, kind) pairs with a list read in flight, and the tasks that joined it."""

    # -- membership ----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._tasks)

    def __contains__(self, key: object) -> bool:
        return key in self._tasks

    def add(
        self,
        key: TaskKey,
        now: float,
        *,
        status: Status | None = None,
        progress: float | None = None,
    ) -> None:
        """Track a task: due at once unless it is already finished."""
        self._now = now
        if key in self._tasks:
            return
        task = TaskSchedule(key, None, last_status=status, last_progress=progress, status_since=now)
        task.queue_interval = self.policy.interval
        if status is Status.IN_PROGRESS:
            task.rendering_since = now
        self._tasks[key] = task
        if status is None or not status.terminal:
            self._push(task, now)

    def remove(self, key: TaskKey) -> None:
        task = self._tasks.pop(key, None)
        if task is None:
            return
        self._erroring.discard(key)
        if task.in_flight and not task.listed:
            self._gateway(key.gateway).in_flight -= 1
        task.generation += 1  # its heap entries are stale now

    def task_state(self, key: TaskKey) -> TaskSchedule | None:
        return self._tasks.get(key)

    # -- gateways ------------------------------------------------------------------------

    def _gateway(self, name: str) -> _Gateway:
        gw = self._gateways.get(name)
        if gw is None:
            gw = self._gateways[name] = _Gateway()
        return gw

    def gateway_blocked_until(self, gateway: str) -> float | None:
        gw = self._gateways.get(gateway)
        if gw is None or gw.blocked_until <= self._now:
            return None
        return gw.blocked_until

    def gateway_state(self, gateway: str) -> GatewayState:
        """A failure that blames the gateway wins; then backing off; else ok."""
        gw = self._gateways.get(gateway)
        if gw is None:
            return GatewayState.OK
        if gw.failure is not None:
            return gw.failure
        if gw.blocked_until > self._now or any(k.gateway == gateway for k in self._erroring):
            return GatewayState.BACKING_OFF
        return GatewayState.OK

    @property
    def backing_off(self) -> bool:
        """Any gateway blocked by Retry-After, or any task waiting out an error backoff."""
        return bool(self._erroring) or any(
            g.blocked_until > self._now for g in self._gateways.values()
        )

    # -- the heap ------------------------------------------------------------------------

    def _push(self, task: TaskSchedule, when: float) -> None:
        task.generation += 1
        task.next_due = when
        self._seq += 1
        heapq.heappush(
            self._gateway(task.key.gateway).heap, (when, self._seq, task.generation, task.key)
        )

    def _clean_top(self, gw: _Gateway) -> tuple[float, int, int, TaskKey] | None:
        heap = gw.heap
        while heap:
            top = heap[0]
            task = self._tasks.get(top[3])
            if task is None or task.generation != top[2] or task.in_flight:
                heapq.heappop(heap)
                continue
            return top
        return None

    def due(
        self,
        now: float,
        limit: int | None = None,
        per_gateway_limit: Mapping[str, int] | None = None,
    ) -> list[TaskKey]:
        """Tasks to poll now, earliest first per gateway; they are marked in flight."""
        self._now = now
        out: list[TaskKey] = []
        for name, gw in self._gateways.items():
            if gw.blocked_until > now:
                continue
            room = None
            if per_gateway_limit is not None and name in per_gateway_limit:
                room = per_gateway_limit[name] - gw.in_flight
            while (room is None or room > 0) and (limit is None or len(out) < limit):
                top = self._clean_top(gw)
                if top is None or top[0] > now:
                    break
                heapq.heappop(gw.heap)
                task = self._tasks[top[3]]
                task.in_flight = True
                task.next_due = None
                gw.in_flight += 1
                out.append(task.key)
                if room is not None:
                    room -= 1
        return out

    def claim(self, key: TaskKey, now: float, limit: int | None = None) -> str:
        """Mark one due task in flight, like :meth:`due` but for that task alone.

        For refreshes asked for while polling is paused: the other due tasks must stay
        where they are. Returns ``"claimed"``; ``"busy"`` when its gateway is at ``limit``
        or under a Retry-After (ask again later); ``"skip"`` when it is not waiting to be
        polled (gone, in flight, or not due).
        """
        self._now = now
        task = self._tasks.get(key)
        if task is None or task.in_flight or task.next_due is None or task.next_due > now:
            return "skip"
        gw = self._gateway(key.gateway)
        if gw.blocked_until > now or (limit is not None and gw.in_flight >= limit):
            return "busy"
        task.in_flight = True
        task.next_due = None
        task.generation += 1  # its heap entry is stale now
        gw.in_flight += 1
        return "claimed"

    # -- list-based refresh (see polling.lists) -------------------------------------------

    def plan_lists(
        self,
        now: float,
        gateways: Collection[str],
        listable: Callable[[TaskKey], bool] | None = None,
        per_gateway_limit: Mapping[str, int] | None = None,
    ) -> list[ListPlan]:
        """Groups of due tasks cheaper to refresh by list page than one by one.

        Only on ``gateways`` (those that list: never a relay), only tasks ``listable`` says
        may be (the poller leaves out a task with its own base URL), never one already found
        beyond the pages' reach. A group is taken when it has at least ``list_min_due`` due
        tasks and more than the pages it is expected to take; its tasks are marked in flight
        and the list holds one connection of the gateway. A due task whose (gateway, kind)
        has a list read in flight joins that read instead (``TaskSchedule.joined``): due a
        moment after its kind's plan, it was polled alone while the page answering for it
        was on its way. The rest stay due for :meth:`due`.
        """
        self._now = now
        p = self.policy
        plans: list[ListPlan] = []
        for name in gateways:
            gw = self._gateways.get(name)
            if gw is None or gw.blocked_until > now:
                continue
            limit = None if per_gateway_limit is None else per_gateway_limit.get(name)
            if limit is not None and gw.in_flight >= limit:
                continue
            popped: list[tuple[float, int, int, TaskKey]] = []
            groups: dict[str, list[TaskKey]] = {}
            while True:
                top = self._clean_top(gw)
                if top is None or top[0] > now:
                    break
                popped.append(heapq.heappop(gw.heap))
                key = top[3]
                task = self._tasks[key]
                if task.unlisted or (name, key.kind) in self._no_lists:
                    continue
                if listable is not None and not listable(key):
                    continue
                joining = self._open_lists.get((name, key.kind))
                if joining is not None:
                    # Its kind's page is on its way and answers for it too; a query of
                    # its own now would cost a request for an answer already coming.
                    popped.pop()
                    task.in_flight = task.listed = task.joined = True
                    task.next_due = None
                    joining.append(key)
                    continue
                groups.setdefault(key.kind, []).append(key)
            taken: set[TaskKey] = set()
            for kind, keys in groups.items():
                if limit is not None and gw.in_flight >= limit:
                    break
                pages = self._list_pages.get((name, kind), 1)
                if len(keys) < max(p.list_min_due, pages + 1):
                    continue
                for key in keys:
                    task = self._tasks[key]
                    task.in_flight = task.listed = True
                    task.next_due = None
                gw.in_flight += 1
                taken.update(keys)
                self._open_lists.setdefault((name, kind), [])
                plans.append(ListPlan(name, kind, tuple(keys), pages))
            for entry in popped:
                if entry[3] not in taken:
                    heapq.heappush(gw.heap, entry)
        return plans

    def claim_list(
        self, gateway: str, kind: str, keys: Iterable[TaskKey], now: float
    ) -> ListPlan | None:
        """A plan for these tasks of one (gateway, kind), due or not (``poll_once``: every
        task once), when a list is cheaper for them by the same rule as :meth:`plan_lists`;
        None leaves them all to single queries. The plan's tasks are marked in flight."""
        self._now = now
        if (gateway, kind) in self._no_lists:
            return None
        free = []
        for key in keys:
            task = self._tasks.get(key)
            if task is not None and not task.in_flight and not task.unlisted:
                free.append(task)
        pages = self._list_pages.get((gateway, kind), 1)
        if len(free) < max(self.policy.list_min_due, pages + 1):
            return None
        for task in free:
            task.in_flight = task.listed = True
            task.next_due = None
            task.generation += 1  # its heap entry is stale now
        self._gateway(gateway).in_flight += 1
        self._open_lists.setdefault((gateway, kind), [])
        return ListPlan(gateway, kind, tuple(t.key for t in free), pages)

    def takes_listed(self, key: TaskKey) -> bool:
        """Whether a task seen on a list page should be recorded: watched, not finished, and
        not being polled on its own right now (that answer is on its way)."""
        task = self._tasks.get(key)
        if task is None:
            return False
        if task.in_flight:
            return task.listed
        return task.last_status is None or not task.last_status.terminal

    def end_list(self, walk: ListWalk, now: float) -> None:
        """A list refresh ended: free its connection, learn the pages it took; due tasks it
        neither found nor failed go back to single queries, due now. Tasks that joined it
        (fell due meanwhile) and were not on its pages are due now, as they were."""
        self._now = now
        plan = walk.plan
        pair = (plan.gateway, plan.kind)
        self._gateway(plan.gateway).in_flight -= 1
        for key in self._open_lists.pop(pair, ()):
            task = self._tasks.get(key)
            if task is not None and task.joined and task.in_flight:
                task.in_flight = task.listed = task.joined = False
                self._push(task, now)
        if walk.lists_unavailable:
            self._no_lists.add(pair)
        elif walk.error is None:
            self._list_pages[pair] = walk.pages_needed
        for key in plan.due:
            task = self._tasks.get(key)
            if task is None or not (task.in_flight and task.listed):
                continue  # recorded (found, or failed with the page), or removed meanwhile
            task.in_flight = task.listed = False
            if walk.error is None and walk.pages_read:
                task.unlisted = True  # older than the pages reach
            self._push(task, now)

    def next_wake(
        self, now: float, per_gateway_limit: Mapping[str, int] | None = None
    ) -> float | None:
        """Seconds until the next task is due (0 if one is due now); None: nothing scheduled.

        With ``per_gateway_limit``, a gateway at its limit is left out: nothing of it can
        start before a poll in flight ends, and the caller dispatches then. (Counting it, a
        saturated gateway made the poll loop wake every millisecond to start nothing.)
        """
        self._now = now
        best: float | None = None
        for name, gw in self._gateways.items():
            if per_gateway_limit is not None and gw.in_flight >= per_gateway_limit.get(
                name, gw.in_flight + 1
            ):
                continue
            top = self._clean_top(gw)
            if top is None:
                continue
            when = max(top[0], gw.blocked_until)
            if best is None or when < best:
                best = when
        return None if best is None else max(0.0, best - now)

    # -- results -------------------------------------------------------------------------

    def refresh(self, key: TaskKey | None, now: float) -> None:
        """Poll now, bypassing backoff, slowdown and finished state (None = every task).

        A gateway's Retry-After still holds: the server asked for it.
        """
        self._now = now
        targets = list(self._tasks.values()) if key is None else [self._tasks.get(key)]
        for task in targets:
            if task is None or task.in_flight:
                continue
            task.stopped = False
            self._push(task, now)

    def release(self, key: TaskKey, now: float) -> None:
        """A poll ended without an answer (cancelled): no longer in flight, due now."""
        self._now = now
        task = self._tasks.get(key)
        if task is None or not task.in_flight:
            return
        self._land(task)
        self._push(task, now)

    def _land(self, task: TaskSchedule) -> None:
        """No longer in flight; its connection is free unless a list refresh holds it."""
        task.in_flight = False
        task.joined = False
        if task.listed:
            task.listed = False
        else:
            self._gateway(task.key.gateway).in_flight -= 1

    def record(self, key: TaskKey, now: float, result: FetchResult) -> None:
        """Take one answer into account and schedule the task's next poll."""
        self._now = now
        task = self._tasks.get(key)
        if task is None:
            return
        gw = self._gateway(key.gateway)
        if task.in_flight:
            self._land(task)
        if isinstance(result, FetchError):
            self._record_error(task, gw, now, result)
            return
        gw.failure = None
        task.error_count = 0
        task.stopped = False
        self._erroring.discard(key)
        status, progress = result.status, result.progress
        if result.model:
            task.model = result.model
        if progress is not None and not result.progress_synthetic:
            task.real_progress = True
        if status != task.last_status:
            self._status_changed(task, now, status)
        synthetic = reads_synthetic(result, task.real_progress)
        if progress is not None and progress != task.last_progress and not synthetic:
            if task.progress_origin is None and status is Status.IN_PROGRESS:
                task.progress_origin = (now, progress)
        task.last_progress = progress
        if status.terminal:
            task.next_due = None
            task.generation += 1
            return
        self._push(task, now + self._interval_for(task, now))

    def _status_changed(self, task: TaskSchedule, now: float, status: Status) -> None:
        kind = task.key.kind
        if task.last_status is Status.SUBMITTED and status is not Status.UNKNOWN:
            self.times.learn(Phase.QUEUE, kind, task.model, now - task.status_since)
        if status.terminal and task.rendering_since is not None:
            self.times.learn(Phase.RENDER, kind, task.model, now - task.rendering_since)
        if status is Status.IN_PROGRESS:
            task.rendering_since = now
            task.progress_origin = None
        task.last_status = status
        task.status_since = now
        task.queue_interval = self.policy.interval

    def _record_error(
        self, task: TaskSchedule, gw: _Gateway, now: float, error: FetchError
    ) -> None:
        p = self.policy
        rule = error.type.policy
        if rule.stops_task:
            task.stopped = True
            task.next_due = None
            task.generation += 1
            self._erroring.discard(task.key)
            return
        if rule.gateway_state is not None:
            gw.failure = rule.gateway_state
            self._push(task, now + p.max_interval)
            return
        task.error_count += 1
        self._erroring.add(task.key)
        spread = 1 + p.jitter * (2 * self._rng.random() - 1)
        delay = min(p.error_max, p.error_base * 2 ** (task.error_count - 1)) * spread
        if rule.retry_after_blocks_gateway and error.retry_after is not None:
            wait = min(error.retry_after, RETRY_AFTER_CAP)
            gw.blocked_until = max(gw.blocked_until, now + wait)
            delay = max(delay, wait * (1 + p.jitter * self._rng.random()))
        self._push(task, now + delay)

    # -- the adaptive part ---------------------------------------------------------------

    def render_floor(self, kind: str, model: str | None = None) -> float | None:
        """A low quantile of learned render times: the task is unlikely to be done sooner.

        From this kind (and model) only, never another kind's or a default: a floor too high
        would delay noticing the finish.
        """
        q = self.policy.render_quantile
        return self.times.quantile(Phase.RENDER, kind, model, q, same_kind=True)

    def _clamp(self, seconds: float) -> float:
        p = self.policy
        return max(p.interval, min(p.max_interval, seconds))

    def _interval_for(self, task: TaskSchedule, now: float) -> float:
        p = self.policy
        status = task.last_status
        if status is Status.SUBMITTED:
            if now - task.status_since < p.submitted_grace:
                return p.interval
            task.queue_interval = min(
                p.max_interval, max(p.interval, task.queue_interval * p.growth)
            )
            return task.queue_interval
        if status is not Status.IN_PROGRESS or task.rendering_since is None:
            return p.interval  # unknown words: keep watching at the base rate
        remaining = self._estimate_remaining(task, now)
        if remaining is None:
            return p.interval
        near = p.interval * p.near_eta_factor
        if remaining <= 2 * p.interval:
            return near
        return self._clamp(remaining * p.far_fraction)

    def _estimate_remaining(self, task: TaskSchedule, now: float) -> float | None:
        """Seconds until the render is expected to end, or None when there is no basis.

        From the progress rate when progress moves; otherwise from learned render times.
        Past the estimate (a late task) there is no basis any more: base rate.
        """
        origin, progress = task.progress_origin, task.last_progress
        if origin is not None and progress is not None and progress > origin[1]:
            # The reading just recorded is the latest: the time left counts from it.
            left = seconds_left(origin, (now, progress), now)
            return left if left else None  # 0: at (or past) 100 %, no basis any more
        floor = self.render_floor(task.key.kind, task.model)
        if floor is None or task.rendering_since is None:
            return None
        left = floor - (now - task.rendering_since)
        return left if left > 0 else None
