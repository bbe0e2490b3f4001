"""The poller's operator controls (``ControlMixin``): refresh now, pause, resume, stop,
the refreshes asked for while paused (``_claim_forced``), and the watch-list edits (add,
remove, restore, snapshots an import found), each persisted at once and merged into the
tracked set. A mixin of ``Poller`` (``polling.poller``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from kling_tui.models import TaskKey, TaskSnapshot, WatchEntry
from kling_tui.polling.schedule import Scheduler
from kling_tui.store.watchlist import AddResult, WatchList


class ControlMixin:
    """Poller's control concern; the attributes below are ``Poller``'s."""

    store: WatchList
    _entries: dict[TaskKey, WatchEntry]
    _mirrors: dict[TaskKey, TaskKey]
    _forced: dict[str, dict[TaskKey, None]]
    _store_lock: threading.Lock
    _paused: bool
    _stopping: bool
    _clock: Callable[[], float]
    _limits: dict[str, int]
    _default_limit: int
    scheduler: Scheduler
    _poke: Callable[[], None]
    _update_state: Callable[[], None]
    _merge_fresh: Callable[[dict[TaskKey, WatchEntry]], None]
    _deliver: Callable[..., None]

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
