"""Task answers (``TaskSnapshot``) built in one place for the pure scheduler/ETA suites, and
the scheduler's fixed policy, task keys and errors that test_schedule*.py share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kling_tui.models import ErrorType, FetchError, Status, TaskKey, TaskSnapshot
from kling_tui.polling.schedule import PollPolicy

T0 = datetime(2026, 11, 22, tzinfo=UTC)
POLICY = PollPolicy(interval=5.0, max_interval=60.0, submitted_grace=30.0, jitter=0.2)


def task_snapshot(
    task_id: str, kind: str, status: Status, fetched_at: datetime, **fields: Any
) -> TaskSnapshot:
    """An answer with no videos, message or times unless ``fields`` says otherwise
    (``TaskSnapshot.bare``)."""
    return TaskSnapshot.bare(task_id, kind, status, fetched_at, **fields)


def key(n: int = 1, gateway: str = "relay", kind: str = "text2video") -> TaskKey:
    """Task ``n`` (an 18-digit id) of ``kind`` on ``gateway``."""
    return TaskKey(f"{n:018d}", kind, gateway)


def snap(status: Status, progress: float | None = None, k: TaskKey | None = None) -> TaskSnapshot:
    """The answer for ``k`` (task 1 by default), fetched at T0."""
    k = k or key()
    return task_snapshot(k.task_id, k.kind, status, T0, progress=progress)


def err(kind: ErrorType, retry_after: float | None = None) -> FetchError:
    """A fetch error of ``kind`` at T0."""
    return FetchError(kind, f"{kind.value} happened", retry_after=retry_after, at=T0)
