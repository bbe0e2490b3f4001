"""The dashboard view model: header counts and ETA readings, moved task by task."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from kling_tui.models import ErrorType, FetchError, Status, WatchEntry
from kling_tui.ui.viewmodel import DashboardModel, count_marks
from tests.support.snapshots import task_snapshot

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _entry(task_id: str, status: Status | None, *, gateway: str = "main", **kw) -> WatchEntry:
    snap = None
    if status is not None:
        at = kw.pop("at", T0)
        progress = kw.pop("progress", None)
        snap = task_snapshot(
            task_id, "text2video", status, at, progress=progress, created_at=T0, updated_at=at
        )
    return WatchEntry(
        task_id=task_id, kind="text2video", gateway=gateway, added_at=T0, snapshot=snap, **kw
    )


def test_counts_follow_changes_and_drop_names_at_zero() -> None:
    model = DashboardModel()
    a, b = _entry("a", Status.IN_PROGRESS), _entry("b", Status.SUBMITTED, gateway="other")
    model.load([a, b])
    assert model.state_counts == {"in_progress": 1, "submitted": 1}
    assert model.gateway_counts == {"main": 1, "other": 1}
    failed = replace(a, last_error=FetchError(ErrorType.TIMEOUT, "slow", at=T0))
    model.upsert([failed])
    assert model.state_counts == {"in_progress": 1, "submitted": 1, "error": 1}
    model.remove([b.key])
    assert model.state_counts == {"in_progress": 1, "error": 1}
    assert model.gateway_counts == {"main": 1}
    assert model.total == 1
    assert count_marks(_entry("c", None, last_error=FetchError(ErrorType.AUTH, "no"))) == ("error",)


def test_the_model_feeds_the_eta() -> None:
    model = DashboardModel()
    first = _entry("a", Status.IN_PROGRESS, progress=10.0, at=T0)
    model.load([first])
    later = _entry("a", Status.IN_PROGRESS, progress=60.0, at=T0 + timedelta(seconds=100))
    model.upsert([later])
    assert model.eta.eta_seconds(later, T0 + timedelta(seconds=100)) == 80.0
    model.remove([later.key])
    assert model.eta.eta_seconds(later, T0 + timedelta(seconds=100)) is None
