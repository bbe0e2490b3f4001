"""When will a rendering task finish: the one estimate the scheduler and the screen share.

The scheduler polls faster near the expected end; the dashboard shows the time left. Both
read the same progress readings and must agree, so the arithmetic lives here once:

* Only progress seen *moving* counts. One reading says nothing about speed, and a task
  that sat in a queue before starting would make "progress since submission" far too slow.
* The rate is measured between two readings (first and last kept) and the time left
  runs down from the last one: ``(100 - p1) / rate - (now - t1)``, never below zero.

Pure: times are plain seconds (monotonic for the scheduler, epoch for the screen), no clock.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from kling_tui.models import TaskKey, WatchEntry

Reading = tuple[float, float]
"""(time in seconds, progress in percent)."""

SAMPLES_KEPT = 12
"""Readings kept per task by ``EtaEstimator``: the rate follows a task that speeds up."""


def seconds_left(first: Reading, last: Reading, now: float) -> float | None:
    """Seconds until 100 % from the rate between two readings, counted from ``now``.

    None when there is no basis: progress did not move forward, or time did not.
    """
    (t0, p0), (t1, p1) = first, last
    if p1 <= p0 or t1 <= t0:
        return None
    rate = (p1 - p0) / (t1 - t0)
    left = (100.0 - p1) / rate - (now - t1)
    if not math.isfinite(left):
        return None
    return max(0.0, left)


@dataclass(slots=True)
class _Samples:
    points: deque[Reading] = field(default_factory=lambda: deque(maxlen=SAMPLES_KEPT))


class EtaEstimator:
    """The readings the dashboard saw per task, and the time left from them.

    Fed with every entry the view learns about (``observe``), forgotten when a task leaves.
    """

    def __init__(self) -> None:
        self._samples: dict[TaskKey, _Samples] = {}

    def observe(self, entry: WatchEntry) -> None:
        snap = entry.snapshot
        if snap is None or snap.progress is None or snap.status.terminal:
            if snap is not None and snap.status.terminal and self._samples:
                self._samples.pop(entry.key, None)
            return
        at = snap.fetched_at.timestamp()
        samples = self._samples.setdefault(entry.key, _Samples()).points
        if samples and snap.progress < samples[-1][1]:
            samples.clear()  # progress went backwards: the task restarted
        if samples and at <= samples[-1][0]:
            return
        # An unchanged reading is kept too: a stall then slows the estimated rate.
        samples.append((at, snap.progress))

    def forget(self, key: TaskKey) -> None:
        self._samples.pop(key, None)

    def eta_seconds(self, entry: WatchEntry, now: datetime) -> float | None:
        """Seconds until 100 %, or None when progress has not moved yet."""
        snap = entry.snapshot
        if snap is None or snap.status.terminal or snap.progress is None:
            return None
        samples = self._samples.get(entry.key)
        if samples is None or len(samples.points) < 2:
            return None
        return seconds_left(samples.points[0], samples.points[-1], now.timestamp())
