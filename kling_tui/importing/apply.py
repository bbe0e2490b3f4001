"""From what an import found to the watch list, and the one summary every front end shows.

``kling-tui import`` (file or gateway) and the dashboard's ``I`` key end here: rows become
candidates (:func:`rows_to_candidates`), the plan (:mod:`~kling_tui.importing.plan`) is
applied through the one store (:func:`apply_to_store`; the dashboard uses the poller's add
path instead), and :class:`ImportSummary` words the outcome ("42 new tasks, 3 already
watched").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kling_tui.bulk import collector_paused
from kling_tui.config import AppConfig, GatewayConfig
from kling_tui.gateway.sanitize import clean_text
from kling_tui.importing.harvest import Harvest, harvest
from kling_tui.importing.plan import Candidate, ImportPlan, ImportPlanner, is_newer
from kling_tui.importing.rows import ImportRow, RowProblem
from kling_tui.models import TaskSnapshot, WatchEntry, utcnow
from kling_tui.polling.poller import apply_result
from kling_tui.store.staging import StagedAdd
from kling_tui.store.watchlist import WatchList

if TYPE_CHECKING:
    from kling_tui.gateway.fetcher import Fetcher

__all__ = [
    "ImportSummary",
    "apply_to_store",
    "harvest_summary",
    "import_from_gateway",
    "rows_to_candidates",
    "server_of",
]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(slots=True)
class ImportSummary:
    """What one import did. ``refused`` counts file rows refused; ``failures`` the list pages
    (or task-log pages) that failed, each as one cleaned line."""

    new: int = 0
    already: int = 0
    merged: int = 0
    refused: int = 0
    problems: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    @property
    def ok(self) -> bool:
        """Everything found was imported: no refused row, no failed page."""
        return not self.refused and not self.failures

    def line(self, *, with_refused: bool = False) -> str:
        """``42 new tasks, 3 already watched`` (``, 1 refused`` / ``, 2 pages failed``)."""
        parts = [_plural(self.new, "new task"), f"{self.already} already watched"]
        if with_refused or self.refused:
            parts.append(f"{self.refused} refused")
        if self.failures:
            parts.append(_plural(len(self.failures), "page") + " failed")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "already_watched": self.already,
            "merged": self.merged,
            "refused": self.refused,
            "problems": list(self.problems),
            "failed_pages": list(self.failures),
            "requests": self.requests,
        }


def server_of(config: AppConfig) -> Callable[[WatchEntry | Candidate], str]:
    """Where a task lives, for :func:`~kling_tui.importing.plan.plan_import`: its gateway's
    origin (a task added with ``--base-url`` has its own), else the gateway's name."""
    origins = {name: gw.origin for name, gw in config.gateways.items()}

    def where(item: WatchEntry | Candidate) -> str:
        base = getattr(item, "base_url", None)
        if base:
            try:
                return config.adhoc_gateway(item.gateway, base).origin
            except Exception:  # an address the loader let through: the name then
                return f"gateway {item.gateway}"
        return origins.get(item.gateway) or f"gateway {item.gateway}"

    return where


def rows_to_candidates(
    rows: Iterable[ImportRow],
    *,
    default_kind: str,
    default_gateway: str,
    gateways: Mapping[str, object],
) -> tuple[list[Candidate], list[RowProblem]]:
    """File rows as candidates, with the command's defaults for what a row does not say.

    A gateway a row names must be configured (a typo would otherwise watch a task no query
    can reach). A row with only an external id is watched by it (``WatchEntry.external``).
    """
    found: list[Candidate] = []
    problems: list[RowProblem] = []
    for row in rows:
        gateway = row.gateway or default_gateway
        if gateway not in gateways and gateway != default_gateway:
            known = ", ".join(sorted(gateways)) or "none configured"
            problems.append(
                RowProblem(row.line, f"unknown gateway {clean_text(gateway, 64)!r} ({known})")
            )
            continue
        kind = row.kind or default_kind
        found.append(Candidate(row.task_id, kind, gateway, row.label, external=row.external))
    return found, problems


