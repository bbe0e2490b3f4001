"""The polling engine: scheduler + fetcher + watch list, publishing updates to subscribers.

One long-lived async loop (``Poller.run``) asks the pure ``Scheduler`` which tasks are due,
fetches them through the shared ``Fetcher`` (never two polls of one task at once: the
scheduler marks them in flight), applies each result to the task's ``WatchEntry`` and
publishes a ``PollUpdate``. Results are written back to the watch list in batches, off the
event loop, so hundreds of tasks finishing in one cycle cost one file write, not hundreds.

The dashboard and the headless ``watch``/``wait`` commands are both just subscribers.

    poller = Poller(store, fetcher, policy)
    unsubscribe = poller.subscribe(callback)   # callback(event) on the loop running run()
    await poller.run()                         # until poller.stop()
    await poller.poll_once()                   # poll every unfinished task once
    poller.refresh(key | None); poller.pause(); poller.resume()
    poller.add(entries) -> AddResult; poller.remove(keys) -> list[WatchEntry]
    await poller.flush()

Events (frozen dataclasses) passed to subscribers: ``PollUpdate`` (one task's new state),
``StateChanged`` (running / paused / backing off / auth failed / idle), ``ListChanged``
(tasks added or removed, here or by another process editing the file), ``Notice`` (a message
for the operator that is about no single task, e.g. a broken hand edit of the watch list).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from kling_tui.bulk import collector_paused
from kling_tui.config import GatewayConfig
from kling_tui.gateway.normalize import ListPage
from kling_tui.models import (
    ErrorType,
    FetchError,
    FetchResult,
    Status,
    TaskKey,
    TaskSnapshot,
    WatchEntry,
)
from kling_tui.polling.eta import UNLEARNED, RenderTimes, is_stuck
from kling_tui.polling.lists import ListPlan, ListWalk
from kling_tui.polling.same_task import SameTaskIndex
from kling_tui.polling.schedule import PollPolicy, Scheduler
from kling_tui.store.ids import carry_ids
from kling_tui.store.watchlist import AddResult, WatchList, WatchListError

log = logging.getLogger(__name__)


class TaskFetcher(Protocol):
    """What the poller needs of a fetcher (the real one: ``kling_tui.gateway.fetcher.Fetcher``)."""

    async def fetch(self, entry: WatchEntry) -> FetchResult: ...


@runtime_checkable
class TaskLister(Protocol):
    """What list-based refresh needs of a fetcher besides ``fetch`` (the real one has it)."""

    def list_gateway(self, name: str) -> GatewayConfig | None: ...

    async def fetch_page(
        self, gateway: GatewayConfig, kind: str, *, page_num: int = 1, page_size: int = 500
    ) -> ListPage: ...


class PollerState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    BACKING_OFF = "backing off"
    AUTH_FAILED = "auth failed"
    IDLE = "idle"


@dataclass(frozen=True, slots=True)
class PollUpdate:
    """One task's new state. ``entry.snapshot`` is the last good snapshot."""

    entry: WatchEntry
    previous_status: Status | None
    stale: bool
    status: Status | None = None
    """The task's status when this update was made (the entry itself moves on)."""

    def __post_init__(self) -> None:
        if self.status is None:
            object.__setattr__(self, "status", self.entry.status)

    @property
    def finished_now(self) -> bool:
        """True when this poll is the one that saw the task finish."""
        status = self.status
        return status is not None and status.terminal and self.previous_status != status


@dataclass(frozen=True, slots=True)
class StateChanged:
    state: PollerState
    detail: str


