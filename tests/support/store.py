"""Watch-list entries and answers at a fixed time, shared by the watch-list store suites
(test_watchlist*.py), so that no store test module imports another's builders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kling_tui.models import Status, TaskSnapshot, WatchEntry

from .snapshots import task_snapshot

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
"""When every store test's entries were added (their answers come minutes later)."""
ID1, ID2, ID3 = "866889456698785798", "866889456698785799", "866889456698785800"


def entry(
    task_id: str = ID1, kind: str = "text2video", gateway: str = "relay", **kw: Any
) -> WatchEntry:
    """An entry added at ``T0``; ``kw`` sets any other field of ``WatchEntry``."""
    return WatchEntry(task_id=task_id, kind=kind, gateway=gateway, added_at=T0, **kw)


def snapshot(
    task_id: str = ID1, *, status: Status = Status.IN_PROGRESS, minutes: int = 1
) -> TaskSnapshot:
    """A text2video answer fetched ``minutes`` after ``T0`` (40 % while in progress)."""
    raw = "processing" if status is Status.IN_PROGRESS else status.value
    fetched = T0 + timedelta(minutes=minutes)
    return task_snapshot(task_id, "text2video", status, fetched, status_raw=raw, progress=40.0)
