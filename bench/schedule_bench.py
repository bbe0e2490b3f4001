"""``adaptive_requests_ratio`` and ``adaptive_delay_ratio``: the real ``Scheduler`` through a
simulated working day of 1,000 generations, with a fake clock, against a fixed 5 s poll.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime

from bench_sim import FIRST_ID

from kling_tui.models import Status, TaskKey, TaskSnapshot
from kling_tui.polling.schedule import PollPolicy, Scheduler

# -- adaptive_requests_ratio / adaptive_delay_ratio -------------------------------------


@dataclass(frozen=True)
class DayTask:
    """One generation on the simulated day (seconds from midnight)."""

    key: TaskKey
    submitted: float
    render_start: float
    finish: float
    outcome: Status
    reports_progress: bool

    def snapshot_at(self, t: float, fetched: datetime) -> TaskSnapshot:
        if t < self.render_start:
            status, raw, progress = Status.SUBMITTED, "submitted", None
        elif t < self.finish:
            status, raw = Status.IN_PROGRESS, "processing"
            share = (t - self.render_start) / (self.finish - self.render_start)
            # Relays report whole percents; the native API reports none at all.
            progress = float(min(99, int(share * 100))) if self.reports_progress else None
        else:
            status = self.outcome
            raw = "succeed" if status is Status.SUCCEEDED else "failed"
            progress = 100.0 if status is Status.SUCCEEDED and self.reports_progress else None
        return TaskSnapshot.bare(
            self.key.task_id, self.key.kind, status, fetched, status_raw=raw, progress=progress
        )


# Render times by kind (seconds), from what operators see on Kling 1.6-2.x: a 5 s clip takes
# two to five minutes, a 10 s clip about twice that, multi-image the longest.
_RENDER = {
    "text2video": (150.0, 300.0),
    "image2video": (120.0, 270.0),
    "multi-image2video": (200.0, 420.0),
}


def simulated_day(n: int = 1000, seed: int = 2026) -> list[DayTask]:
    """1,000 generations over a working day, submitted in batches.

    * Batches of 1-20 tasks, more of them in working hours (08:00-20:00), a few at night.
    * Queue time: log-normal, median 40 s, one in ten over three minutes, capped at 1 h;
      batches submitted at busy hours queue longer (x2).
    * Render time: uniform in the kind's range, x2 for 10 s clips (a third of them).
    * 4 % fail when the output is checked at the end of the render, 1 % fail half-way.
    * 70 % come through relays that report progress; 30 % from the native API, which does not.
    """
    rng = random.Random(seed)
    tasks: list[DayTask] = []
    kinds = list(_RENDER)
    while len(tasks) < n:
        hour = rng.choices(range(24), weights=[1] * 8 + [6] * 12 + [2] * 4)[0]
        at = hour * 3600 + rng.uniform(0, 3600)
        busy = 10 <= hour < 18
        gateway = "relay" if rng.random() < 0.7 else "kling"
        for _ in range(min(rng.randint(1, 20), n - len(tasks))):
            i = len(tasks)
            kind = rng.choice(kinds)
            submitted = at + rng.uniform(0, 5)
            queue = min(3600.0, rng.lognormvariate(math.log(40), 1.0) * (2 if busy else 1))
            low, high = _RENDER[kind]
            render = rng.uniform(low, high) * (2 if rng.random() < 1 / 3 else 1)
            roll = rng.random()
            outcome = Status.FAILED if roll < 0.05 else Status.SUCCEEDED
            if roll < 0.01:
                render /= 2  # failed half-way
            key = TaskKey(str(FIRST_ID + i), kind, gateway)
            tasks.append(
                DayTask(
                    key=key,
                    submitted=submitted,
                    render_start=submitted + queue,
                    finish=submitted + queue + render,
                    outcome=outcome,
                    reports_progress=gateway == "relay",
                )
            )
    return tasks


def naive_poller(tasks: list[DayTask], interval: float = 5.0) -> tuple[int, float]:
    """Poll every unfinished task every ``interval`` s from submission: (requests, mean delay)."""
    requests = 0
    delays: list[float] = []
    for task in tasks:
        polls_before = math.ceil((task.finish - task.submitted) / interval)
        requests += polls_before + 1  # the first poll at submission, the last sees it finished
        delays.append(task.submitted + polls_before * interval - task.finish)
    return requests, statistics.fmean(delays)


def project_scheduler(
    tasks: list[DayTask], policy: PollPolicy | None = None, seed: int = 1
) -> tuple[int, float]:
    """Drive the real ``Scheduler`` through the day with a fake clock: (requests, mean delay)."""
    scheduler = Scheduler(policy or PollPolicy(), rng=random.Random(seed))
    arrivals = sorted(tasks, key=lambda t: t.submitted)
    by_key = {t.key: t for t in tasks}
    fetched = datetime(2026, 11, 23, tzinfo=UTC)
    known_done: dict[TaskKey, float] = {}
    requests = 0
    now = 0.0
    nxt = 0
    while len(known_done) < len(tasks):
        wake = scheduler.next_wake(now)
        candidates = [now + wake] if wake is not None else []
        if nxt < len(arrivals):
            candidates.append(arrivals[nxt].submitted)
        now = max(now, min(candidates))
        while nxt < len(arrivals) and arrivals[nxt].submitted <= now:
            scheduler.add(arrivals[nxt].key, now)
            nxt += 1
        for key in scheduler.due(now):
            requests += 1
            snapshot = by_key[key].snapshot_at(now, fetched)
            scheduler.record(key, now, snapshot)
            if snapshot.status.terminal:
                known_done[key] = now
    delays = [known_done[t.key] - t.finish for t in tasks]
    return requests, statistics.fmean(delays)


@dataclass
class AdaptiveResult:
    naive_requests: int
    naive_delay_s: float
    project_requests: int
    project_delay_s: float

    @property
    def requests_ratio(self) -> float:
        return self.project_requests / self.naive_requests

    @property
    def delay_ratio(self) -> float:
        return self.project_delay_s / self.naive_delay_s


def measure_adaptive(policy: PollPolicy | None = None, seed: int = 2026) -> AdaptiveResult:
    tasks = simulated_day(seed=seed)
    naive_requests, naive_delay = naive_poller(tasks)
    requests, delay = project_scheduler(tasks, policy)
    return AdaptiveResult(naive_requests, naive_delay, requests, delay)
