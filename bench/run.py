"""kling-tui benchmarks: does the dashboard stay fast and light from 10 to 10,000 tasks?

    python bench/run.py            # full run, a few minutes: the figures in the README
    python bench/run.py --quick    # under a minute on 2 cores: fewer rounds, shorter windows
    python bench/run.py --json     # one JSON object with every figure
    python bench/run.py --only import   # one group: core, dashboard, lists, import or download

Every ratio is measured side by side in the same run (baseline and project alternate and the
median of each side is kept), so a slow or busy machine slows both sides alike. Each group
runs in a fresh Python process of its own, so no group inherits another's heap. Progress goes
to standard error; the table (or the JSON) to standard output. The figures are not tests:
whatever they are, this exits 0 unless a measurement itself broke.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
# This checkout's kling_tui, not whichever copy is installed (a worktree measures itself).
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

# The bench modules sit next to this file; they are not an installed package.
import core_bench
import dashboard_bench
import download_bench
import import_bench
import list_bench

GOALS: dict[str, float] = {
    "poll_overhead_ratio": 1.2,
    "poll_scaling_ratio": 1.3,
    "table_update_scaling_ratio": 1.5,
    "table_update_scaling_ratio_marked": 1.5,
    "startup_ratio_10k": 2.0,
    "startup_ratio_10k_marked": 2.0,
    "save_ratio_10k": 1.5,
    "peak_rss_10k_mb": 200.0,
    "idle_cpu_percent": 2.0,
    "adaptive_requests_ratio": 0.5,
    "adaptive_delay_ratio": 1.2,
    "import_10k_seconds_ratio": 1.5,
    "import_10k_requests": 25.0,
    "list_refresh_requests_ratio": 0.05,
    "list_refresh_delay_ratio": 1.2,
    "download_throughput_ratio": 0.9,
    "download_resume_waste_ratio": 1.05,
    "download_rss_mb": 80.0,
}
"""Every goal is an upper bound (lower is better) but those in ``AT_LEAST``."""
AT_LEAST = frozenset({"download_throughput_ratio"})
"""Goals that are lower bounds: higher is better (a throughput against curl's)."""

WHAT: dict[str, str] = {
    "poll_overhead_ratio": "poll 1,000 tasks once: fetcher+poller / bare httpx loop",
    "poll_scaling_ratio": "CPU per poll: 10,000 watched / 100 watched",
    "table_update_scaling_ratio": "200 single-task updates: 10,000 rows / 100 rows",
    "startup_ratio_10k": "launch to first full render: 10,000 tasks / empty",
    "table_update_scaling_ratio_marked": "the same, 500 of 10,000 marked, !status:failed active",
    "startup_ratio_10k_marked": "the same launch, 500 marked, !status:failed remembered",
    "save_ratio_10k": "atomic save of 10,000 tasks (rtoml) / tomli_w.dumps alone",
    "peak_rss_10k_mb": "peak RSS, 10,000 tasks loaded and rendered (MB)",
    "idle_cpu_percent": "CPU %, 1,000 finished tasks, nothing to poll",
    "adaptive_requests_ratio": "simulated day: requests, scheduler / fixed 5 s",
    "adaptive_delay_ratio": "simulated day: finish-to-known delay, scheduler / 5 s",
    "import_10k_seconds_ratio": "import 10,000 tasks from list pages / bare httpx loop",
    "import_10k_requests": "list requests sent by that import (pages of 500)",
    "list_refresh_requests_ratio": "simulated hour, 1,000 native tasks: requests, lists / per task",
    "list_refresh_delay_ratio": "simulated hour: finish-to-known delay, lists / per task",
    "download_throughput_ratio": "8 x 64 MiB on loopback: throughput, downloader / curl",
    "download_resume_waste_ratio": "killed mid-way, run again: bytes received / bytes missing",
    "download_rss_mb": "peak RSS of the downloader while downloading the 8 files (MB)",
}

GROUPS: dict[str, tuple[str, ...]] = {
    "core": (
        "poll_overhead_ratio",
        "poll_scaling_ratio",
        "save_ratio_10k",
        "adaptive_requests_ratio",
        "adaptive_delay_ratio",
    ),
    "dashboard": (
        "table_update_scaling_ratio",
        "table_update_scaling_ratio_marked",
        "startup_ratio_10k",
        "startup_ratio_10k_marked",
        "peak_rss_10k_mb",
        "idle_cpu_percent",
    ),
    "lists": ("list_refresh_requests_ratio", "list_refresh_delay_ratio"),
    "import": ("import_10k_seconds_ratio", "import_10k_requests"),
    "download": ("download_throughput_ratio", "download_resume_waste_ratio", "download_rss_mb"),
}
"""Which module measures which figures (``--only GROUP`` runs one module)."""


def machine() -> str:
    """One line naming the machine, so a figure in the README can be read in context."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def table(figures: dict[str, float], details: dict[str, Any], seconds: float, quick: bool) -> str:
    lines = [
        f"kling-tui benchmarks ({'quick' if quick else 'full'} run, {seconds:.0f} s)",
        f"machine: {machine()}",
        "",
        f"{'figure':<28} {'value':>9} {'goal':>8}  {'':<4}  what",
    ]
    for key, goal in GOALS.items():
        if key not in figures:
            continue
        value = figures[key]
        at_least = key in AT_LEAST
        verdict = "PASS" if (value >= goal if at_least else value <= goal) else "MISS"
        goal_text = (">= " if at_least else "<= ") + _fmt(goal)
        lines.append(f"{key:<28} {_fmt(value):>9} {goal_text:>8}  {verdict:<4}  {WHAT[key]}")
    lines.append("")
    lines.append("behind the figures:")
    for group, numbers in details.items():
        shown = ", ".join(
            f"{name}={_fmt(v) if isinstance(v, float) else v}" for name, v in numbers.items()
        )
        lines.append(f"  {group}: {shown}")
    return "\n".join(lines)


def measure_group(group: str, quick: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Measure one group in this process: its figures and its details."""

    def progress(what: str) -> None:
        print(f"[bench] {what}", file=sys.stderr, flush=True)

    details: dict[str, Any] = {}
    if group == "core":
        measured = core_bench.measure_core(quick, progress=progress)
        details.update(measured.pop("details"))
    elif group == "dashboard":
        measured = dashboard_bench.measure_dashboard(quick, progress=progress)
        details["dashboard"] = measured.pop("details")
    elif group == "lists":
        progress("list refresh: simulated hour of 1,000 native tasks")
        measured = list_bench.figures()
        details.update(measured.pop("details"))
    elif group == "import":
        measured = import_bench.measure_import(quick, progress=progress)
        details.update(measured.pop("details"))
    else:
        measured = download_bench.measure_download(quick, progress=progress)
        details.update(measured.pop("details"))
    return measured, details


def measure_in_child(group: str, quick: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Measure one group in a fresh interpreter, as a user's ``kling-tui`` command runs.

    Why: in one long process every group inherited the heap of the groups before it (the
    dashboard's 10,000 rows, about 750 MB by the import), and the import and download figures,
    which time this process against a bare loop or curl, paid for that garbage alone: the
    import's ratio was 2.89 in the full run and 1.77 alone. A child per group gives every
    figure the same fresh start. Progress still reaches standard error as it happens.
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--group-child", group]
    if quick:
        command.append("--quick")
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the {group} group failed (exit {done.returncode})")
    answer = json.loads(done.stdout)
    return answer["measured"], answer["details"]


def run(quick: bool, only: set[str] | None = None) -> tuple[dict[str, float], dict[str, Any]]:
    wanted = set(GROUPS) if not only else only
    measured: dict[str, Any] = {}
    details: dict[str, Any] = {}
    for group in GROUPS:
        if group in wanted:
            figures, extra = measure_in_child(group, quick)
            measured.update(figures)
            details.update(extra)
    keys = [k for group in GROUPS if group in wanted for k in GROUPS[group]]
    figures = {key: float(measured[key]) for key in GOALS if key in keys}
    return figures, details


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="under a minute: fewer rounds")
    parser.add_argument("--json", action="store_true", help="print one JSON object of figures")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(GROUPS),
        help="measure one group of figures (repeatable); default: all",
    )
    parser.add_argument("--group-child", choices=sorted(GROUPS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.group_child:  # one group, measured in this fresh process (see measure_in_child)
        measured, details = measure_group(args.group_child, args.quick)
        print(json.dumps({"measured": measured, "details": details}, default=str))
        return 0
    started = time.perf_counter()
    figures, details = run(args.quick, set(args.only or ()))
    if args.json:
        print(json.dumps(figures))
    else:
        print(table(figures, details, time.perf_counter() - started, args.quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
