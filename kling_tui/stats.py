"""A picture of the day: pure aggregation behind the Stats screen (no Textual).

* tasks finished and failed per hour over the last 24 hours (by the hour they ended: the
  answer's ``updated_at``);
* queue wait per kind: from creation to the first answer seen in progress (``state_since``
  of a task now in progress), or until now for a task still submitted;
* time to finish per kind: creation to the end of each succeeded task (queue plus render:
  the answers do not say when rendering began);
* failure rate per gateway over the tasks that ended in the window.

Time comes in as ``now`` so tests pin the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from kling_tui.models import Status, WatchEntry

__all__ = ["HOURS", "Distribution", "GatewayRate", "StatsSummary", "summarize_stats"]

HOURS = 24
SKEW = timedelta(minutes=5)
"""A server clock this far ahead of ours still counts (the end is put in this hour)."""


@dataclass(frozen=True, slots=True)
class Distribution:
    """Seconds per task of one kind: the values and their quartiles."""

    kind: str
    seconds: tuple[float, ...]

    @property
    def count(self) -> int:
        return len(self.seconds)

    @property
    def median(self) -> float:
        return median(self.seconds) if self.seconds else 0.0

    @property
    def low(self) -> float:
        return min(self.seconds, default=0.0)

    @property
    def high(self) -> float:
        return max(self.seconds, default=0.0)


@dataclass(frozen=True, slots=True)
class GatewayRate:
    gateway: str
    ended: int
    failed: int

    @property
    def rate(self) -> float:
        return self.failed / self.ended if self.ended else 0.0


@dataclass(frozen=True, slots=True)
class StatsSummary:
    """``hours[i]`` is the hour starting ``start + i h``; the lists run oldest first."""

    start: datetime
    finished: tuple[int, ...] = ()
    failed: tuple[int, ...] = ()
    waits: tuple[Distribution, ...] = ()
    renders: tuple[Distribution, ...] = ()
    rates: tuple[GatewayRate, ...] = ()
    hours: tuple[datetime, ...] = field(default=())

    @property
    def any(self) -> bool:
        return bool(sum(self.finished) or sum(self.failed) or self.waits or self.renders)


def _hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def summarize_stats(entries: Iterable[WatchEntry], now: datetime) -> StatsSummary:
    """The day's numbers from the watch list's last answers (see the module docstring)."""
    start = _hour(now) - timedelta(hours=HOURS - 1)
    finished, failed = [0] * HOURS, [0] * HOURS
    waits: dict[str, list[float]] = {}
    renders: dict[str, list[float]] = {}
    rates: dict[str, list[int]] = {}
    for entry in entries:
        s = entry.snapshot
        if s is None or s.created_at is None:
            continue
        created = s.created_at
        if s.status is Status.SUBMITTED:
            waits.setdefault(s.kind, []).append(max(0.0, (now - created).total_seconds()))
            continue
        if s.status is Status.IN_PROGRESS and entry.state_since is not None:
            began = entry.state_since
            waits.setdefault(s.kind, []).append(max(0.0, (began - created).total_seconds()))
            continue
        ended = s.updated_at
        if not s.status.terminal or ended is None or ended < start or ended > now + SKEW:
            continue
        slot = min(HOURS - 1, int((ended - start).total_seconds() // 3600))
        acc = rates.setdefault(entry.gateway, [0, 0])
        acc[0] += 1
        if s.status is Status.FAILED:
            failed[slot] += 1
            acc[1] += 1
        else:
            finished[slot] += 1
            renders.setdefault(s.kind, []).append(max(0.0, (ended - created).total_seconds()))
    return StatsSummary(
        start=start,
        finished=tuple(finished),
        failed=tuple(failed),
        waits=tuple(Distribution(k, tuple(sorted(v))) for k, v in sorted(waits.items())),
        renders=tuple(Distribution(k, tuple(sorted(v))) for k, v in sorted(renders.items())),
        rates=tuple(GatewayRate(g, a[0], a[1]) for g, a in sorted(rates.items())),
        hours=tuple(start + timedelta(hours=i) for i in range(HOURS)),
    )
