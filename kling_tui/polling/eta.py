"""When will a task finish, and is it stuck: the one estimate the scheduler and the screen share.

The scheduler polls faster near the expected end; the dashboard shows the time left and marks
tasks that stopped moving. Both read the same progress readings and the same learned render
times, so the arithmetic lives here once:

* Only progress seen *moving* counts. One reading says nothing about speed, and a task
  that sat in a queue before starting would make "progress since submission" far too slow.
* The rate is measured between two readings (first and last kept) and the time left
  runs down from the last one: ``(100 - p1) / rate - (now - t1)``, never below zero.
* A relay's percentage is synthetic (the new-api family only ever sends 0/10/20/30/100 %):
  a rate from it is meaningless, so such a task's time left comes from learned render times
  (:class:`RenderTimes`) instead. See :func:`reads_synthetic` for the rule.
* Render times are learned per phase (queue wait: submitted until rendering starts; render:
  rendering until finished) and per kind and model; see :class:`RenderTimes` for the
  fallbacks and :data:`DEFAULT_TIMES` for what is assumed before anything is learned.
* A task is **stuck** when its state (status and progress) has not moved for much longer than
  its phase usually takes in total: see :func:`stuck_after`.

Pure: times are plain seconds (monotonic for the scheduler, epoch for the screen), no clock.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from kling_tui.kinds import Media, kind_spec
from kling_tui.models import Status, TaskKey, TaskSnapshot, WatchEntry

Reading = tuple[float, float]
"""(time in seconds, progress in percent)."""

SAMPLES_KEPT = 12
"""Readings kept per task by ``EtaEstimator``: the rate follows a task that speeds up."""

STUCK_FACTOR = 3.0
"""A state unmoved for more than this many times its phase's learned p90 is stuck..."""
STUCK_MIN_SECONDS = 600.0
"""...and for at least this long (10 minutes): a relay lags Kling by minutes under load, so
a short phase (an image renders in seconds) must not make a lagging task look stuck."""


class Phase(StrEnum):
    """What a duration measures: waiting in the queue, or rendering."""

    QUEUE = "queue"
    """From ``submitted`` (first seen, or the server's creation time) until rendering starts."""
    RENDER = "render"
    """From rendering first seen until the task finished."""


@dataclass(frozen=True, slots=True)
class Typical:
    """How long a phase usually takes: the median and the 90th percentile, in seconds."""

    median: float
    p90: float


DEFAULT_TIMES: dict[Media, dict[Phase, Typical]] = {
    # Assumed before anything is learned; an image renders in well under a minute, a 5-10 s
    # video in a few minutes (Kling's own figures), audio in between.
    Media.VIDEO: {Phase.QUEUE: Typical(60.0, 600.0), Phase.RENDER: Typical(300.0, 600.0)},
    Media.IMAGE: {Phase.QUEUE: Typical(15.0, 120.0), Phase.RENDER: Typical(30.0, 90.0)},
    Media.AUDIO: {Phase.QUEUE: Typical(15.0, 120.0), Phase.RENDER: Typical(60.0, 180.0)},
}
"""What a phase takes per kind's media (``kinds.KIND_SPECS``) until renders are learned."""

_Group = tuple[Phase, str, str | None]
"""(phase, kind or ``*media``, model or None): one window of learned durations."""


def media_of(kind: str) -> Media:
    """A kind's media; a kind this version does not know is taken as a video."""
    spec = kind_spec(kind)
    return spec.media if spec is not None else Media.VIDEO


