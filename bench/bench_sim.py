"""The benchmark simulator in a child process, and what the poll benchmarks ask it for.

The simulator runs in a *separate process* (a benchmark script with ``--serve N``, this one
by default): in the same process its threads would share our interpreter lock and our CPU
clock, and the figures would measure the server as much as the client.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

TOKEN = "bench-token"
PREFIX = "/kling/v1"
KIND = "text2video"
CONCURRENCY = 8
"""The fetcher's default per-gateway cap; the bare loop gets the same."""
FIRST_ID = 820_000_000_000_000_000


def task_ids(n: int) -> list[str]:
    """The ids the benchmark simulator serves: 18-digit strings like Kling's."""
    return [str(FIRST_ID + i) for i in range(n)]


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


if __name__ == "__main__":  # ``--serve N``: the child process ``simulator_process`` starts
    if len(sys.argv) != 3 or sys.argv[1] != "--serve":
        raise SystemExit("usage: python bench/bench_sim.py --serve N")
    serve(int(sys.argv[2]))
