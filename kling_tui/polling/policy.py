"""The scheduler's knobs (``PollPolicy``) and what it knows about one task (``TaskSchedule``).

Plain data, apart from :mod:`~kling_tui.polling.schedule` that acts on it, so the config
reader, the benchmarks and the tests can build a policy without the scheduler's logic.
"""

from __future__ import annotations

from dataclasses import dataclass

from kling_tui.models import Status, TaskKey


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """The knobs of the schedule. Defaults suit a relay polled all day."""

    interval: float = 5.0
    """Base seconds between polls of a task that is moving."""
    max_interval: float = 60.0
    """The slowest any unfinished task is polled (queued, far from its end, auth failing)."""
    submitted_grace: float = 30.0
    """Seconds in ``submitted`` at the base rate before the queue slowdown starts."""
    growth: float = 1.5
    """Factor by which a queued task's interval grows at each poll."""
    far_fraction: float = 0.3
    """Far from the estimated end, poll after this fraction of the estimated time left."""
    near_eta_factor: float = 0.5
    """Near the estimated end, poll at this fraction of ``interval``."""
    render_quantile: float = 0.1
    """Quantile of learned render times taken as 'cannot be done before' (no progress)."""
    learn_samples: int = 5
    """Finished renders of a kind (or kind and model) needed before its times are trusted."""
    learn_window: int = 100
    """How many recent render times are remembered per kind (and per kind and model)."""
    error_base: float = 5.0
    error_max: float = 300.0
    jitter: float = 0.2
    """Fraction of random spread on error backoff and Retry-After, so clients desynchronise."""
    list_min_due: int = 2
    """Fewest due tasks of one (gateway, kind) refreshed by list page rather than one by one.
    A page is one request, so two due tasks already cost more one by one; raise it to spare
    bandwidth (a page of 500 tasks is a bigger answer than one task's; ``polling.lists``)."""
    list_max_pages: int = 2
    """Pages one list refresh reads at most; due tasks older than that reach are polled
    one by one."""
    list_page_size: int = 500
    """Tasks per list page (the native API's largest)."""


@dataclass(slots=True)
class TaskSchedule:
    """What the scheduler knows about one task (exposed for the UI and for tests)."""

    key: TaskKey
    next_due: float | None
    in_flight: bool = False
    error_count: int = 0
    stopped: bool = False
    """Not polled until refreshed (not found / invalid id)."""
    last_status: Status | None = None
    last_progress: float | None = None
    status_since: float = 0.0
    rendering_since: float | None = None
    progress_origin: tuple[float, float] | None = None
    """(time, progress) when progress was first seen moving in this render."""
    queue_interval: float = 0.0
    generation: int = 0
    model: str | None = None
    """The model the answers name, for learning render times per kind and model."""
    real_progress: bool = False
    """A percentage off a relay's synthetic steps was seen: progress is a real rate."""
    listed: bool = False
    """In flight as part of a list refresh (which holds one connection for all its tasks)."""
    unlisted: bool = False
    """Not found in the list pages read: older than they reach, polled one by one."""
    joined: bool = False
    """Fell due while a list read of its (gateway, kind) was in flight: waits for it (the
    page likely answers for it too) instead of a query of its own."""
