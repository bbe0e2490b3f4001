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
        self._parts: dict[int, int] = {}  # id() of an entry planned -> the latest part at it
        self.out_of_order = False
        """A task of one part named an entry a later part had named first (made it new,
        merged into it): the plan then depends on the order the parts were fed, and is not
        the plan of one pass in part order (:func:`plan_import` of the whole, again)."""
        self.plan = ImportPlan()

    def feed(self, found: Iterable[Candidate]) -> list[WatchEntry]:
        """Plan these tasks; returns the new entries among them (also in ``plan.new``)."""
        new: list[WatchEntry] = []
        servers: dict[str, str] = {}  # a candidate's server is its gateway's (no own address)
        for cand in found:
            gateway = cand.gateway
            server = servers.get(gateway)
            if server is None:
                server = servers[gateway] = self._where(cand)
            ids = cand.ids
            snap = cand.snapshot
            match = self._match(server, ids)
            if match is None:
                entry = self._new_entry(
                    server, ids, cand.task_id, cand.kind, gateway, snap, cand.label, cand.external
                )
                new.append(entry)
            else:
                self.plan.already += 1
                self._merge(match, cand.kind, snap)
        self.plan.new.extend(new)
        return new

    def feed_listed(
        self, snapshots: Iterable[TaskSnapshot], gateway: str, *, part: int = 0
    ) -> list[WatchEntry]:
        """:meth:`feed` of tasks as ``gateway``'s lists gave them: each a candidate by its
        own id and kind, without label (``Candidate(s.task_id, s.kind, gateway,
        snapshot=s)``), planned without building one: an import's 10,000 listed tasks.

        ``part``: the place of these tasks in the one-pass order (an import's source).
        Parts may be fed in any order; when that changed the plan, ``out_of_order``."""
        new: list[WatchEntry] = []
        server = self._where(Candidate("", "", gateway))
        parts = self._parts
        for snap in snapshots:
            task_id = snap.task_id
            ids = known_ids(task_id, snap)
            match = self._match(server, ids)
            if match is None:
                entry = self._new_entry(server, ids, task_id, snap.kind, gateway, snap)
                parts[id(entry)] = part
                new.append(entry)
            else:
                seen = parts.get(id(match))
                if seen is None or seen < part:
                    parts[id(match)] = part
                elif seen > part:
                    self.out_of_order = True
                self.plan.already += 1
                self._merge(match, snap.kind, snap)
        self.plan.new.extend(new)
        return new

    def _match(self, server: str, ids: tuple[str, ...]) -> WatchEntry | None:
        index = self._index
        for task_id in ids:
            match = index.get((server, task_id))
            if match is not None:
                return match
        return None

    def _new_entry(
        self,
        server: str,
        ids: tuple[str, ...],
        task_id: str,
        kind: str,
        gateway: str,
        snap: TaskSnapshot | None,
        label: str | None = None,
        external: bool = False,
    ) -> WatchEntry:
        """A new entry, added at the planner's ``now``, indexed by each of its ids."""
        entry = WatchEntry(
            task_id=task_id,
            kind=kind,
            gateway=gateway,
            added_at=self._now,
            label=label,
            snapshot=snap,
            last_checked=snap.fetched_at if snap else None,
            external=external,
        )
        self._fresh.add(id(entry))
        index = self._index
        for one in ids:
            index.setdefault((server, one), entry)
        return entry

    def _merge(self, match: WatchEntry, kind: str, snap: TaskSnapshot | None) -> None:
        """A task watched already: its snapshot, when newer, is to be merged."""
        plan = self.plan
        if snap is None or id(match) in self._fresh:
            return
        if match.kind != kind and all(e is not match for e, _ in plan.other_kind):
            plan.other_kind.append((match, kind))
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
