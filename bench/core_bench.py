"""Benchmarks of the pure core: fetcher + poller against the simulator, saving, the schedule.

Each ratio is measured side by side in one run (baseline and project alternate, the median
of each is kept), so a slow or busy machine slows both sides alike.

The simulator runs in a *separate process* (this file with ``--serve N``): in the same
process its threads would share our interpreter lock and our CPU clock, and the figures
would measure the server as much as the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bench_common
import httpx
import rtoml
import tomli_w

from kling_tui.config import AppConfig, GatewayConfig
from kling_tui.gateway.auth import Secret, StaticToken
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.models import (
    ErrorType,
    FetchError,
    Status,
    TaskKey,
    TaskSnapshot,
    Video,
    WatchEntry,
)
from kling_tui.polling.poller import Poller, PollUpdate
from kling_tui.polling.schedule import PollPolicy, Scheduler
from kling_tui.store.codec import FORMAT_VERSION, entry_to_table
from kling_tui.store.watchlist import WatchList

TOKEN = "bench-token"
PREFIX = "/kling/v1"
KIND = "text2video"
CONCURRENCY = 8
"""The fetcher's default per-gateway cap; the bare loop gets the same."""
FIRST_ID = 820_000_000_000_000_000


def task_ids(n: int) -> list[str]:
    """The ids the benchmark simulator serves: 18-digit strings like Kling's."""
    return [str(FIRST_ID + i) for i in range(n)]


# -- the simulator in its own process ---------------------------------------------------


def serve(n: int) -> None:
    """Child process: a simulator holding ``n`` tasks that render for ever (progress rises)."""
    from kling_tui.sim.simulator import Simulator

    sim = Simulator(tokens=(TOKEN,))
    base = sim.start()
    for task_id in task_ids(n):
        sim.add_task(KIND, task_id=task_id, queue_seconds=0.0, run_seconds=1e6)
    sys.stdout.write(base + "\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the parent closes our stdin
    sim.stop()


@contextlib.contextmanager
def simulator_process(n: int, script: str = __file__, settle: float = 0.0) -> Iterator[str]:
    """Start the simulator with ``n`` tasks in a child process; yields its base URL.

    ``script`` is the benchmark whose ``--serve N`` builds the tasks (this one's by default);
    ``settle``: seconds to wait before yielding (for tasks' run times to pass)."""
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, str(Path(script).resolve()), "--serve", str(n)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        if not base.startswith("http://"):
            raise RuntimeError(f"the benchmark simulator did not start (got {base!r})")
        time.sleep(settle)
        yield base
    finally:
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- building blocks --------------------------------------------------------------------


def bench_config(base_url: str) -> AppConfig:
    gateway = GatewayConfig(
        name="bench",
        base_url=base_url,
        path_prefix=PREFIX,
        credential=StaticToken(Secret(TOKEN)),
        max_concurrency=CONCURRENCY,
    )
    return AppConfig(gateways={"bench": gateway}, default_gateway="bench")


def fresh_entries(ids: list[str]) -> list[WatchEntry]:
    added = datetime(2026, 11, 1, tzinfo=UTC)
    return [WatchEntry(task_id=i, kind=KIND, gateway="bench", added_at=added) for i in ids]


def fresh_store(directory: Path, ids: list[str]) -> WatchList:
    """A watch list file holding ``ids``, never polled yet."""
    path = directory / f"watch-{len(ids)}-{time.monotonic_ns()}.toml"
    store = WatchList(path)
    store.load()
    store.add(fresh_entries(ids))
    return store


def median(values: list[float]) -> float:
    return statistics.median(values)


def paired_ratio(project: list[float], baseline: list[float]) -> float:
    """Median of the per-round ratios: each round's two sides ran back to back, so a
    moment of machine noise touches one pair rather than one side."""
    return median([p / b for p, b in zip(project, baseline, strict=True)])


# -- poll_overhead_ratio ----------------------------------------------------------------


async def bare_httpx_round(base_url: str, ids: list[str]) -> float:
    """The baseline: a plain AsyncClient loop with the same concurrency. Seconds."""
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=15.0) as client:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(task_id: str) -> None:
            async with gate:
                response = await client.get(f"{base_url}{PREFIX}/videos/{KIND}/{task_id}")
                if response.status_code != 200:
                    raise RuntimeError(f"baseline got {response.status_code}")

        await asyncio.gather(*(one(i) for i in ids))
    return time.perf_counter() - started


