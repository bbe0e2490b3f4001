"""The simulated task model: one task's fixed plan, and where it stands at a given instant.

A task's status is computed from the injectable clock at every request, so a test moves a task
from submitted to finished by advancing a fake clock, without sleeping.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any, Literal

from kling_tui.sim.payloads import CJK_REASON, HOSTILE_REASON

Outcome = Literal["succeed", "fail"]


@dataclass
class SimTask:
    """One simulated generation task; its status is derived from ``created`` and the clock."""

    task_id: str
    kind: str
    outcome: Outcome
    queue_seconds: float
    run_seconds: float
    duration: float
    fail_reason: str
    external_task_id: str | None
    created: float
    stuck_at: int | None = None
    """A stuck task: once rendering, it stays ``processing`` at this percentage for good."""

    @property
    def video_id(self) -> str:
        """A stable 18-digit id for the task's one video (Kling's video ids are numeric)."""
        digest = hashlib.sha256(self.task_id.encode()).digest()
        return str(10**17 + int.from_bytes(digest[:8], "big") % (9 * 10**17))


@dataclass
class Phase:
    """Where a task stands at one instant, in simulator-clock seconds."""

    name: Literal["submitted", "queued", "processing", "succeed", "failed"]
    progress: int
    started: float | None
    finished: float | None


def phase_at(task: SimTask, now: float) -> Phase:
    """The phase ``task`` is in at simulator-clock time ``now``."""
    elapsed = now - task.created
    start = task.created + task.queue_seconds
    finish = start + task.run_seconds
    if elapsed < task.queue_seconds:
        # The relay's first seconds read SUBMITTED, then QUEUED until Kling picks it up.
        name: Literal["submitted", "queued"] = (
            "submitted" if elapsed < min(2.0, task.queue_seconds / 2) else "queued"
        )
        return Phase(name, 0, None, None)
    if task.stuck_at is not None:
        return Phase("processing", task.stuck_at, start, None)
    if now < finish:
        fraction = (now - start) / task.run_seconds if task.run_seconds > 0 else 1.0
        return Phase("processing", min(99, 1 + int(fraction * 98)), start, None)
    return Phase("succeed" if task.outcome == "succeed" else "failed", 100, start, finish)


def demo_task_specs() -> list[dict[str, Any]]:
    """A varied set for ``--demo``: every kind, both outcomes, a few seconds to ~1 min."""
    return [
        {"kind": "text2video", "queue_seconds": 2, "run_seconds": 8},
        {"kind": "image2video", "queue_seconds": 4, "run_seconds": 26, "duration": 10.1},
        {"kind": "multi-image2video", "queue_seconds": 8, "run_seconds": 52},
        {"kind": "text2video", "outcome": "fail", "queue_seconds": 3, "run_seconds": 9},
        {
            "kind": "image2video",
            "outcome": "fail",
            "queue_seconds": 2,
            "run_seconds": 14,
            "fail_reason": HOSTILE_REASON,
        },
        {
            "kind": "multi-image2video",
            "outcome": "fail",
            "queue_seconds": 5,
            "run_seconds": 20,
            "fail_reason": CJK_REASON,
        },
        {"kind": "text2video", "queue_seconds": 900, "run_seconds": 60},  # stays queued
        {
            "kind": "image2video",
            "queue_seconds": 1,
            "run_seconds": 5,
            "external_task_id": f"demo-order-{random.randrange(10**6):06d}",
        },
        {"kind": "text2video", "queue_seconds": 0, "run_seconds": 0.5, "duration": 10.1},
        {"kind": "multi-image2video", "queue_seconds": 6, "run_seconds": 36},
    ]