class RenderTimes:
    """Learned durations per phase, kind and model, with fallbacks.

    A query for (kind, model) uses the first group with at least ``min_samples`` durations:
    that kind and model, then the kind (any model), then every kind of the same media (an
    image's render time says nothing about a video's), then :data:`DEFAULT_TIMES` (only
    :meth:`typical`; :meth:`quantile` answers None there). Each group keeps its last
    ``window`` durations, so the figures follow a gateway that gets slower or faster.
    """

    def __init__(self, *, window: int = 100, min_samples: int = 5) -> None:
        self.window = window
        self.min_samples = min_samples
        self._learned: dict[_Group, deque[float]] = {}
        self._sorted: dict[_Group, list[float]] = {}

    def learn(self, phase: Phase, kind: str, model: str | None, seconds: float) -> None:
        """One finished phase of one task. Non-positive or non-finite durations are ignored."""
        if not (seconds > 0 and math.isfinite(seconds)):
            return
        groups: list[_Group] = [(phase, kind, None), (phase, f"*{media_of(kind)}", None)]
        if model:
            groups.append((phase, kind, model))
        for group in groups:
            window = self._learned.get(group)
            if window is None:
                window = self._learned[group] = deque(maxlen=self.window)
            window.append(seconds)
            self._sorted.pop(group, None)

    def count(self, phase: Phase, kind: str, model: str | None = None) -> int:
        """How many durations the exact group holds (tests, the detail pane)."""
        return len(self._learned.get((phase, kind, model), ()))

    def _ordered(self, phase: Phase, kind: str, model: str | None, media: bool) -> list[float]:
        groups: list[_Group] = [(phase, kind, model)] if model else []
        groups.append((phase, kind, None))
        if media:
            groups.append((phase, f"*{media_of(kind)}", None))
        for group in groups:
            ordered = self._sorted.get(group)
            if ordered is None:
                window = self._learned.get(group)
                if window is None or len(window) < self.min_samples:
                    continue
                ordered = self._sorted[group] = sorted(window)
            return ordered
        return []

    def quantile(
        self,
        phase: Phase,
        kind: str,
        model: str | None = None,
        q: float = 0.5,
        *,
        same_kind: bool = False,
    ) -> float | None:
        """The ``q`` quantile (nearest rank below) of the first group with enough durations.

        None when none has enough. ``same_kind`` stops before the media fallback (the
        scheduler's "cannot be done before" floor must not come from another kind).
        """
        ordered = self._ordered(phase, kind, model, media=not same_kind)
        if not ordered:
            return None
        return ordered[int(q * (len(ordered) - 1))]

    def typical(self, phase: Phase, kind: str, model: str | None = None) -> Typical:
        """Median and p90 of the phase: learned if possible, else the media's default."""
        ordered = self._ordered(phase, kind, model, media=True)
        if not ordered:
            return DEFAULT_TIMES[media_of(kind)][phase]
        last = len(ordered) - 1
        # The p90 rounds up: with few durations it leans long, so a task is not called
        # stuck on the strength of a handful of quick renders.
        return Typical(ordered[int(0.5 * last)], ordered[math.ceil(0.9 * last)])


UNLEARNED = RenderTimes()
"""Nothing learned, never learned into: :data:`DEFAULT_TIMES` only (``ls`` and any fold
without a scheduler's learned times)."""


def phase_of(status: Status) -> Phase:
    """The phase a non-terminal status is in (an unknown word is taken as rendering)."""
    return Phase.QUEUE if status is Status.SUBMITTED else Phase.RENDER


def stuck_after(times: RenderTimes, kind: str, model: str | None, status: Status) -> float:
    """Seconds a state may stay unmoved before the task counts as stuck.

    The rule: ``max(STUCK_FACTOR x p90 of the phase, STUCK_MIN_SECONDS)``. The p90 is that of
    the *whole* phase (the queue wait for ``submitted``, the render for anything else), and
    no still stretch of a healthy task is longer than its whole phase: a task whose progress
    keeps moving is never stuck, and one that sits at 30 % for three times the usual render
    is. With the defaults: a video after 30 minutes, an image after 10.
    """
    typical = times.typical(phase_of(status), kind, model)
    return max(STUCK_FACTOR * typical.p90, STUCK_MIN_SECONDS)


