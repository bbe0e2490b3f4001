"""The poller's same-task handling (``TwinsMixin``): two entries one poll reveals to be
one task (``polling.same_task``) are joined: the one polled, the other mirrors its state,
and the operator is told once. A mixin of ``Poller`` (``polling.poller``)."""

from __future__ import annotations

from collections.abc import Callable

from kling_tui.models import TaskKey, WatchEntry
from kling_tui.polling.apply import _answered_itself
from kling_tui.polling.events import Notice, PollerEvent, PollUpdate, Subscriber
from kling_tui.polling.same_task import SameTaskIndex
from kling_tui.polling.schedule import Scheduler


class TwinsMixin:
    """Poller's twins concern; the attributes below are ``Poller``'s (see its ``__init__``)."""

    _entries: dict[TaskKey, WatchEntry]
    _mirrors: dict[TaskKey, TaskKey]
    _same: SameTaskIndex | None
    _forced: dict[str, dict[TaskKey, None]]
    _dirty: set[TaskKey]
    _held: list[Notice]
    _subscribers: list[Subscriber]
    scheduler: Scheduler
    _publish: Callable[[PollerEvent], None]
    _note_finished: Callable[..., None]

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
