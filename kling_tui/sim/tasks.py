"""The simulated task model: one task's fixed plan, and where it stands at a given instant.

A task's status is computed from the injectable clock at every request, so a test moves a task
from submitted to finished by advancing a fake clock, without sleeping.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any, Literal

from kling_tui.kinds import Media, kind_spec
from kling_tui.sim.payloads import CJK_REASON, HOSTILE_REASON

Outcome = Literal["succeed", "fail"]

RELAY_TIMEOUT_SECONDS = 24 * 3600.0
"""The open-source relay marks a task unfinished after 24 hours FAILURE (and refunds it)."""
RELAY_TIMEOUT_REASON = "任务超时（1440分钟）"


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
    relay_id: str | None = None
    """A 2026-era relay's own id (``task_`` + 32 characters): the relay prefix answers with
    it as ``data.task_id`` and Kling's id (``task_id``) only inside its upstream copy."""
    images: int = 1
    """How many images an image kind's task returns (``task_result.images``)."""
    final_unit_deduction: str | None = None
    """The cost the answer reports (a string, as Kling sends it); None: not sent."""
    watermark: bool = False
    """Results carry a ``watermark_url`` too."""
    not_start_seconds: float = 0.0
    """The relay answers ``NOT_START`` (not yet sent upstream) this long after creation."""
    relay_status: str | None = None
    """A status word the relay answers while the task is unfinished (``UNKNOWN``)."""
    model: str = "kling-v2-1"

    @property
    def video_id(self) -> str:
        """A stable 18-digit id for the task's one video (Kling's video ids are numeric)."""
        digest = hashlib.sha256(self.task_id.encode()).digest()
        return str(10**17 + int.from_bytes(digest[:8], "big") % (9 * 10**17))

    @property
    def media(self) -> Media:
        """What the task's kind makes (an unknown kind, added on purpose by a test: video)."""
        spec = kind_spec(self.kind)
        return spec.media if spec is not None else Media.VIDEO

    @property
    def has_parent(self) -> bool:
        """An extend / lip-sync task works on an earlier video (``task_info.parent_video``)."""
        spec = kind_spec(self.kind)
        return spec is not None and spec.has_parent


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
    """A varied set for ``--demo``: seven kinds (videos and images), both outcomes, a few
    seconds to ~1 min, a relay-era-2026 id, and a task stuck at 30 % (the last one).

    Even positions are watched on the demo relay, odd ones on the native gateway (see
    ``sim.demo``): the relay serves only the video kinds it knows, so the image, extend,
    lip-sync and omni tasks sit on odd positions.
    """
    return [
        {"kind": "text2video", "queue_seconds": 2, "run_seconds": 8, "final_unit_deduction": "1"},
        {
            "kind": "image-generations",
            "queue_seconds": 3,
            "run_seconds": 10,
            "images": 3,
            "final_unit_deduction": "0.6",
        },
        {
            "kind": "multi-image2video",
            "queue_seconds": 8,
            "run_seconds": 52,
            "final_unit_deduction": "3.5",
        },
        {"kind": "video-extend", "outcome": "fail", "queue_seconds": 3, "run_seconds": 9},
        {
            "kind": "image2video",
            "outcome": "fail",
            "queue_seconds": 2,
            "run_seconds": 14,
            "fail_reason": HOSTILE_REASON,
        },
        {
            "kind": "advanced-lip-sync",
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
            "final_unit_deduction": "2",
        },
        {
            "kind": "text2video",
            "queue_seconds": 0,
            "run_seconds": 0.5,
            "duration": 10.1,
            "relay_id": True,
            "final_unit_deduction": "1",
        },
        {
            "kind": "omni-video",
            "queue_seconds": 6,
            "run_seconds": 36,
            "final_unit_deduction": "2.5",
        },
        {"kind": "text2video", "queue_seconds": 0, "run_seconds": 600, "stuck_at": 30},
    ]