@dataclass(frozen=True, slots=True)
class ListChanged:
    added: tuple[WatchEntry, ...]
    removed: tuple[TaskKey, ...]


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the operator should read that is not about one task (e.g. a bad hand edit)."""

    message: str
    severity: str = "warning"


PollerEvent = PollUpdate | StateChanged | ListChanged | Notice
Subscriber = Callable[[PollerEvent], None]


def state_since(entry: WatchEntry, new: TaskSnapshot) -> datetime:
    """Since when the task's state (status and progress) has been what ``new`` says.

    Unchanged from the last answer: since the stored time, or at least since that answer
    (a list written before this field existed). Moved: since this answer. A task first seen
    queued has been queued since the server created it (when the answer says so). An answer
    without a percentage (native answers have none) says nothing about progress: it is not
    a move (a relay's 30 % then a native list's copy of the same task must not un-stick it).
    Never later than this answer: a list saved by a machine whose clock ran ahead would
    otherwise keep a future start, and the task could not be stuck until that date.
    """
    old = entry.snapshot
    same_progress = new.progress is None or old is None or old.progress == new.progress
    if old is not None and old.status == new.status and same_progress:
        since = entry.state_since
        return min(since if since is not None else old.fetched_at, new.fetched_at)
    if old is None and new.status is Status.SUBMITTED and new.created_at is not None:
        return min(new.created_at, new.fetched_at)
    return new.fetched_at


def apply_result(entry: WatchEntry, result: FetchResult, times: RenderTimes | None = None) -> None:
    """Fold a fetch result into a watch entry: a failure keeps the last good snapshot, and
    a new snapshot keeps the ids the last one knew and it does not say (``carry_ids``).

    An answer also moves ``state_since`` (when the state moved) and decides ``stuck`` anew
    with the learned render ``times`` (``eta.is_stuck``); a failure leaves both as they were.
    """
    if isinstance(result, TaskSnapshot):
        entry.state_since = state_since(entry, result)
        entry.snapshot = carry_ids(entry.snapshot, result)
        entry.last_error = None
        entry.last_checked = result.fetched_at
        entry.stuck = is_stuck(entry, UNLEARNED if times is None else times, result.fetched_at)
    else:
        entry.last_error = result
        entry.last_checked = result.at


def _answered_itself(entry: WatchEntry) -> bool:
    """The entry's snapshot came from querying its own id (not mirrored from a twin)."""
    s = entry.snapshot
    if s is None:
        return False
    return s.task_id == entry.task_id or (entry.external and s.external_task_id == entry.task_id)


