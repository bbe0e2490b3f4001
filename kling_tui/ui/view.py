"""What the table shows, decided without Textual: row state, filter, sort order, ETA.

The row state and the filter parser are in :mod:`kling_tui.filtering` (re-exported here).

The widgets only draw; the rules for "is this row stale", "does it match the filter",
"where does it sort" and "when will it finish" live here so they are testable on their own
and shared by the table, the header and the detail pane.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from kling_tui.filtering import (
    FILTER_KEYS,
    RowState,
    TaskFilter,
    is_stale,
    parse_filter,
    row_state,
    split_terms,
)
from kling_tui.models import Status, WatchEntry
from kling_tui.polling.eta import EtaEstimator

__all__ = [
    "FILTER_KEYS",
    "EtaEstimator",
    "RowState",
    "TaskFilter",
    "is_stale",
    "parse_filter",
    "row_state",
    "split_terms",
]
"""The row state and the filter language live in the core (``kling_tui.filtering``, shared
with ``kling-tui export --filter``); the estimate in ``kling_tui.polling.eta``; shown from here."""


def badge_name(state: RowState) -> str:
    """Theme badge colour for a state (``pending`` borrows ``unknown``, ``stuck`` the
    warning colour of ``stale``: both say "this row needs a look")."""
    if state is RowState.PENDING:
        return "unknown"
    return "stale" if state is RowState.STUCK else state.value


STATE_LABELS: dict[RowState, str] = {
    RowState.PENDING: "pending",
    RowState.SUBMITTED: "submitted",
    RowState.IN_PROGRESS: "in progress",
    RowState.SUCCEEDED: "succeeded",
    RowState.FAILED: "failed",
    RowState.UNKNOWN: "unknown",
    RowState.ERROR: "error",
    RowState.STUCK: "stuck",
}


# -- sort --------------------------------------------------------------------------------


class SortMode(StrEnum):
    STATUS = "status"
    PROGRESS = "progress"
    ADDED = "added"
    LABEL = "label"

    def next(self) -> SortMode:
        order = list(SortMode)
        return order[(order.index(self) + 1) % len(order)]

    @property
    def column(self) -> str:
        """The table column whose header shows this sort's arrow."""
        return SORT_COLUMNS[self]

    @classmethod
    def for_column(cls, column: str) -> SortMode | None:
        """The sort a click on a column header picks, if that column sorts."""
        return next((mode for mode, name in SORT_COLUMNS.items() if name == column), None)


SORT_COLUMNS: dict[SortMode, str] = {
    SortMode.STATUS: "status",
    SortMode.PROGRESS: "progress",
    SortMode.ADDED: "elapsed",  # added first = submitted longest ago
    SortMode.LABEL: "label",
}
"""Each sort's column (a click on its header sorts by it; the arrow is drawn there)."""


_STATE_RANK = {
    RowState.FAILED: 0,
    RowState.ERROR: 1,
    RowState.STUCK: 2,
    RowState.IN_PROGRESS: 3,
    RowState.SUBMITTED: 4,
    RowState.UNKNOWN: 5,
    RowState.PENDING: 6,
    RowState.SUCCEEDED: 7,
}


def sort_key(entry: WatchEntry, mode: SortMode, position: int = 0) -> tuple[object, ...]:
    """Sort key of a row. Ties always fall back to the order tasks were added in.

    ``position`` is the task's place in the watch list: a batch pasted at once shares one
    ``added_at``, and must not be reshuffled by anything else.

    ``status`` puts what needs attention first (failed, errors, running), finished last;
    ``progress`` puts the furthest along first.
    """
    added = (entry.added_at.timestamp(), position)
    if mode is SortMode.STATUS:
        return (_STATE_RANK[row_state(entry)], not is_stale(entry), *added)
    if mode is SortMode.PROGRESS:
        snap = entry.snapshot
        if snap is not None and snap.status is Status.SUCCEEDED:
            progress = 100.0
        else:
            progress = snap.progress if snap is not None and snap.progress is not None else -1.0
        return (-progress, *added)
    if mode is SortMode.LABEL:
        label = (entry.label or "").casefold()
        return (label == "", label, entry.task_id.casefold(), *added)
    return added


def elapsed_seconds(entry: WatchEntry, now: datetime) -> float | None:
    """Time since submission; for a finished task, how long it took (frozen at its end)."""
    snap = entry.snapshot
    start = snap.created_at if snap is not None and snap.created_at is not None else entry.added_at
    end = now
    if snap is not None and snap.status.terminal:
        end = snap.updated_at or snap.fetched_at
    return max(0.0, (end - start).total_seconds())
