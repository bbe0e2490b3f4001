"""A task's several ids: which watched task an id names, and which two entries are one task.

A Kling task is known by up to three ids (``WatchEntry.known_ids``): the one the operator
added (a relay's ``task_…`` id, Kling's numeric id, or the caller's ``external_task_id``),
the answer's own id, Kling's id found inside a relay's answer, and the external id. Any of
them names the task to ``status``, ``rm`` and the filter, and adding the task again under
another of them is refused (:meth:`WatchList.add <kling_tui.store.watchlist.WatchList.add>`,
the one add path of the CLI, the dialog and any import).

Two entries are the same task when they share an id *on the same gateway and kind*: that is
the scope of the watch list's own identity (``TaskKey``). External ids are the caller's free
text and relay ids are the relay's own, so the same string on another gateway may well be
another task; the same id under another kind is far more often a wrong kind (the add dialog
asks) than the same task.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from kling_tui.gateway.ids import IdForm, classify_id
from kling_tui.models import TaskSnapshot, WatchEntry

__all__ = ["IdIndex", "carry_ids", "id_role", "other_ids", "same_task_text"]


class IdIndex:
    """Every known id of some entries, for lookups by any of them.

    Built per call from the entries at hand (10,000 entries: a few milliseconds), so it is
    never out of date with the list it was built from.
    """

    def __init__(self, entries: Iterable[WatchEntry] = ()) -> None:
        self._by_id: dict[str, list[WatchEntry]] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: WatchEntry, ids: tuple[str, ...] | None = None) -> None:
        """Index ``entry`` by its ``known_ids`` (``ids``: those, when the caller has them)."""
        by_id = self._by_id
        for task_id in entry.known_ids if ids is None else ids:
            found = by_id.get(task_id)
            if found is None:  # the common case at an import: an id not indexed yet
                by_id[task_id] = [entry]
            elif not any(e is entry for e in found):
                found.append(entry)

    def claim(self, entry: WatchEntry, ids: tuple[str, ...]) -> WatchEntry | None:
        """:meth:`same_task`, and when there is none :meth:`add` (``ids``: the entry's
        ``known_ids``): the duplicate check of an add, in one pass over the ids when none
        of them is indexed yet (every task of an import into a list without it)."""
        by_id = self._by_id
        for task_id in ids:
            if task_id in by_id:
                break
        else:
            for task_id in ids:
                by_id[task_id] = [entry]
            return None
        same = self.same_task(entry, ids)
        if same is None:
            self.add(entry, ids)
        return same

    def find(self, task_id: str) -> list[WatchEntry]:
        """The entries known by this id (any gateway, any kind), in list order."""
        return list(self._by_id.get(task_id.strip(), ()))

    def same_task(self, entry: WatchEntry, ids: tuple[str, ...] | None = None) -> WatchEntry | None:
        """An indexed entry (not ``entry`` itself) that is the same task as ``entry``:
        one of its ids is one of ``entry``'s, on the same gateway and kind (``ids``: its
        ``known_ids``, when the caller has them)."""
        scope = (entry.gateway, entry.kind)
        for task_id in entry.known_ids if ids is None else ids:
            for candidate in self._by_id.get(task_id, ()):
                if candidate is not entry and (candidate.gateway, candidate.kind) == scope:
                    return candidate
        return None


def id_role(entry: WatchEntry, task_id: str) -> str:
    """What ``task_id`` is to ``entry``: "its id", "its Kling id", "its external id"..."""
    s = entry.snapshot
    if task_id == entry.task_id:
        return "its external id" if entry.external else "its id"
    if s is not None:
        if task_id == s.external_task_id:
            return "its external id"
        if task_id == s.kling_task_id:
            return "its Kling id"
        if task_id == s.task_id:
            form = classify_id(task_id)
            if form in (IdForm.RELAY_TASK, IdForm.RELAY_KLING):
                return "its relay id"
            return "its Kling id" if form is not None or entry.external else "its answer's id"
    return "its id"


def other_ids(entry: WatchEntry) -> list[tuple[str, str]]:
    """The task's ids besides the one it was added by and its external id, each with its
    role ("Kling id", "relay id"...): what the detail pane lists under the task id."""
    s = entry.snapshot
    return [
        (id_role(entry, i).removeprefix("its "), i)
        for i in entry.known_ids[1:]
        if s is None or i != s.external_task_id
    ]


def same_task_text(given: str, watched: WatchEntry) -> str:
    """Which watched task an id is: ``123 (text2video on relay)`` for the id it was added
    by, ``123 is the Kling id of task_ab… (text2video on relay)`` for another of its ids.

    Plain text; callers clean it on output like any other line.
    """
    where = f"({watched.kind} on {watched.gateway})"
    if given == watched.task_id:
        return f"{given} {where}"
    role = id_role(watched, given).removeprefix("its ")
    return f"{given} is the {role} of {watched.task_id} {where}"


def carry_ids(previous: TaskSnapshot | None, new: TaskSnapshot) -> TaskSnapshot:
    """``new`` with the ids ``previous`` knew and ``new`` does not say (once known, kept).

    A relay answer without its upstream copy (``data.data`` null), or an inner copy that
    is stale, names neither Kling's id nor the external id: the task is still the same,
    and forgetting them would make ``status KLING_ID`` and the duplicate check miss it.
    """
    if previous is None:
        return new
    kling = new.kling_task_id or previous.kling_task_id
    external = new.external_task_id or previous.external_task_id
    if kling == new.kling_task_id and external == new.external_task_id:
        return new
    if kling == new.task_id:  # the answer's own id is Kling's: nothing to add
        kling = new.kling_task_id
    return replace(new, kling_task_id=kling, external_task_id=external)