class Poller:
    """Keeps every unfinished watched task fresh without hammering the gateway."""

    def __init__(
        self,
        store: WatchList,
        fetcher: TaskFetcher,
        policy: PollPolicy | None = None,
        *,
        per_gateway_limit: Mapping[str, int] | None = None,
        default_limit: int = 8,
        clock: Callable[[], float] = time.monotonic,
        save_interval: float = 2.0,
        reload_interval: float = 2.0,
        entries: list[WatchEntry] | None = None,
        scope: set[TaskKey] | None = None,
    ) -> None:
        """``scope`` limits the poller to some tasks (``wait ID...``); others are left alone."""
        self.store = store
        self.fetcher = fetcher
        self._lister = fetcher if isinstance(fetcher, TaskLister) else None
        """The fetcher when it can read list pages: list-based refresh (``polling.lists``)."""
        self.policy = policy or PollPolicy()
        self._scheduler = Scheduler(self.policy)
        self._unscheduled: list[tuple[TaskKey, Status | None, float | None]] = []
        """Tasks loaded here but not yet handed to the scheduler: ``scheduler`` does that at
        its first use (see there)."""
        self._clock = clock
        self._limits = dict(per_gateway_limit or {})
        self._default_limit = default_limit
        self.save_interval = save_interval
        self.reload_interval = reload_interval
        self._entries: dict[TaskKey, WatchEntry] = {}
        # Kept up to date as tasks come, go and finish, so that nothing done once per poll
        # has to look at every task (10,000 of them in the benchmark).
        self._gateway_counts: Counter[str] = Counter()
        self._unfinished: set[TaskKey] = set()
        self._subscribers: list[Subscriber] = []
        self._dirty: set[TaskKey] = set()
        self._store_lock = threading.Lock()
        self._wake: asyncio.Event | None = None
        self._sleeping_until: float | None = None
        """When the loop sleeps: the clock time it means to wake at by itself."""
        self._stopping = False
        self._paused = False
        self._forced: dict[str, dict[TaskKey, None]] = {}
        """Refreshes asked for while paused, per gateway, in the order asked: they run
        although the regular schedule is paused (the operator pressed ``r``)."""
        self._state = PollerState.IDLE
        self._in_flight: set[asyncio.Task[None]] = set()
        self._last_save = clock()
        self._last_reload_check = clock()
        self._scope = scope
        self._same: SameTaskIndex | None = None
        """Built at the first poll (``_same_index``), not here: 10,000 tasks' ids cost
        about 20 ms, which a start must not wait for."""
        self._mirrors: dict[TaskKey, TaskKey] = {}
        """Entries found to be the same task as another (``polling.same_task``): not polled,
        they show the state of the one that is (alias key -> polled key)."""
        self._held: list[Notice] = []
        """Notices from before anyone could subscribe (same tasks found at load)."""
        self._loaded_at = self._last_reload_check  # the clock reading of the loaded tasks
        with collector_paused():
            for entry in store.load() if entries is None else entries:
                if scope is None or entry.key in scope:
                    self._track(entry, schedule=False)

    # -- observers -----------------------------------------------------------------------

    @property
    def scheduler(self) -> Scheduler:
        """The schedule of every tracked task. The tasks loaded at construction are handed
        to it here, at its first use (the first poll, a refresh, an add...), all as of the
        construction's clock reading, as if added then: 10,000 of them take 12 ms, which a
        start without polling (or before its first poll) need not wait for before its
        first frame (bench/run.py ``startup_cold_ratio_10k``)."""
        if self._unscheduled:
            pending, self._unscheduled = self._unscheduled, []
            add, now = self._scheduler.add, self._loaded_at
            with collector_paused():
                for key, status, progress in pending:
                    add(key, now, status=status, progress=progress)
        return self._scheduler

    @property
    def render_times(self) -> RenderTimes:
        """The learned render times (the scheduler's), without building the schedule."""
        return self._scheduler.times

    @property
    def entries(self) -> list[WatchEntry]:
        return list(self._entries.values())

    def entry(self, key: TaskKey) -> WatchEntry | None:
        return self._entries.get(key)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def state(self) -> PollerState:
        return self._state

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    def _publish(self, event: PollerEvent) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken subscriber must not stop polling for the others
                log.exception("poller subscriber failed")

    # -- control -------------------------------------------------------------------------

    def _track(self, entry: WatchEntry, *, schedule: bool = True) -> None:
        """Track a task; ``schedule=False`` (construction): hand it to the scheduler later."""
        key = entry.key
        self._entries[key] = entry
        self._gateway_counts[key.gateway] += 1
        self._note_finished(entry, key)
        snap = entry.snapshot
        if snap is not None and entry.state_since is not None:
            # Stuck as of its last answer, so a restart shows it before the first poll.
            entry.stuck = is_stuck(entry, self._scheduler.times, snap.fetched_at)
        status = snap.status if snap else None
        progress = snap.progress if snap else None
        if schedule:
            self.scheduler.add(key, self._clock(), status=status, progress=progress)
        else:
            self._unscheduled.append((key, status, progress))
        if self._same is not None:
            self._note_twin(self._same, entry, key)

    def _same_index(self) -> SameTaskIndex:
        """The index of every tracked task's ids, built on first use (see ``_same``)."""
        if self._same is None:
            self._same = SameTaskIndex()
            for key, entry in list(self._entries.items()):
                self._note_twin(self._same, entry, key)
        return self._same

    def _note_twin(self, index: SameTaskIndex, entry: WatchEntry, key: TaskKey) -> None:
        """Index a task just tracked; one that shares an id with a tracked one is joined."""
        other = index.note(entry, key)
        if other is not None and other in self._entries:
            earlier = self._entries[self._mirrors.get(other, other)]
            # The one whose own query gave its last answer stays polled (a twin's snapshot
            # is its twin's answer); else the earlier one.
            if _answered_itself(entry) and not _answered_itself(earlier):
                self._join(entry, earlier)
            else:
                self._join(earlier, entry)

    def _untrack(self, key: TaskKey) -> WatchEntry | None:
        if self._same is not None:
            self._same.forget(key)
        self._mirrors.pop(key, None)
        for alias in [a for a, p in self._mirrors.items() if p == key]:
            del self._mirrors[alias]  # its twin is gone: polled on its own again
            twin = self._entries[alias]
            self.scheduler.add(alias, self._clock(), status=twin.status)
            self.scheduler.refresh(alias, self._clock())
            self._same_index().note(twin)
        self.scheduler.remove(key)
        self._dirty.discard(key)
        self._unfinished.discard(key)
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._gateway_counts[key.gateway] -= 1
            if self._gateway_counts[key.gateway] <= 0:
                del self._gateway_counts[key.gateway]
        return entry

    def _note_finished(self, entry: WatchEntry, key: TaskKey | None = None) -> None:
        """``key``: the entry's, when the caller has it (built once per task at start-up)."""
        if key is None:
            key = entry.key
        if entry.finished:
            self._unfinished.discard(key)
        else:
            self._unfinished.add(key)

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def refresh(self, key: TaskKey | None = None) -> None:
        """Poll now, bypassing the schedule (``None``: every task, finished ones too).

        While paused the refresh still runs, once; the regular schedule stays paused.
        """
        if key is not None:
            key = self._mirrors.get(key, key)  # a twin's row refreshes the task it shows
        self.scheduler.refresh(key, self._clock())
        if self._paused:
            for k in self._entries if key is None else (key,):
                if k in self._entries:
                    self._forced.setdefault(k.gateway, {})[k] = None
        self._poke()

    def pause(self) -> None:
        self._paused = True
        self._update_state()

    def resume(self) -> None:
        self._paused = False
        self._forced.clear()  # the regular schedule has them due now anyway
        self._update_state()
        self._poke()

    def stop(self) -> None:
        """End ``run()``; called before ``run()`` starts, that run returns at once.

        (``wait`` on tasks that are all finished stops the poller before its loop ever got
        to run: resetting the flag when ``run()`` starts made that loop run forever.)
        """
        self._stopping = True
        self._poke()

    def add(self, entries: Iterable[WatchEntry]) -> AddResult:
        """Add tasks to the watch list (persisted at once) and schedule them.

        The store re-reads the file under its lock first, so tasks another process added
        meanwhile arrive here too, in the same ``ListChanged``.
        """
        with self._store_lock:
            result = self.store.add(list(entries))
            fresh = {e.key: e for e in self.store.entries}
        self._merge_fresh(fresh)
        self._poke()
        return result

    def merge_snapshots(self, found: Iterable[tuple[TaskKey, TaskSnapshot]]) -> int:
        """Newer snapshots of watched tasks (an import read them in a list), each delivered
        like any answer (``_deliver``: schedule, ``PollUpdate``, the next batched save).
        Tasks not tracked, polled right now (that answer is on its way), or already holding
        this very snapshot are left alone; returns how many were taken. The caller decided
        they are newer (``importing.plan``)."""
        taken = 0
        for key, snap in found:
            entry = self._entries.get(key)
            if entry is None or entry.snapshot == snap:
                continue
            state = self.scheduler.task_state(key)
            if state is not None and state.in_flight:
                continue
            self._deliver(entry, entry.status, snap)
            taken += 1
        if taken:
            self._update_state()
        return taken

    def remove(self, keys: Iterable[TaskKey]) -> list[WatchEntry]:
        """Remove tasks (persisted at once); returns them, last state included, for undo."""
        wanted = [k for k in keys if k in self._entries]
        mine = [self._entries[k] for k in wanted]
        with self._store_lock:
            self.store.remove(wanted)
            fresh = {e.key: e for e in self.store.entries}
        self._merge_fresh(fresh)
        self._poke()  # a removed task may have been in flight: its connection is free
        return mine

    def restore(self, entries: list[WatchEntry]) -> None:
        """Undo a removal: the entries come back where they were, with their last state."""
        with self._store_lock:
            self.store.restore(entries)
            fresh = {e.key: e for e in self.store.entries}
        self._merge_fresh(fresh)
        self._poke()

    # -- polling -------------------------------------------------------------------------

    def _limit_for(self) -> dict[str, int]:
        return {g: self._limits.get(g, self._default_limit) for g in self._gateway_counts}

    async def _poll_one(self, key: TaskKey) -> None:
        entry = self._entries.get(key)
        if entry is None:  # removed before it started; its slot is free again
            self._next()
            return
        previous = entry.status
        try:
            result = await self.fetcher.fetch(entry)
        except asyncio.CancelledError:
            # run() ending (or the app quitting): not in flight any more, due at once when
            # polling starts again, rather than counted in flight for good.
            if self._entries.get(key) is entry:
                self.scheduler.release(key, self._clock())
            raise
        except Exception as exc:  # the fetcher promises not to raise; keep polling if it does
            log.exception("fetch of %s failed unexpectedly", key)
            result = FetchError(ErrorType.NETWORK, f"unexpected error: {type(exc).__name__}")
        if self._entries.get(key) is not entry:
            # Removed (perhaps re-added) while in flight: the scheduler already let go of
            # it, and this answer must not reschedule a task added again meanwhile.
            self._next()
            return
        self._deliver(entry, previous, result)
        self._update_state()
        self._next()

    def _deliver(
        self,
        entry: WatchEntry,
        previous: Status | None,
        result: FetchResult,
        now: float | None = None,
    ) -> None:
        """The one way an answer reaches a task, single or from a list page: scheduler,
        entry, the next save, subscribers, the entry's twins. ``now``: when the answer came
        (a page's answers all came at once), else the clock."""
        self.scheduler.record(entry.key, self._clock() if now is None else now, result)
        if entry.key not in self._mirrors:  # became a twin while in flight: the other speaks
            self._take(entry, previous, result)

    def _take(self, entry: WatchEntry, previous: Status | None, result: FetchResult) -> None:
        """Apply one answer, publish it, and pass it on to the entry's twins."""
        apply_result(entry, result, self.scheduler.times)
        self._note_finished(entry)
        self._dirty.add(entry.key)
        self._publish(PollUpdate(entry, previous, stale=isinstance(result, FetchError)))
        if isinstance(result, TaskSnapshot):
            other = self._same_index().note(entry)  # the answer may name another entry's id
            if other is not None and other in self._entries:
                self._join(entry, self._entries[other])
        for alias, polled in list(self._mirrors.items()):
            if polled == entry.key and alias in self._entries:
                self._mirror(entry, self._entries[alias])

    def _join(self, polled: WatchEntry, twin: WatchEntry) -> None:
        """``twin`` is the same task as ``polled``: stop polling it, show ``polled``'s
        state on it, and say so once (a demanding operator wants neither a silent double
        poll nor a row removed behind their back: the label and position are theirs)."""
        if polled.key == twin.key or self._mirrors.get(twin.key) == polled.key:
            return
        if self._mirrors.get(polled.key) == twin.key:
            return  # already the other way round
        self._mirrors[twin.key] = polled.key
        for alias, target in list(self._mirrors.items()):
            if target == twin.key:
                self._mirrors[alias] = polled.key
        self.scheduler.remove(twin.key)
        self._forced.get(twin.key.gateway, {}).pop(twin.key, None)
        if polled.snapshot is not None:
            self._mirror(polled, twin)
        notice = Notice(
            f"{twin.task_id} and {polled.task_id} are the same task ({twin.kind} on "
            f"{twin.gateway}): it is polled once, as {polled.task_id}, and both rows show its "
            "state; remove the extra row with d in the dashboard",
            "warning",
        )
        if self._subscribers:
            self._publish(notice)
        else:
            self._held.append(notice)

    def _mirror(self, polled: WatchEntry, twin: WatchEntry) -> None:
        previous = twin.status
        twin.snapshot = polled.snapshot
        twin.last_error = polled.last_error
        twin.last_checked = polled.last_checked
        twin.state_since = polled.state_since
        twin.stuck = polled.stuck
        self._note_finished(twin)
        self._dirty.add(twin.key)
        self._publish(PollUpdate(twin, previous, stale=twin.last_error is not None))

    @property
    def twins(self) -> dict[TaskKey, TaskKey]:
        """Entries not polled since they are the same task as another (key -> polled key)."""
        self._same_index()
        return dict(self._mirrors)

    # -- list-based refresh (polling.lists) ----------------------------------------------

    def _list_gateways(self) -> list[str]:
        """The watched gateways that list (native, list_refresh not off; never a relay)."""
        lister = self._lister
        if lister is None:
            return []
        return [g for g in self._gateway_counts if lister.list_gateway(g) is not None]

    def _listable(self, key: TaskKey) -> bool:
        """A task with its own base URL lives elsewhere than its gateway's list; one watched
        by its external id is not found by id on a list page (its key holds the external id)."""
        entry = self._entries.get(key)
        return entry is not None and entry.base_url is None and not entry.external

    async def _list_refresh(self, plan: ListPlan) -> None:
        """Carry one plan of the loop out, then start what is due (its fallbacks too)."""
        await self._walk(plan)
        self._update_state()
        self._next()

    async def _walk(self, plan: ListPlan) -> ListWalk:
        """Read the plan's pages and deliver every watched task found on them; due tasks
        not found are back in the scheduler, due now (``ListWalk.fallback``)."""
        assert self._lister is not None
        policy = self.policy
        walk = ListWalk(plan, policy.list_max_pages, policy.list_page_size)
        gateway = self._lister.list_gateway(plan.gateway)
        try:
            while gateway is not None and (num := walk.next_page()) is not None:
                page = await self._lister.fetch_page(
                    gateway, plan.kind, page_num=num, page_size=walk.page_size
                )
                # One time for the whole page: its tasks, answered together, are due again
                # together. Read per task, the clock spread their due times over the
                # delivery (a millisecond for a few dozen), and a wake-up in that spread
                # found one due alone and polled it by itself: a page it had no need of.
                at = self._clock()
                for key, snapshot in walk.take(page):
                    entry = self._entries.get(key)
                    if entry is not None and self.scheduler.takes_listed(key):
                        self._deliver(entry, entry.status, snapshot, at)
        except asyncio.CancelledError:
            self.scheduler.end_list(walk, self._clock())  # due again when polling resumes
            raise
        except Exception as exc:  # the fetcher promises not to raise; keep polling if it does
            log.exception("list refresh of %s on %s failed unexpectedly", plan.kind, plan.gateway)
            walk.error = FetchError(ErrorType.NETWORK, f"unexpected error: {type(exc).__name__}")
        at = self._clock()
        for key, error in walk.failed_due:
            entry = self._entries.get(key)
            if entry is not None and self.scheduler.takes_listed(key):
                self._deliver(entry, entry.status, error, at)
        self.scheduler.end_list(walk, self._clock())
        return walk

    def _plan_once(self, targets: list[WatchEntry]) -> list[ListPlan]:
        """``poll_once``'s list plans: its tasks grouped by (gateway, kind) where that lists."""
        listing = set(self._list_gateways())
        groups: dict[tuple[str, str], list[TaskKey]] = {}
        for entry in targets:
            if entry.gateway in listing and self._listable(entry.key):
                groups.setdefault((entry.gateway, entry.kind), []).append(entry.key)
        now = self._clock()
        plans = [self.scheduler.claim_list(g, k, keys, now) for (g, k), keys in groups.items()]
        return [p for p in plans if p is not None]

    def _next(self) -> None:
        """A connection came free: start the next due poll from here, at once. Waiting for
        the loop to wake up would leave the connection idle meanwhile (the benchmark
        measured 20 % more time per poll that way, in httpx's pool checking idle sockets)."""
        if not self._stopping:
            self._dispatch()
        self._poke_if_sooner()

    def _poke_if_sooner(self) -> None:
        """Wake the sleeping loop only if a task is now due before it planned to wake.

        Waking it after every poll cost a loop turn (timers, an event) per poll for nothing:
        the task just polled is due again an interval later, after the loop's own wake-up.
        """
        until = self._sleeping_until
        if until is None:
            return  # the loop is awake and will look at the schedule before it sleeps
        wait = self.scheduler.next_wake(self._clock(), self._limit_for())
        if wait is not None and self._clock() + wait < until:
            self._poke()

    def _dispatch(self) -> int:
        """Start every due poll (bounded per gateway). Returns how many single polls started.

        On a gateway that lists, groups of due tasks of one kind are refreshed by list page
        first (``Scheduler.plan_lists``), the rest one by one. While paused, only the
        refreshes asked for meanwhile start (one by one).
        """
        if self._paused:
            keys = self._claim_forced()
        else:
            # One time for both decisions: a task falling due between two clock readings
            # missed its kind's list plan and was polled alone right after it.
            now = self._clock()
            limits = self._limit_for()
            listing = self._list_gateways()
            plans = (
                self.scheduler.plan_lists(now, listing, self._listable, limits) if listing else []
            )
            for plan in plans:
                self._start(self._list_refresh(plan))
            keys = self.scheduler.due(now, per_gateway_limit=limits)
        for key in keys:
            self._start(self._poll_one(key))
        return len(keys)

    def _start(self, work: Coroutine[object, object, None]) -> None:
        task = asyncio.create_task(work)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    def _claim_forced(self) -> list[TaskKey]:
        """The paused-time refreshes that can start now; O(started) however many wait."""
        if not self._forced:
            return []
        now = self._clock()
        out: list[TaskKey] = []
        for gateway, waiting in list(self._forced.items()):
            limit = self._limits.get(gateway, self._default_limit)
            while waiting:
                key = next(iter(waiting))
                got = self.scheduler.claim(key, now, limit)
                if got == "busy":
                    break
                del waiting[key]
                if got == "claimed":
                    out.append(key)
            if not waiting:
                del self._forced[gateway]
        return out

    def _update_state(self) -> None:
        """Recompute the overall state; O(gateways) unless authentication is failing."""
        gateways = list(self._gateway_counts)
        failing = [g for g in gateways if self.scheduler.gateway_state(g).failing]
        if self._paused:
            state, detail = PollerState.PAUSED, "polling paused"
        elif failing:
            state = PollerState.AUTH_FAILED
            detail = f"authentication failed on {', '.join(sorted(failing))}"
            if state != self._state:  # the message is worth one scan, only on the change
                for e in self._entries.values():
                    err = e.last_error
                    if (
                        err is not None
                        and e.gateway in failing
                        and err.type.policy.gateway_state is not None
                    ):
                        detail = err.message
        elif self.scheduler.backing_off:
            state, detail = PollerState.BACKING_OFF, "backing off after errors"
        elif self._unfinished:
            state, detail = PollerState.RUNNING, "polling"
        else:
            state, detail = PollerState.IDLE, "nothing to poll"
        if state != self._state:
            self._state = state
            self._publish(StateChanged(state, detail))

    async def run(self) -> None:
        """Poll until ``stop()``. Network and server failures never end this loop.

        The stop flag is cleared when the loop ends, not when it starts, so a ``stop()``
        that comes first is honoured and a later ``run()`` (a restart) polls again.
        """
        self._wake = asyncio.Event()
        self._update_state()
        self._same_index()
        self._publish_held()
        try:
            while not self._stopping:
                self._wake.clear()
                self._dispatch()
                now = self._clock()
                if self._dirty and now - self._last_save >= self.save_interval:
                    await self._flush_reporting()
                if now - self._last_reload_check >= self.reload_interval:
                    self._last_reload_check = now
                    try:
                        fresh = await asyncio.to_thread(self._reload_locked)
                    except WatchListError as exc:
                        # A bad hand edit: keep polling what we have, tell the operator once.
                        self._publish(Notice(f"{exc}; keeping the list as it was", "error"))
                    else:
                        if fresh is not None:
                            self._merge_fresh(fresh)
                wait = self.scheduler.next_wake(self._clock(), self._limit_for())
                timeout = min(self.reload_interval, self.save_interval)
                if wait is not None and not self._paused:
                    timeout = min(timeout, max(wait, 0.0))
                timeout = timeout if timeout > 0 else 0.001
                self._sleeping_until = self._clock() + timeout
                try:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(timeout):
                            await self._wake.wait()
                finally:
                    self._sleeping_until = None
        finally:
            for task in list(self._in_flight):
                task.cancel()
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)
            try:
                await self._flush_reporting()
            finally:
                self._stopping = False

    def _publish_held(self) -> None:
        held, self._held = self._held, []
        for notice in held:
            self._publish(notice)

    async def poll_once(self, keys: Iterable[TaskKey] | None = None) -> list[WatchEntry]:
        """Poll every unfinished task (or the given ones) once, save, and return them.

        Where many are of one kind on a gateway that lists, a page or two answers for them
        (``polling.lists``); the rest, and any the pages did not reach, one by one. A twin
        (the same task as another entry) is not queried; it is returned with the state of
        the one that is."""
        self._same_index()
        self._publish_held()
        if keys is None:
            targets = [e for e in self._entries.values() if not e.finished]
        else:
            targets = [self._entries[k] for k in keys if k in self._entries]

        async def one(entry: WatchEntry) -> None:
            if entry.key in self._mirrors:
                return
            previous = entry.status
            self._deliver(entry, previous, await self.fetcher.fetch(entry))

        plans = self._plan_once([e for e in targets if e.key not in self._mirrors])
        walks = await asyncio.gather(*(self._walk(plan) for plan in plans))
        listed = {key for plan in plans for key in plan.due}
        listed.difference_update(*(walk.fallback for walk in walks))
        await asyncio.gather(*(one(e) for e in targets if e.key not in listed))
        self._update_state()
        await self.flush()
        return targets

    async def flush(self) -> None:
        """Write pending results to the watch list in one atomic write, off the event loop."""
        if not self._dirty:
            return
        keys, self._dirty = self._dirty, set()
        batch = [self._entries[k] for k in keys if k in self._entries]
        self._last_save = self._clock()
        try:
            fresh = await asyncio.to_thread(self._save_locked, batch)
        except Exception:
            # Keep the results in memory and try again at the next save. The caller says
            # what failed (the dashboard a notice, the CLI one line): a traceback here went
            # to stderr through logging's last-resort handler, before the clean message.
            self._dirty |= {e.key for e in batch}
            log.debug("saving the watch list failed", exc_info=True)
            raise
        if fresh is not None:
            self._merge_fresh(fresh)

    async def _flush_reporting(self) -> None:
        """Flush from the loop: a failed save is reported and retried, never fatal."""
        try:
            await self.flush()
        except Exception as exc:
            self._publish(Notice(f"could not save the watch list: {exc}", "error"))

    def _save_locked(self, batch: list[WatchEntry]) -> dict[TaskKey, WatchEntry] | None:
        """Runs in a thread. The store re-reads a file another process changed before it
        writes, so the save may bring in their additions: hand them back to be merged."""
        with self._store_lock:
            # Not changed_on_disk() before update(): another process writing between that
            # look and update's lock had its task taken into the store but never tracked.
            reads = self.store.reads
            self.store.update(batch)
            return {e.key: e for e in self.store.entries} if self.store.reads != reads else None

    def _reload_locked(self) -> dict[TaskKey, WatchEntry] | None:
        """Runs in a thread: re-read the file if another process changed it."""
        with self._store_lock:
            if not self.store.reload_if_changed():
                return None
            return {e.key: e for e in self.store.entries}

    def _merge_fresh(self, fresh: dict[TaskKey, WatchEntry]) -> None:
        """Make the tracked set match the store's: schedule new tasks, drop removed ones.

        Tasks we already track keep our in-memory object (its snapshot may be fresher than
        the file's); only the hand-editable label is taken from the file.
        """
        if self._scope is not None:
            fresh = {k: e for k, e in fresh.items() if k in self._scope}
        added = [e for k, e in fresh.items() if k not in self._entries]
        removed = [k for k in self._entries if k not in fresh]
        for key in removed:
            self._untrack(key)
        for entry in added:
            self._track(entry)
        for key, entry in fresh.items():
            mine = self._entries.get(key)
            if mine is not None and mine is not entry:
                mine.label = entry.label
        if added or removed:
            self._publish(ListChanged(tuple(added), tuple(removed)))
            self._update_state()