async def poller_run_round(base_url: str, store: WatchList) -> tuple[float, float]:
    """The project: the dashboard's poll loop polls every task once. Seconds until the last
    result is published (what the dashboard waits for), and until the batched save that
    follows it in the background is on disk too."""
    started = time.perf_counter()
    fetcher = Fetcher(bench_config(base_url))
    poller = Poller(store, fetcher, entries=store.entries)
    want = len(poller.entries)
    seen = 0
    published = 0.0
    bad: list[str] = []

    def count(event: object) -> None:
        nonlocal seen, published
        if isinstance(event, PollUpdate):
            seen += 1
            if event.stale and len(bad) < 3:
                bad.append(str(event.entry.last_error))
            if seen >= want:
                published = time.perf_counter() - started
                poller.stop()

    poller.subscribe(count)
    await poller.run()  # returns after the final save
    saved = time.perf_counter() - started
    await fetcher.aclose()
    if bad:
        raise RuntimeError(f"the poller got errors: {bad}")
    return published, saved


async def poll_once_round(base_url: str, store: WatchList) -> float:
    """``kling-tui watch --once``: every unfinished task once, then one save. Seconds."""
    started = time.perf_counter()
    fetcher = Fetcher(bench_config(base_url))
    poller = Poller(store, fetcher, entries=store.entries)
    done = await poller.poll_once()
    await fetcher.aclose()
    elapsed = time.perf_counter() - started
    if any(e.last_error is not None for e in done):
        raise RuntimeError("poll --once got errors")
    return elapsed


@dataclass
class OverheadResult:
    bare_s: float
    run_loop_s: float
    run_loop_saved_s: float
    poll_once_s: float
    ratio: float
    """The dashboard's loop against the bare loop (median of paired rounds)."""
    saved_ratio: float
    """The same, until the batched save after the last poll is on disk."""
    once_ratio: float
    """``watch --once``: polls, then one save, then returns."""


def measure_poll_overhead(base_url: str, rounds: int, n: int = 1000) -> OverheadResult:
    ids = task_ids(n)
    bare: list[float] = []
    loop: list[float] = []
    loop_saved: list[float] = []
    once: list[float] = []
    with tempfile.TemporaryDirectory(prefix="kling-bench-") as tmp:
        directory = Path(tmp)
        asyncio.run(bare_httpx_round(base_url, ids[:100]))  # warm the server's threads
        for _ in range(rounds):
            bare.append(asyncio.run(bare_httpx_round(base_url, ids)))
            published, saved = asyncio.run(poller_run_round(base_url, fresh_store(directory, ids)))
            loop.append(published)
            loop_saved.append(saved)
            once.append(asyncio.run(poll_once_round(base_url, fresh_store(directory, ids))))
    return OverheadResult(
        median(bare),
        median(loop),
        median(loop_saved),
        median(once),
        paired_ratio(loop, bare),
        paired_ratio(loop_saved, bare),
        paired_ratio(once, bare),
    )


# -- poll_scaling_ratio -----------------------------------------------------------------


SCALING_POLICY = PollPolicy(interval=0.01, max_interval=0.02)
"""Every task is due again at once: the loop runs flat out at the concurrency cap with 100
tasks as with 10,000, so the only difference between the two runs is the list size."""


async def cpu_per_poll(base_url: str, store: WatchList, polls: int, skip: int) -> float:
    """CPU seconds (this process, all threads: saves included) per poll, after ``skip``."""
    fetcher = Fetcher(bench_config(base_url))
    poller = Poller(store, fetcher, SCALING_POLICY, entries=store.entries)
    seen = 0
    cpu_start = 0.0
    cpu_end = 0.0

    def count(event: object) -> None:
        nonlocal seen, cpu_start, cpu_end
        if isinstance(event, PollUpdate):
            seen += 1
            if seen == skip:
                cpu_start = time.process_time()
            elif seen == skip + polls:
                cpu_end = time.process_time()
                poller.stop()

    poller.subscribe(count)
    await poller.run()
    await fetcher.aclose()
    return (cpu_end - cpu_start) / polls


