"""Benchmarks of the pure core: fetcher + poller against the simulator, saving, the schedule.

Each ratio is measured side by side in one run (baseline and project alternate, the median
of each is kept), so a slow or busy machine slows both sides alike. The measurements live
in ``poll_bench`` (poll overhead and scaling, against the simulator that ``bench_sim`` runs
in a separate process), ``save_bench`` and ``schedule_bench``; this module runs them all
for ``bench/run.py``'s core group, or on its own: ``python bench/core_bench.py [--quick]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import bench_common
from bench_sim import serve, simulator_process
from poll_bench import measure_poll_overhead, measure_poll_scaling
from save_bench import measure_save
from schedule_bench import measure_adaptive

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