def apply_to_store(
    store: WatchList, plan: ImportPlan, *, staged: StagedAdd | None = None
) -> tuple[int, int]:
    """Add the plan's new entries (one write) and merge its newer snapshots (one write).

    ``staged``: the plan's new entries were fed to this staged add already (page by page):
    it is committed. Returns (added, merged). The store re-reads the file under its lock
    first, so a task another process added meanwhile is reported as a duplicate, not added
    twice.
    """
    if staged is not None:
        added = len(staged.commit().added) if staged.staged else 0
    else:
        added = len(store.add(plan.new).added) if plan.new else 0
    merged = 0
    if plan.merges:
        updated = []
        for entry, snap in plan.merges:
            moved = replace(entry)
            apply_result(moved, snap)  # the one fold: ids kept, state_since moved or kept
            updated.append(moved)
        # decided against the list as read before the walk: asked again as it is now
        merged = store.update(
            updated, only_if=lambda now, new: is_newer(new.snapshot, now.snapshot)
        )
    return added, merged


def harvest_summary(harvested: Harvest, plan: ImportPlan, added: int, merged: int) -> ImportSummary:
    """The summary of a gateway import: a planned entry the store found watched meanwhile
    (another process added it) counts as already watched."""
    problems = [
        f"{clean_text(entry.task_id, 80)} is watched as {entry.kind} but listed as {kind}: "
        f"remove it and add it again with --kind {kind}"
        for entry, kind in plan.other_kind
    ]
    if harvested.unreadable:
        problems.append(
            f"{_plural(harvested.unreadable, 'listed item')} skipped (not a Kling task, or "
            "without a valid task id or status)"
        )
    return ImportSummary(
        new=added,
        already=plan.already + len(plan.new) - added,
        merged=merged,
        problems=problems,
        failures=list(harvested.failures),
        requests=harvested.pages,
    )


async def import_from_gateway(
    fetcher: Fetcher,
    gateway: GatewayConfig,
    store: WatchList,
    *,
    kinds: Sequence[str],
    since: datetime | None = None,
    limit: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> ImportSummary:
    """``kling-tui import`` without a file: walk the gateway's lists (and its task log when
    configured), add what is new to ``store``, merge newer data into what it watches.

    Each list page is planned and staged in the store (:meth:`WatchList.stage`) as it
    arrives, while the next page is on the wire; the store writes once at the end. With a
    ``limit`` the result is planned after the walk (the overall cut is known only then).
    Tasks are added as of the import's start.

    The listed snapshots keep no raw text (``raw=False``): the watch list never stores it
    and this command shows none, so 10,000 JSON texts would be built for nothing. The
    collector is paused for the whole walk: its 10,000 snapshots and entries are a bulk
    build (:mod:`kling_tui.bulk`), not garbage.
    """
    with collector_paused():
        watched, now, where = store.entries, utcnow(), server_of(fetcher.config)
        planner = ImportPlanner(watched, now=now, server_of=where)
        staged = store.stage()
        name = gateway.name
        refused: list[ValueError] = []  # raised after the walk, as before the stage existed

        def take(source: int, snapshots: Sequence[TaskSnapshot]) -> None:
            if refused:
                return
            try:
                staged.feed(planner.feed_listed(snapshots, name, part=source), part=source)
            except ValueError as exc:  # an entry the store refuses (InvalidTaskId...)
                refused.append(exc)

        harvested = await harvest(
            fetcher,
            gateway,
            kinds=kinds,
            task_log=gateway.task_log,
            since=since,
            limit=limit,
            progress=progress,
            raw=False,
            on_page=take if limit is None else None,
        )
        if limit is not None:
            take(0, harvested.snapshots)
        if refused:
            raise refused[0]
        if planner.out_of_order:
            # A later kind's page came first and named a task an earlier kind lists too:
            # which one is new (and what is merged) must not depend on the network, so the
            # harvest (in its fixed order) is planned again in one pass.
            planner = ImportPlanner(watched, now=now, server_of=where)
            staged = store.stage()
            take(0, harvested.snapshots)
            if refused:
                raise refused[0]
        added, merged = apply_to_store(store, planner.plan, staged=staged)
    return harvest_summary(harvested, planner.plan, added, merged)