@dataclass
class ScalingResult:
    cpu_per_poll_100_us: float
    cpu_per_poll_10k_us: float
    ratio: float


def measure_poll_scaling(base_url: str, rounds: int, polls: int) -> ScalingResult:
    small_ids, large_ids = task_ids(100), task_ids(10_000)
    small: list[float] = []
    large: list[float] = []
    with tempfile.TemporaryDirectory(prefix="kling-bench-") as tmp:
        directory = Path(tmp)
        for _ in range(rounds):
            for ids, out in ((small_ids, small), (large_ids, large)):
                store = fresh_store(directory, ids)
                out.append(asyncio.run(cpu_per_poll(base_url, store, polls, skip=200)))
    return ScalingResult(median(small) * 1e6, median(large) * 1e6, paired_ratio(large, small))


# -- save_ratio_10k ---------------------------------------------------------------------


def realistic_entries(n: int, seed: int = 7) -> list[WatchEntry]:
    """A watch list as an operator's looks after a while: every state, labels, errors."""
    rng = random.Random(seed)
    base = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    kinds = ("text2video", "image2video", "multi-image2video")
    out: list[WatchEntry] = []
    for i in range(n):
        task_id = str(FIRST_ID + i)
        kind = kinds[i % 3]
        added = base + timedelta(seconds=37 * i)
        roll = rng.random()
        videos: tuple[Video, ...] = ()
        progress: float | None
        message = ""
        if roll < 0.55:
            status, raw, progress = Status.SUCCEEDED, "succeed", 100.0
            videos = (
                Video(
                    str(10**17 + i),
                    f"https://cdn.example.com/kling/{task_id}/video-{i}.mp4",
                    rng.choice((5.0, 5.1, 10.0, 10.1)),
                ),
            )
        elif roll < 0.65:
            status, raw, progress = Status.FAILED, "failed", None
            message = "Failure to pass the risk control system"
        elif roll < 0.85:
            status, raw, progress = Status.IN_PROGRESS, "processing", float(rng.randint(1, 99))
        else:
            status, raw, progress = Status.SUBMITTED, "submitted", None
        checked = added + timedelta(seconds=rng.randint(5, 900))
        snapshot = TaskSnapshot(
            task_id=task_id,
            kind=kind,
            status=status,
            status_raw=raw,
            progress=progress,
            videos=videos,
            message=message,
            external_task_id=f"ext-{i}" if i % 4 == 0 else None,
            created_at=added,
            updated_at=checked,
            fetched_at=checked,
        )
        error = None
        if rng.random() < 0.05:
            error = FetchError(ErrorType.TIMEOUT, "https://relay.example took longer than 15 s")
        out.append(
            WatchEntry(
                task_id=task_id,
                kind=kind,
                gateway="relay" if i % 5 else "kling",
                added_at=added,
                label=f"shot {i}: {rng.choice(('sunrise', 'city at night', 'dragon'))}",
                snapshot=snapshot,
                last_checked=checked,
                last_error=error,
            )
        )
    return out


@dataclass
class SaveResult:
    dumps_s: float
    save_s: float
    """Every task changed since the last save: each one serialised again (the key figure)."""
    save_100_changed_s: float
    """A poll batch of 100 changed tasks: the others' text is reused."""
    file_mb: float
    ratio: float
    writer_dumps_s: float
    """``rtoml.dumps`` of the same document: the serialiser the store itself uses."""
    writer_ratio: float
    """The save / ``rtoml.dumps`` alone: what the store adds around its own writer."""


