"""Two watched entries that turn out to be one task, found as answers reveal their ids.

The watch list refuses a task under a second id it already knows
(:class:`~kling_tui.store.ids.IdIndex`). But a task added once by its relay id and once by
Kling's id, before any answer said they belong together, is only found out by a poll: the
relay's answer names Kling's id inside. Polling both would cost two requests per cycle for
one task and show two rows that may disagree, so the poller, told by this index, polls the
task once and shows its state on both rows (``Poller``; documented in the README, "The
watch list").

Incremental: each entry's ids are indexed when it is tracked and when an answer names a
new one, so a poll costs a few dict lookups, not a scan of 10,000 entries.
"""

from __future__ import annotations

from kling_tui.models import TaskKey, WatchEntry

_Slot = tuple[str, str, str]
"""(gateway, kind, id): where one id names one task (see ``kling_tui.store.ids``)."""


class SameTaskIndex:
    """Which tracked entry first claimed each (gateway, kind, id)."""

    def __init__(self) -> None:
        self._owner: dict[_Slot, TaskKey] = {}
        self._slots: dict[TaskKey, list[_Slot]] = {}

    def note(self, entry: WatchEntry, key: TaskKey | None = None) -> TaskKey | None:
        """Index ``entry``'s ids; returns another tracked entry sharing one of them, if any.

        Runs for every task at start (10,000 of them): plain dict work, no allocation for
        an id already indexed."""
        if key is None:
            key = entry.key
        owners = self._owner
        gateway, kind = entry.gateway, entry.kind
        s = entry.snapshot
        ids = (entry.task_id,) if s is None else entry.known_ids
        other: TaskKey | None = None
        for task_id in ids:
            slot = (gateway, kind, task_id)
            owner = owners.get(slot)
            if owner is None:
                owners[slot] = key
                mine = self._slots.get(key)
                if mine is None:
                    self._slots[key] = [slot]
                else:
                    mine.append(slot)
            elif owner != key and other is None:
                other = owner
        return other

    def forget(self, key: TaskKey) -> None:
        """``key`` is no longer tracked: its ids are free (an entry still tracked that
        shares one claims it at its next ``note``)."""
        for slot in self._slots.pop(key, ()):
            if self._owner.get(slot) == key:
                del self._owner[slot]
