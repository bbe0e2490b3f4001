"""``kling-tui download`` end to end against the simulator: files, JSON lines, exit codes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kling_tui.cli import main
from kling_tui.sim.files import FileFault
from kling_tui.sim.simulator import Simulator
from kling_tui.store.watchlist import WatchList
from tests.support.cli import records, run
from tests.support.clock import FakeClock


def _add(sim: Simulator, *ids: str, label: str = "x") -> None:
    code, _ = run("add", "--base-url", sim.base_url, "--label", label, *ids)
    assert code == 0


def test_download_json_lines_then_ls_shows_local_files(
    env: Path, sim: Simulator, sim_clock: FakeClock, tmp_path: Path
) -> None:
    sim.files.size = 300_000
    task = sim.add_task("text2video", queue_seconds=0, run_seconds=1, images=0)
    _add(sim, task.task_id, label="../../etc/passwd\x1b[2J")
    sim_clock.advance(5)  # the watch list knows it unfinished: download asks once first
    folder = tmp_path / "videos"
    code, out = run("download", "--dir", str(folder), "--json", task.task_id)
    assert code == 0
    lines = records(out)
    assert {r["event"] for r in lines} == {"progress", "result", "summary"}
    (result,) = [r for r in lines if r["event"] == "result"]
    assert result["state"] == "done" and result["size"] == 300_000
    path = Path(result["path"])
    assert path.parent == folder and "/" not in path.name and "\x1b" not in path.name
    assert path.read_bytes() == sim.files.content(f"{task.task_id}.mp4", 300_000)
    assert lines[-1] == {"event": "summary", "done": 1, "skipped": 0, "failed": 0, "errors": 0}
    code, out = run("ls", "--json")
    (row,) = records(out)
    assert row["local_files"][0]["path"] == str(path)
    assert row["local_files"][0]["sha256"] == result["sha256"]
    assert row["download_error"] is None
    code, out = run("download", "--dir", str(folder), "--json", "--all-finished")
    assert code == 0 and records(out)[-1]["skipped"] == 1


def test_download_failure_exits_1_and_records_expiry(
    env: Path, sim: Simulator, sim_clock: FakeClock, tmp_path: Path
) -> None:
    task = sim.add_task("text2video", queue_seconds=0, run_seconds=1)
    sim_clock.advance(5)
    _add(sim, task.task_id)
    assert run("watch", "--once")[0] == 0
    sim.files.expire(task.task_id, renew=False)
    code, out = run("download", "--dir", str(tmp_path / "v"), task.task_id, "nope-123")
    assert code == 1
    lines = records(out)  # not a terminal: JSON lines without --json
    assert any(r["event"] == "error" and r["task_id"] == "nope-123" for r in lines)
    (entry,) = WatchList(env).load()
    assert entry.download_error is not None and entry.download_error.startswith("expired on ")
    code, out = run("ls", "--json")
    assert records(out)[0]["download_error"] == entry.download_error


def test_download_terminal_bars(
    env: Path, sim: Simulator, sim_clock: FakeClock, tmp_path: Path
) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    task = sim.add_task("text2video", queue_seconds=0, run_seconds=1)
    sim_clock.advance(5)
    _add(sim, task.task_id)
    assert run("watch", "--once")[0] == 0
    sim.files.inject(FileFault.SLOW, task_id=task.task_id)
    sim.files.size = 200_000
    out = Tty()
    code = main(["download", "--dir", str(tmp_path / "v"), task.task_id], out=out)
    text = out.getvalue()
    assert code == 0
    assert "total" in text and "ETA" in text and "/s" in text and "1/1 files" in text
    assert "done" in text and "1 downloaded, 0 already on disk, 0 failed" in text


def test_download_usage_errors(env: Path, sim: Simulator) -> None:
    assert run("download")[0] == 2
    assert run("download", "--name", "{nope}.{ext}", "--all-finished")[0] == 2
    assert run("download", "--name", "{label}", "--all-finished")[0] == 2  # no {ext}
    with pytest.raises(SystemExit):
        run("download", "--jobs", "0", "--all-finished")


def test_status_json_of_a_watched_task_has_its_local_files(
    env: Path, sim: Simulator, sim_clock: FakeClock, tmp_path: Path
) -> None:
    sim.files.size = 100_000
    task = sim.add_task("text2video", queue_seconds=0, run_seconds=1)
    sim_clock.advance(5)
    _add(sim, task.task_id)
    assert run("download", "--dir", str(tmp_path / "v"), task.task_id)[0] == 0
    code, out = run("status", "--json", task.task_id)
    (row,) = records(out)
    assert code == 0 and row["local_files"][0]["size"] == 100_000
    code, out = run("status", "--json", "--base-url", sim.base_url, "999999999999999999")
    assert records(out)[0]["local_files"] == []