def measure_save(rounds: int, n: int = 10_000) -> SaveResult:
    """``WatchList.update`` of every entry (the poller's save: lock, re-read check,
    tables from entries, serialise, temp file, fsync, rename) against ``tomli_w.dumps`` of
    the same document: the pure-Python writer the goal was set against (the store writes
    with rtoml since issue 11; ``writer_ratio`` compares with ``rtoml.dumps`` alone).

    Each round loads the file into a new ``WatchList``, so nothing serialised before is
    reused and the save does all the work a first save does.
    """
    entries = realistic_entries(n)
    doc = {"version": FORMAT_VERSION, "tasks": [entry_to_table(e) for e in entries]}
    dumps: list[float] = []
    writer: list[float] = []
    saves: list[float] = []
    batch_saves: list[float] = []
    with tempfile.TemporaryDirectory(prefix="kling-bench-") as tmp:
        path = Path(tmp) / "watch.toml"
        store = WatchList(path)
        store.load()
        store.add(entries)
        for round_ in range(rounds):
            store = WatchList(path)
            loaded = store.load()
            started = time.perf_counter()
            tomli_w.dumps(doc)
            dumps.append(time.perf_counter() - started)
            started = time.perf_counter()
            rtoml.dumps(doc)
            writer.append(time.perf_counter() - started)
            started = time.perf_counter()
            store.update(loaded)
            saves.append(time.perf_counter() - started)
            batch = loaded[round_ * 100 : round_ * 100 + 100]
            for entry in batch:
                if entry.snapshot is not None:
                    entry.snapshot = replace(entry.snapshot, fetched_at=datetime.now(UTC))
            started = time.perf_counter()
            store.update(batch)
            batch_saves.append(time.perf_counter() - started)
        size = path.stat().st_size
    return SaveResult(
        median(dumps),
        median(saves),
        median(batch_saves),
        size / 1e6,
        paired_ratio(saves, dumps),
        median(writer),
        paired_ratio(saves, writer),
    )


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


# -- all of it --------------------------------------------------------------------------


def measure_core(quick: bool, progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Every core figure; ``details`` holds the raw numbers behind the ratios."""
    rounds = 3 if quick else 7
    progress("adaptive schedule: simulated day")
    adaptive = measure_adaptive()
    progress("save: 10,000 tasks")
    save = measure_save(rounds=3 if quick else 7)
    with simulator_process(10_000) as base_url:
        progress("poll overhead: 1,000 tasks against the simulator")
        overhead = measure_poll_overhead(base_url, rounds=rounds)
        progress("poll scaling: 100 vs 10,000 watched tasks")
        scaling = measure_poll_scaling(
            base_url, rounds=2 if quick else rounds, polls=1200 if quick else 4000
        )
    return {
        "poll_overhead_ratio": overhead.ratio,
        "poll_scaling_ratio": scaling.ratio,
        "save_ratio_10k": save.ratio,
        "adaptive_requests_ratio": adaptive.requests_ratio,
        "adaptive_delay_ratio": adaptive.delay_ratio,
        "details": {
            "poll_overhead": {
                "bare_httpx_s": overhead.bare_s,
                "poller_run_loop_s": overhead.run_loop_s,
                "run_loop_saved_s": overhead.run_loop_saved_s,
                "run_loop_saved_ratio": overhead.saved_ratio,
                "poll_once_s": overhead.poll_once_s,
                "poll_once_ratio": overhead.once_ratio,
            },
            "poll_scaling": {
                "cpu_per_poll_100_us": scaling.cpu_per_poll_100_us,
                "cpu_per_poll_10k_us": scaling.cpu_per_poll_10k_us,
            },
            "save": {
                "dumps_s": save.dumps_s,
                "rtoml_dumps_s": save.writer_dumps_s,
                "save_over_rtoml_dumps": save.writer_ratio,
                "save_all_changed_s": save.save_s,
                "save_100_changed_s": save.save_100_changed_s,
                "file_mb": save.file_mb,
            },
            "adaptive": {
                "naive_requests": adaptive.naive_requests,
                "project_requests": adaptive.project_requests,
                "naive_mean_delay_s": adaptive.naive_delay_s,
                "project_mean_delay_s": adaptive.project_delay_s,
            },
        },
    }


if __name__ == "__main__":
    bench_common.main(measure_core, serve, sys.argv[1:])
