"""The benchmark command must keep working: ``bench/run.py --quick --json`` prints every figure.

The figures themselves are not asserted against their goals (a busy CI machine must not
turn the suite red); only that each one was measured and is a sane number.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "poll_overhead_ratio",
    "poll_scaling_ratio",
    "table_update_scaling_ratio",
    "startup_ratio_10k",
    # issue 14: the same two with 500 of 10,000 rows marked and a negated filter active
    "table_update_scaling_ratio_marked",
    "startup_ratio_10k_marked",
    "save_ratio_10k",
    "peak_rss_10k_mb",
    "idle_cpu_percent",
    "adaptive_requests_ratio",
    "adaptive_delay_ratio",
    "import_10k_seconds_ratio",
    "import_10k_requests",
    "list_refresh_requests_ratio",
    "list_refresh_delay_ratio",
    # issue 13: the downloader against curl, its resume waste and its memory
    "download_throughput_ratio",
    "download_resume_waste_ratio",
    "download_rss_mb",
}


pytestmark = pytest.mark.bench  # ~70 s: runs last; `-m "not bench"` skips it


def test_quick_json_prints_exactly_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout  # one JSON object, nothing else on stdout
    figures = json.loads(lines[0])
    assert set(figures) == KEYS
    for key, value in figures.items():
        assert isinstance(value, float), (key, value)
        assert math.isfinite(value) and value >= 0, (key, value)
        if key.endswith("_ratio") or key.endswith("_10k"):
            assert value > 0, (key, value)
    # Plausibility, far from the goals: a broken measurement shows up as nonsense.
    assert figures["peak_rss_10k_mb"] > 20
    assert figures["idle_cpu_percent"] < 100
    assert 0 < figures["adaptive_requests_ratio"] < 1.5
    assert 0 < figures["list_refresh_requests_ratio"] < 1.0
    assert 0 < figures["list_refresh_delay_ratio"] < 5.0
    assert 20 <= figures["import_10k_requests"] <= 30  # 10,000 tasks in pages of 500
    assert 0.9 <= figures["download_resume_waste_ratio"] < 3  # resumed, not restarted
    assert 20 < figures["download_rss_mb"] < 500


def test_only_import_measures_the_import_figures_alone() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--json", "--only", "import"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout)
    assert set(figures) == {"import_10k_seconds_ratio", "import_10k_requests"}
    assert figures["import_10k_seconds_ratio"] > 0
