"""How one answer folds into a watch entry: ``apply_result`` (the one fold, used by the
poller and the importer), ``state_since`` (when the task's state last moved) and
``_answered_itself`` (whether an entry's snapshot came from its own id, not a twin's)."""

from __future__ import annotations

from datetime import datetime

from kling_tui.models import FetchResult, Status, TaskSnapshot, WatchEntry
from kling_tui.polling.eta import UNLEARNED, RenderTimes, is_stuck
from kling_tui.store.ids import carry_ids


def state_since(entry: WatchEntry, new: TaskSnapshot) -> datetime:
    """Since when the task's state (status and progress) has been what ``new`` says.

    Unchanged from the last answer: since the stored time, or at least since that answer
    (a list written before this field existed). Moved: since this answer. A task first seen
    queued has been queued since the server created it (when the answer says so). An answer
    without a percentage (native answers have none) says nothing about progress: it is not
    a move (a relay's 30 % then a native list's copy of the same task must not un-stick it).
    Never later than this answer: a list saved by a machine whose clock ran ahead would
    otherwise keep a future start, and the task could not be stuck until that date.
    """
    old = entry.snapshot
    same_progress = new.progress is None or old is None or old.progress == new.progress
    if old is not None and old.status == new.status and same_progress:
        since = entry.state_since
        return min(since if since is not None else old.fetched_at, new.fetched_at)
    if old is None and new.status is Status.SUBMITTED and new.created_at is not None:
        return min(new.created_at, new.fetched_at)
    return new.fetched_at


def apply_result(entry: WatchEntry, result: FetchResult, times: RenderTimes | None = None) -> None:
    """Fold a fetch result into a watch entry: a failure keeps the last good snapshot, and
    a new snapshot keeps the ids the last one knew and it does not say (``carry_ids``).

    An answer also moves ``state_since`` (when the state moved) and decides ``stuck`` anew
    with the learned render ``times`` (``eta.is_stuck``); a failure leaves both as they were.
    """
    if isinstance(result, TaskSnapshot):
        entry.state_since = state_since(entry, result)
        entry.snapshot = carry_ids(entry.snapshot, result)
        entry.last_error = None
        entry.last_checked = result.fetched_at
        entry.stuck = is_stuck(entry, UNLEARNED if times is None else times, result.fetched_at)
    else:
        entry.last_error = result
        entry.last_checked = result.at


def _answered_itself(entry: WatchEntry) -> bool:
    """The entry's snapshot came from querying its own id (not mirrored from a twin)."""
    s = entry.snapshot
    if s is None:
        return False
    return s.task_id == entry.task_id or (entry.external and s.external_task_id == entry.task_id)
