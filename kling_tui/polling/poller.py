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

from kling_tui.bulk import collector_paused
from kling_tui.models import (
    ErrorType,
    FetchError,
    FetchResult,
    Status,
    TaskKey,
    TaskSnapshot,
    WatchEntry,
)
from kling_tui.polling.apply import apply_result, state_since
from kling_tui.polling.control import ControlMixin
from kling_tui.polling.eta import RenderTimes, is_stuck
from kling_tui.polling.events import (
    ListChanged,
    Notice,
    PollerEvent,
    PollerState,
    PollUpdate,
    StateChanged,
    Subscriber,
    TaskFetcher,
    TaskLister,
)
from kling_tui.polling.list_refresh import ListRefreshMixin
from kling_tui.polling.same_task import SameTaskIndex
from kling_tui.polling.schedule import PollPolicy, Scheduler
from kling_tui.polling.store_sync import StoreSyncMixin
from kling_tui.polling.twins import TwinsMixin
from kling_tui.store.watchlist import WatchList, WatchListError

__all__ = [  # re-exported: the UI, the CLI, the importer and the tests import them from here
    "ListChanged",
    "Notice",
    "PollUpdate",
    "Poller",
    "PollerEvent",
    "PollerState",
    "StateChanged",
    "Subscriber",
    "TaskFetcher",
    "TaskLister",
    "apply_result",
    "state_since",
]

log = logging.getLogger(__name__)


class Poller(ControlMixin, TwinsMixin, ListRefreshMixin, StoreSyncMixin):
    """Keeps every unfinished watched task fresh without hammering the gateway.

    Composed from mixins, one concern each: ``ControlMixin`` (refresh, pause, add, remove),
    ``TwinsMixin`` (the same task under two entries), ``ListRefreshMixin`` (refresh by list
    page), ``StoreSyncMixin`` (saves, reloads, merging the file's tasks); the loop, the
    dispatch and the delivery of answers are here."""

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
