"""The dashboard's view model: what the header and the ETA know about every watched task.

Changes flow one way: the store and the poller publish events (``ListChanged``,
``PollUpdate``), the app folds them into a ``PollerBatch`` and hands each batch to this
model and to the table. The model keeps the figures that span all tasks (counts per
status and per gateway, the progress readings behind the ETA); the table only draws rows.

Pure: no Textual import, so it is testable on its own and cheap at 10,000 tasks (counts
move task by task; recounting every task after each poll cost 4 ms a poll at 10,000).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import chain

from kling_tui.expiry import EXPIRING_WITHIN, downloaded, expires_at
from kling_tui.models import Status, TaskKey, WatchEntry
from kling_tui.polling.eta import EtaEstimator
from kling_tui.ui.view import RowState, row_state

EXPIRING_RECOUNT = timedelta(minutes=1)
"""The header's expiring count is recounted at least this often as the clock moves."""

_Ident = tuple[str, str, str]
"""(task id, kind, gateway): a task's identity as a plain tuple. ``WatchEntry.key`` builds a
frozen ``TaskKey`` per call (2.4 µs: 24 ms more per 10,000 tasks at start-up)."""


def count_marks(entry: WatchEntry) -> tuple[str, ...]:
    """The header counts one task adds to: its status, and ``error`` if its last poll
    failed (a task never fetched successfully counts as an error only)."""
    state = row_state(entry)
    marks: tuple[str, ...] = () if state is RowState.ERROR else (state.value,)
    if entry.last_error is not None:
        marks += ("error",)
    return marks


class DashboardModel:
    """Header counts and ETA readings over all watched tasks, updated per change."""

    def __init__(self, eta: EtaEstimator | None = None) -> None:
        self.eta = eta if eta is not None else EtaEstimator()
        self.state_counts: Counter[str] = Counter()
        self.gateway_counts: Counter[str] = Counter()
        self._marks: dict[_Ident, tuple[str, ...]] = {}
        """Per task: its count marks, then its gateway (what to take back when it changes)."""
        self._expiry: dict[_Ident, datetime] = {}
        """When each succeeded, not downloaded task's result expires (the header's
        ``expiring`` count moves with the clock, not with the tasks: counted when asked)."""
        self._expiring_cache: tuple[datetime, int] | None = None

    @property
    def total(self) -> int:
        return len(self._marks)

    def load(self, entries: Iterable[WatchEntry]) -> None:
        """Initial fill, counted in one go (this runs for every task before the first frame)."""
        marks = self._marks
        marks.clear()
        observe = self.eta.observe
        self._expiry.clear()
        self._expiring_cache = None
        for entry in entries:
            ident = (entry.task_id, entry.kind, entry.gateway)
            marks[ident] = (*count_marks(entry), entry.gateway)
            observe(entry)
            snap = entry.snapshot
            if snap is not None and snap.status is Status.SUCCEEDED:
                self._track_expiry(ident, entry)
        self.state_counts = Counter(chain.from_iterable(m[:-1] for m in marks.values()))
        self.gateway_counts = Counter(m[-1] for m in marks.values())

    def upsert(self, entries: Iterable[WatchEntry]) -> None:
        """Tasks added or changed: move their contribution to the counts, feed the ETA."""
        for entry in entries:
            ident = (entry.task_id, entry.kind, entry.gateway)
            self._count(ident, entry)
            self._track_expiry(ident, entry)
            self.eta.observe(entry)

    def remove(self, keys: Iterable[TaskKey]) -> None:
        for key in keys:
            ident = (key.task_id, key.kind, key.gateway)
            if ident in self._marks:
                self._count(ident, None)
            self._expiry.pop(ident, None)
            self._expiring_cache = None
            self.eta.forget(key)

    def _track_expiry(self, ident: _Ident, entry: WatchEntry) -> None:
        self._expiring_cache = None
        when = expires_at(entry.snapshot)
        if when is None or downloaded(entry):
            self._expiry.pop(ident, None)
        else:
            self._expiry[ident] = when

    def expiring(self, now: datetime) -> list[_Ident]:
        """Tasks whose result expires within three days (and not yet), not downloaded:
        ``kling_tui.expiry.is_expiring`` over the tasks, from the expiry times kept here."""
        limit = now + EXPIRING_WITHIN
        return [ident for ident, when in self._expiry.items() if now < when < limit]

    def expiring_count(self, now: datetime) -> int:
        """How many tasks ``expiring`` names; recounted at most once a minute of ``now``
        unless a task changed (the header asks after every batch: 10,000 tasks cost 0.5 ms)."""
        cached = self._expiring_cache
        if cached is not None and timedelta(0) <= now - cached[0] < EXPIRING_RECOUNT:
            return cached[1]
        limit = now + EXPIRING_WITHIN
        count = sum(1 for when in self._expiry.values() if now < when < limit)
        self._expiring_cache = (now, count)
        return count

    def _count(self, key: _Ident, entry: WatchEntry | None) -> None:
        """Move one task's contribution to the header counts (``None``: it left)."""
        old = self._marks.pop(key, None)
        if old is not None:
            self.state_counts.subtract(old[:-1])
            self.gateway_counts[old[-1]] -= 1
        if entry is not None:
            new = (*count_marks(entry), entry.gateway)
            self._marks[key] = new
            self.state_counts.update(new[:-1])
            self.gateway_counts[entry.gateway] += 1
        if old is not None:  # drop names that fell to zero (the header shows what exists)
            for name in old[:-1]:
                if self.state_counts[name] <= 0:
                    del self.state_counts[name]
            if self.gateway_counts[old[-1]] <= 0:
                del self.gateway_counts[old[-1]]
