"""Where removed tasks were, so an undo puts them back in their old places.

Positions are remembered by neighbours, not only by index: between a removal and its undo
the file may have changed (another process added or removed tasks), and "right after the
task that preceded it" survives that better than "at index 7".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from kling_tui.models import TaskKey, WatchEntry


class _Position(NamedTuple):
    """Where an entry was when removed: its index, the removal's number (undo order), and
    the keys of its neighbours then."""

    index: int
    removal: int
    before: TaskKey | None
    after: TaskKey | None


class RemovalLog:
    """The positions of entries removed through one store, until they are restored."""

    def __init__(self) -> None:
        self._at: dict[TaskKey, _Position] = {}
        self._removals = 0

    def split(
        self, current: list[WatchEntry], match: Callable[[WatchEntry], bool]
    ) -> tuple[list[WatchEntry], list[WatchEntry], dict[TaskKey, _Position]]:
        """(kept, removed, positions) of removing the entries that ``match``. Nothing is
        recorded until :meth:`record` (the caller records only once the write succeeded)."""
        keep: list[WatchEntry] = []
        removed: list[WatchEntry] = []
        positions: dict[TaskKey, _Position] = {}
        self._removals += 1
        for i, entry in enumerate(current):
            if match(entry):
                removed.append(entry)
                before = current[i - 1].key if i > 0 else None
                after = current[i + 1].key if i + 1 < len(current) else None
                positions[entry.key] = _Position(i, self._removals, before, after)
            else:
                keep.append(entry)
        return keep, removed, positions

    def record(self, positions: dict[TaskKey, _Position]) -> None:
        self._at.update(positions)

    def forget(self, entries: list[WatchEntry]) -> None:
        for entry in entries:
            self._at.pop(entry.key, None)

    def put_back(
        self, current: list[WatchEntry], given: list[WatchEntry]
    ) -> tuple[list[WatchEntry], list[WatchEntry]]:
        """(the new list, the entries put back) of restoring ``given`` into ``current``.

        Best effort, using what was around each entry when it was removed: right after the
        entry that preceded it (after any entry this same call already put there, which
        came earlier), else before the one that followed it, else at its old index.
        Entries never removed through this log go to the end. Entries already present are
        left alone.
        """
        result = list(current)
        present = {e.key for e in result}
        unknown = _Position(len(result) + len(given), 0, None, None)
        todo = sorted(
            (e for e in given if e.key not in present),
            key=lambda e: self._at.get(e.key, unknown)[:2],
        )
        restored: list[WatchEntry] = []
        mine: set[TaskKey] = set()
        for entry in todo:
            if entry.key in present:
                continue  # listed twice in this call
            index, _, before, after = self._at.get(entry.key, unknown)
            keys = [e.key for e in result]
            if before is None or before in present:
                at = 0 if before is None else keys.index(before) + 1
                while at < len(result) and keys[at] in mine:
                    at += 1
            elif after is not None and after in present:
                at = keys.index(after)
            else:
                at = min(index, len(result))
            result.insert(at, entry)
            present.add(entry.key)
            mine.add(entry.key)
            restored.append(entry)
        return result, restored
