"""Benchmark of ``kling-tui import``: 10,000 tasks from the simulator's native list endpoints.

``import_10k_seconds_ratio``: the whole import (every page through the fetcher and the
normalizer, the plan, one save of 10,000 new entries with their snapshots) divided by a bare
httpx loop fetching the same pages one after another. Both sides run against the same
simulator, in a separate process (as in ``bench_sim``), and alternate round by round; the
median of the per-round ratios is kept. ``import_10k_requests`` is the number of list
requests the import sent (pages of 500: 10,000 tasks of two kinds are 20 full pages and one
empty page per kind that says the list has ended).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bench_common
import bench_sim
import httpx

from kling_tui.config import AppConfig, GatewayConfig
from kling_tui.gateway.auth import Secret, StaticToken
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.importing.apply import import_from_gateway
from kling_tui.kinds import kind_spec
from kling_tui.store.watchlist import WatchList

TOKEN = "bench-token"
PREFIX = "/v1"
KINDS = ("text2video", "image2video")
PAGE_SIZE = 500
FIRST_ID = 830_000_000_000_000_000


def serve(n: int) -> None:
    """Child process: a simulator holding ``n`` tasks of ``KINDS`` (finished, running, queued)."""
    from kling_tui.sim.simulator import Simulator

    sim = Simulator(tokens=(TOKEN,))
    base = sim.start()
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        outcome = "fail" if i % 20 == 0 else "succeed"
        run = (0.0, 1.0, 1e6)[i % 3]  # finished (with a video), rendering, rendering for ever
        sim.add_task(
            kind,
            task_id=str(FIRST_ID + i),
            outcome=outcome,
            queue_seconds=0.0,
            run_seconds=run,
        )
    sys.stdout.write(base + "\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the parent closes our stdin
    sim.stop()


def simulator_process(n: int) -> contextlib.AbstractContextManager[str]:
    """The simulator with ``n`` tasks of this benchmark in a child process (its base URL),
    after their run times have passed: finished ones have their video."""
    return bench_sim.simulator_process(n, script=__file__, settle=0.5)


def bench_gateway(base_url: str) -> tuple[AppConfig, GatewayConfig]:
    gateway = GatewayConfig(
        name="bench",
        base_url=base_url,
        path_prefix=PREFIX,
        credential=StaticToken(Secret(TOKEN)),
        timeout=60.0,
    )
    return AppConfig(gateways={"bench": gateway}, default_gateway="bench"), gateway


async def bare_round(base_url: str, n: int) -> tuple[float, int]:
    """The baseline: one AsyncClient fetching the same pages one after another (each kind's
    full pages and the empty one after them), reading each body and nothing more. Seconds
    and requests."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    pages = n // len(KINDS) // PAGE_SIZE + 1
    requests = 0
    started = time.perf_counter()
    async with httpx.AsyncClient(headers=headers, timeout=60.0) as client:
        for kind in KINDS:
            spec = kind_spec(kind)
            assert spec is not None
            for page in range(1, pages + 1):
                url = f"{base_url}{PREFIX}/{spec.path}?pageNum={page}&pageSize={PAGE_SIZE}"
                response = await client.get(url)
                requests += 1
                if response.status_code != 200 or not response.content:
                    raise RuntimeError(f"baseline got {response.status_code}")
    return time.perf_counter() - started, requests


async def import_round(base_url: str, directory: Path) -> tuple[float, int, int]:
    """The project: ``kling-tui import --kind t2v --kind i2v`` into an empty watch list.
    Seconds (until the watch list is saved), requests and tasks added."""
    config, gateway = bench_gateway(base_url)
    store = WatchList(directory / f"import-{time.monotonic_ns()}.toml")
    store.load()
    started = time.perf_counter()
    async with Fetcher(config) as fetcher:
        summary = await import_from_gateway(fetcher, gateway, store, kinds=KINDS)
    elapsed = time.perf_counter() - started
    if summary.failures:
        raise RuntimeError(f"the import failed: {summary.failures[:2]}")
    return elapsed, summary.requests, summary.new


@dataclass
class ImportResult:
    bare_s: float
    import_s: float
    ratio: float
    requests: int
    bare_requests: int
    added: int


def measure_import(
    quick: bool, progress: Callable[[str], None] = lambda _: None, n: int = 10_000
) -> dict[str, Any]:
    # Nine pairs (a second each): this VM's speed swings by up to 2x within a minute, and
    # with five the median of the ratios moved by 0.3 between runs of the same code.
    rounds = 3 if quick else 9
    bare: list[float] = []
    project: list[float] = []
    requests = bare_requests = added = 0
    progress(f"import: {n:,} tasks from the list endpoints, {rounds} rounds")
    with (
        simulator_process(n) as base_url,
        tempfile.TemporaryDirectory(prefix="kling-bench-") as tmp,
    ):
        asyncio.run(bare_round(base_url, n))  # warm the server's threads and the page path
        for _ in range(rounds):
            seconds, bare_requests = asyncio.run(bare_round(base_url, n))
            bare.append(seconds)
            seconds, requests, added = asyncio.run(import_round(base_url, Path(tmp)))
            project.append(seconds)
    if added != n:
        raise RuntimeError(f"the import added {added} tasks, not {n}")
    ratio = bench_common.paired_ratio(project, bare)
    result = ImportResult(
        statistics.median(bare), statistics.median(project), ratio, requests, bare_requests, added
    )
    return {
        "import_10k_seconds_ratio": result.ratio,
        "import_10k_requests": float(result.requests),
        "details": {
            "import": {
                "bare_httpx_s": result.bare_s,
                "import_s": result.import_s,
                "requests": result.requests,
                "bare_requests": result.bare_requests,
                "tasks_added": result.added,
            }
        },
    }


if __name__ == "__main__":
    bench_common.main(measure_import, serve, sys.argv[1:])