def is_stuck(entry: WatchEntry, times: RenderTimes, now: datetime) -> bool:
    """True when the entry's unfinished state has not moved for longer than :func:`stuck_after`.

    Measured from ``entry.state_since`` (when the current status and progress were first
    seen); an entry without it, or finished, is never stuck.
    """
    snap, since = entry.snapshot, entry.state_since
    if snap is None or since is None or snap.status.terminal:
        return False
    still = (now - since).total_seconds()
    if still <= STUCK_MIN_SECONDS:  # the common case, without looking up learned times
        return False
    return still > stuck_after(times, entry.kind, snap.model, snap.status)


def reads_synthetic(snap: TaskSnapshot, real_seen: bool) -> bool:
    """Is this answer's percentage a relay's synthetic step, to be ignored for the rate?

    Per task: the answer is a relay's own record (``progress_synthetic``, set by the
    normalizer for a shape A/C record at one of
    ``gateway.shapes.RELAY_PROGRESS_STEPS``) and no reading of
    this task so far was a value off those steps (``real_seen``: a relay fork that reports
    real percentages sends 45 % sometimes, and its 10 % is then real too).
    """
    return snap.progress_synthetic and not real_seen


def learned_left(typical: Typical, rendering_for: float) -> float | None:
    """Time left of a render from learned times: to the median, past it to the p90.

    None past the p90 too (no basis: the screen shows no ETA rather than a wrong one).
    """
    for target in (typical.median, typical.p90):
        if rendering_for < target:
            return target - rendering_for
    return None


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
    real_seen: bool = False
    """A reading off the relay's synthetic steps was seen: the percentage is real."""
    rendering_since: float | None = None
    """Epoch seconds this task was first seen rendering (for the learned-time ETA)."""


class EtaEstimator:
    """The readings the dashboard saw per task, and the time left from them.

    Fed with every entry the view learns about (``observe``), forgotten when a task leaves.
    ``times`` are the learned render times (the poller's scheduler's, in the dashboard), used
    for tasks whose progress is synthetic.
    """

    def __init__(self, times: RenderTimes | None = None) -> None:
        self._samples: dict[TaskKey, _Samples] = {}
        self.times = times if times is not None else RenderTimes()

    def observe(self, entry: WatchEntry) -> None:
        snap = entry.snapshot
        if snap is None or snap.progress is None or snap.status.terminal:
            if snap is not None and snap.status.terminal and self._samples:
                self._samples.pop(entry.key, None)
            return
        at = snap.fetched_at.timestamp()
        key = entry.key
        track = self._samples.get(key)
        if track is None:
            track = self._samples[key] = _Samples()
        if not snap.progress_synthetic:
            track.real_seen = True
        if snap.status is Status.IN_PROGRESS and track.rendering_since is None:
            # Seen rendering already at load: it has been since its state last moved at least.
            since = entry.state_since
            track.rendering_since = since.timestamp() if since is not None else at
        samples = track.points
        if samples and snap.progress < samples[-1][1]:
            samples.clear()  # progress went backwards: the task restarted
        if samples and at <= samples[-1][0]:
            return
        # An unchanged reading is kept too: a stall then slows the estimated rate.
        samples.append((at, snap.progress))

    def forget(self, key: TaskKey) -> None:
        self._samples.pop(key, None)

    def eta_seconds(self, entry: WatchEntry, now: datetime) -> float | None:
        """Seconds until 100 %, or None when there is no basis yet."""
        snap = entry.snapshot
        if snap is None or snap.status.terminal or snap.progress is None:
            return None
        samples = self._samples.get(entry.key)
        if samples is None:
            return None
        if reads_synthetic(snap, samples.real_seen):
            if snap.status is not Status.IN_PROGRESS or samples.rendering_since is None:
                return None
            typical = self.times.typical(Phase.RENDER, entry.kind, snap.model)
            return learned_left(typical, now.timestamp() - samples.rendering_since)
        if len(samples.points) < 2:
            return None
        return seconds_left(samples.points[0], samples.points[-1], now.timestamp())
