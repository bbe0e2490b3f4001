"""``poll_overhead_ratio`` and ``poll_scaling_ratio``: the fetcher and the poller against the
simulator (``bench_sim``, in its own process), each side by side with its baseline.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from bench_common import median, paired_ratio
from bench_sim import CONCURRENCY, KIND, PREFIX, TOKEN, task_ids

from kling_tui.config import AppConfig, GatewayConfig
from kling_tui.gateway.auth import Secret, StaticToken
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.models import WatchEntry
from kling_tui.polling.poller import Poller, PollUpdate
from kling_tui.polling.schedule import PollPolicy
from kling_tui.store.watchlist import WatchList

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
