"""kill -9 in the middle of ``kling-tui download``, again and again: every file ends byte
for byte what the server holds, and no file is ever under its final name while incomplete.

A child process runs the real command against the simulator (slow bytes, so a kill lands
mid-transfer); it is killed with SIGKILL at a random moment, the folder is checked, and
the same command runs again. A round ends when a run finishes by itself; rounds repeat
with a fresh folder and watch list until at least :data:`KILLS` kills were made.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kling_tui.cli import main
from kling_tui.sim.files import FileFault
from kling_tui.sim.simulator import Simulator
from kling_tui.store.watchlist import WatchList
from tests.support.clock import FakeClock
from tests.support.sim import TOKEN

KILLS = 20
ROOT = Path(__file__).resolve().parents[2]


def _expected(sim: Simulator, ids: list[str]) -> dict[str, bytes]:
    return {i: sim.files.content(f"{i}.mp4") for i in ids}


def _check_folder(folder: Path, expected: dict[str, bytes], *, complete: bool) -> None:
    """Final names hold the whole file; with ``complete`` every task has one."""
    finals = (
        [p for p in folder.iterdir() if not p.name.endswith(".part")] if folder.exists() else []
    )
    found = set()
    for path in finals:
        (task_id,) = [i for i in expected if i in path.name]
        assert path.read_bytes() == expected[task_id], f"{path.name} is not the whole file"
        found.add(task_id)
    if complete:
        assert found == set(expected)


def _startup_seconds(env: dict[str, str]) -> float:
    """The slowest of three interpreters importing the download command: what a child
    needs before its first request, as loaded as the machine is now."""
    times = []
    for _ in range(3):
        begun = time.monotonic()
        subprocess.run(
            [sys.executable, "-c", "import kling_tui.cli.download"], env=env, capture_output=True
        )
        times.append(time.monotonic() - begun)
    return max(times)


def test_kill_9_at_random_points_then_resume(
    sim: Simulator, sim_clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim.files.size = 600_000
    tasks = [sim.add_task("text2video", queue_seconds=0, run_seconds=1) for _ in range(3)]
    sim_clock.advance(5)
    ids = [t.task_id for t in tasks]
    monkeypatch.setenv("KLING_API_KEY", TOKEN)
    template = tmp_path / "template.toml"
    monkeypatch.setenv("KLING_TUI_WATCHLIST", str(template))
    assert main(["add", "--base-url", sim.base_url, *ids], out=io.StringIO()) == 0
    assert main(["watch", "--once"], out=io.StringIO()) == 0
    sim.files.inject(FileFault.SLOW, count=-1)  # 800 KB/s per file: a kill lands mid-way
    expected = _expected(sim, ids)
    rng = random.Random(1313)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # A child's own start-up (interpreter and imports) before it sends a byte: measured
    # now, on this machine as loaded as it is, so a kill lands in the transfer and not in
    # the imports (on a busy CI machine the start-up alone outlasted every fixed timeout).
    startup = _startup_seconds(env)
    kills = rounds = mid_file = 0
    while kills < KILLS:
        rounds += 1
        watchlist, folder = tmp_path / f"w{rounds}.toml", tmp_path / f"out{rounds}"
        shutil.copy(template, watchlist)
        env["KLING_TUI_WATCHLIST"] = str(watchlist)
        command = [sys.executable, "-m", "kling_tui", "download", "--json"]
        command += ["--dir", str(folder), "--all-finished"]
        for attempt in range(41):
            child = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            # the 41st run is let finish: the point is that a resume after kills completes
            last = attempt == 40
            try:
                child.wait(timeout=120 if last else startup + rng.uniform(0.05, 0.6))
                out, _ = child.communicate()
                summary = json.loads(out.splitlines()[-1])
                assert child.returncode == 0 and summary["failed"] == 0, out
                break
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
                child.communicate()
                assert not last, "a download run did not finish in 120 s"
                kills += 1
                _check_folder(folder, expected, complete=False)
                parts = list(folder.glob("*.part")) if folder.exists() else []
                mid_file += any(p.stat().st_size > 0 for p in parts)
                WatchList(watchlist).load()  # never left broken
        _check_folder(folder, expected, complete=True)
        entries = WatchList(watchlist).load()
        assert all(len(e.local_files) == 1 for e in entries)
        assert [p for p in folder.iterdir() if p.name.endswith(".part")] == []
    assert mid_file >= KILLS // 2  # most kills did land in the middle of a file
