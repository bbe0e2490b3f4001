"""What an import changes: which tasks are new, which are watched already, what is merged.

Pure: it looks at the watched entries and the tasks found (in a file, or in the gateway's
lists and task log) and says what to do; the command and the dashboard then do it through
the one store (``WatchList.add`` / ``update``) or the poller's add path.

A task is *already watched* when any id it is known by (``WatchEntry.known_ids``: the id the
operator added, the answer's own id, Kling's id, the external id) matches, on the same
gateway. Nothing about an already-watched task changes, except that a newer snapshot from
the import replaces an older one (never a finished task's by an unfinished one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from kling_tui.models import TaskSnapshot, WatchEntry, known_ids

__all__ = ["Candidate", "ImportPlan", "ImportPlanner", "is_newer", "plan_import"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One task an import found: how it would be watched, and what is known of it yet."""

    task_id: str
    kind: str
    gateway: str
    label: str | None = None
    snapshot: TaskSnapshot | None = None
    external: bool = False
    """``task_id`` is the caller's external id (watched as one: ``WatchEntry.external``)."""
    base_url: ClassVar[None] = None
    """A candidate never has its own address (``server_of`` asks every item for one: an
    attribute found on the class, not an ``AttributeError`` per candidate)."""

    @property
    def ids(self) -> tuple[str, ...]:
        return known_ids(self.task_id, self.snapshot)


@dataclass(slots=True)
class ImportPlan:
    """``new``: entries to add; ``merges``: (watched entry, newer snapshot); ``already``:
    how many candidates were watched already (or repeated), merged ones included."""

    new: list[WatchEntry] = field(default_factory=list)
    merges: list[tuple[WatchEntry, TaskSnapshot]] = field(default_factory=list)
    already: int = 0
    other_kind: list[tuple[WatchEntry, str]] = field(default_factory=list)
    """Watched tasks the gateway listed under another kind (entry, listed kind): the native
    API answers a query on the wrong kind's path with "not found", so the operator is told."""


def _moment(s: TaskSnapshot) -> datetime:
    return s.updated_at or s.fetched_at


def is_newer(found: TaskSnapshot, known: TaskSnapshot | None) -> bool:
    """Whether ``found`` should replace ``known``: it changed later, and it does not take a
    finished task back to unfinished (a relay's record lags Kling's answer)."""
    if known is None:
        return True
    if known.status.terminal and not found.status.terminal:
        return False
    if found.status.terminal and not known.status.terminal:
        return True
    if _moment(found) != _moment(known):
        return _moment(found) > _moment(known)
    return found.fetched_at > known.fetched_at and found != known


class ImportPlanner:
    """:func:`plan_import` one batch at a time: an import feeds each list page's tasks as
    the page arrives (:meth:`feed`), so the plan is made while the next page is on the
    wire, not in a second pass over 10,000 tasks after the last one.

    The watched entries are indexed once, when the planner is made; ``plan`` is the plan of
    everything fed so far, as :func:`plan_import` of all of it in the order fed would be.
    """

    def __init__(
        self,
        watched: Iterable[WatchEntry],
        *,
        now: datetime,
        server_of: Callable[[WatchEntry | Candidate], str] | None = None,
    ) -> None:
        self._where = where = server_of or (lambda item: item.gateway)
        self._now = now
        index: dict[tuple[str, str], WatchEntry] = {}
        for entry in watched:
            server = where(entry)
            for task_id in entry.known_ids:
                index.setdefault((server, task_id), entry)
        self._index = index
        self._merged: dict[int, int] = {}
        self._fresh: set[int] = set()  # id() of the new entries: a repeat of one is no merge
        self.plan = ImportPlan()

    def feed(self, found: Iterable[Candidate]) -> list[WatchEntry]:
        """Plan these tasks; returns the new entries among them (also in ``plan.new``)."""
        where, index, plan = self._where, self._index, self.plan
        new: list[WatchEntry] = []
        for cand in found:
            server = where(cand)
            ids = cand.ids
            match = None
            for task_id in ids:
                match = index.get((server, task_id))
                if match is not None:
                    break
            if match is None:
                entry = self._new_entry(cand)
                new.append(entry)
                for task_id in ids:
                    index.setdefault((server, task_id), entry)
            else:
                plan.already += 1
                self._merge(match, cand)
        plan.new.extend(new)
        return new

    def _new_entry(self, cand: Candidate) -> WatchEntry:
        snap = cand.snapshot
        entry = WatchEntry(
            task_id=cand.task_id,
            kind=cand.kind,
            gateway=cand.gateway,
            added_at=self._now,
            label=cand.label,
            snapshot=snap,
            last_checked=snap.fetched_at if snap else None,
            external=cand.external,
        )
        self._fresh.add(id(entry))
        return entry

    def _merge(self, match: WatchEntry, cand: Candidate) -> None:
        """A task watched already: its snapshot, when newer, is to be merged."""
        plan, snap = self.plan, cand.snapshot
        if snap is None or id(match) in self._fresh:
            return
        if match.kind != cand.kind and all(e is not match for e, _ in plan.other_kind):
            plan.other_kind.append((match, cand.kind))
        at = self._merged.get(id(match))
        current = plan.merges[at][1] if at is not None else match.snapshot
        if is_newer(snap, current):
            if at is None:
                self._merged[id(match)] = len(plan.merges)
                plan.merges.append((match, snap))
            else:
                plan.merges[at] = (match, snap)


def plan_import(
    watched: Iterable[WatchEntry],
    found: Iterable[Candidate],
    *,
    now: datetime,
    server_of: Callable[[WatchEntry | Candidate], str] | None = None,
) -> ImportPlan:
    """Split ``found`` into new entries (added at ``now``) and already-watched tasks.

    ``server_of`` names the server a task lives on (default: its gateway name). The
    commands pass the gateway's origin, so a task watched through another gateway of the
    same server (a relay prefix and the native prefix on one host) is not added twice.
    One batch of an :class:`ImportPlanner`.
    """
    planner = ImportPlanner(watched, now=now, server_of=server_of)
    planner.feed(found)
    return planner.plan
