"""``--demo`` deletes its temporary watch list however it ends: quit, a closed terminal
(SIGHUP) or a kill (SIGTERM)."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_a_signal_ends_the_demo_and_deletes_its_files(tmp_path: Path, sig: int) -> None:
    primary, secondary = pty.openpty()
    env = {
        **os.environ,
        "TMPDIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "TERM": "xterm-256color",
        "COLUMNS": "100",
        "LINES": "30",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "kling_tui", "--demo"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        start_new_session=True,
    )
    os.close(secondary)
    os.set_blocking(primary, False)  # a read never hangs the test: no output is OSError
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob("kling-tui-demo-*/watchlist.toml")):
            assert proc.poll() is None, "the demo ended before it started"
            assert time.monotonic() < deadline, "the demo did not start in 60 s"
            try:
                os.read(primary, 65536)  # keep the terminal drained
            except OSError:
                time.sleep(0.05)
        proc.send_signal(sig)
        end = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < end:
            try:
                os.read(primary, 65536)
            except OSError:
                time.sleep(0.05)
        assert proc.poll() is not None, "the demo did not end on the signal"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(primary)
    assert not list(tmp_path.glob("kling-tui-demo-*")), "the temporary watch list was left"
