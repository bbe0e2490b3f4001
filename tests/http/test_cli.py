"""The headless commands against the real simulator, through ``kling_tui.cli.main``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kling_tui.cli import main
from kling_tui.simulator import Fault, Simulator
from kling_tui.watchlist import WatchList

from .conftest import TOKEN, FakeClock

JSON_KEYS = {
    "task_id",
    "kind",
    "status",
    "status_raw",
    "progress",
    "videos",
    "message",
    "external_task_id",
    "created_at",
    "updated_at",
    "error",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sim: Simulator) -> Path:
    monkeypatch.setenv("KLING_API_KEY", TOKEN)
    watchlist = tmp_path / "watch.toml"
    monkeypatch.setenv("KLING_TUI_WATCHLIST", str(watchlist))
    return watchlist


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def lines(text: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("kind", ["text2video", "image2video", "multi-image2video"])
@pytest.mark.parametrize("prefix", ["/kling/v1", "/v1"])
def test_status_json_every_kind_and_shape(
    env: Path, sim: Simulator, sim_clock: FakeClock, kind: str, prefix: str
) -> None:
    done = sim.add_task(kind, outcome="succeed", queue_seconds=0, run_seconds=1, duration=5.1)
    failed = sim.add_task(kind, outcome="fail", queue_seconds=0, run_seconds=1)
    queued = sim.add_task(kind, queue_seconds=50)
    running = sim.add_task(kind, queue_seconds=0, run_seconds=100)
    sim_clock.advance(10)
    code, out = run(
        "status",
        "--base-url",
        sim.base_url,
        "--path-prefix",
        prefix,
        "--kind",
        kind,
        "--json",
        done.task_id,
        failed.task_id,
        queued.task_id,
        running.task_id,
    )
    assert code == 0, out
    records = lines(out)
    assert [r["task_id"] for r in records] == [
        done.task_id,
        failed.task_id,
        queued.task_id,
        running.task_id,
    ]
    assert all(set(r) == JSON_KEYS for r in records)
    assert [r["status"] for r in records] == ["succeeded", "failed", "submitted", "in_progress"]
    assert all(r["kind"] == kind and r["error"] is None for r in records)
    assert records[0]["videos"][0]["url"].startswith("http")
    assert records[0]["videos"][0]["duration"] == pytest.approx(5.1)
    assert records[1]["message"]
    assert records[0]["created_at"] is None or records[0]["created_at"].startswith("20")


@pytest.mark.parametrize(
    ("fault", "error_type"),
    [
        (Fault.UNAUTHORIZED, "auth"),
        (Fault.NOT_FOUND, "not_found"),
        (Fault.RATE_LIMITED, "rate_limited"),
        (Fault.ACCOUNT, "account"),
        (Fault.HTML_502, "server"),
        (Fault.HTML_200, "bad_response"),
        (Fault.SERVER_500, "server"),
        (Fault.INVALID_JSON, "bad_response"),
        (Fault.EMPTY, "bad_response"),
        (Fault.SLOW, "timeout"),
        (Fault.DRIP, "timeout"),
        (Fault.DROP, "network"),
        (Fault.GZIP_BOMB, "bad_response"),
        (Fault.HUGE, "bad_response"),
    ],
)
def test_status_json_every_fault(env: Path, sim: Simulator, fault: Fault, error_type: str) -> None:
    task = sim.add_task()
    sim.inject(fault, count=-1)
    prefix = "/v1" if fault is Fault.ACCOUNT else "/kling/v1"
    # A short bound only where the timeout is what is tested: elsewhere a busy machine's
    # 0.4 s stall turned the expected answer into "timeout" (html502 failed so in a proof).
    timeout = "0.4" if error_type == "timeout" else "2"
    code, out = run(
        "status",
        "--base-url",
        sim.base_url,
        "--path-prefix",
        prefix,
        "--timeout",
        timeout,
        "--json",
        task.task_id,
    )
    assert code == 1
    (record,) = lines(out)
    assert set(record) == JSON_KEYS
    assert record["task_id"] == task.task_id
    assert record["error"]["type"] == error_type, record
    assert record["error"]["message"]
    assert TOKEN not in out


def test_status_table_and_invalid_id(env: Path, sim: Simulator) -> None:
    task = sim.add_task()
    code, out = run("status", "--base-url", sim.base_url, task.task_id, "../x")
    assert code == 1
    assert "ID" in out.splitlines()[0]
    assert task.task_id in out and "invalid_id" in out


def test_status_usage_errors_exit_2(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["status"])
    assert exc.value.code == 2
    code, _ = run("status", "--gateway", "nope", "866889456698785798")
    assert code == 2
    assert "nope" in capsys.readouterr().err


def test_add_ls_rm_round_trip(env: Path, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        sys, "stdin", io.StringIO("111111111111111111, 222222222222222222\n333333333333333333")
    )
    code, out = run("add", "--base-url", sim.base_url, "--label", "batch", "-")
    assert code == 0 and out.count("added") == 3
    code, out = run("add", "--base-url", sim.base_url, "111111111111111111")
    assert code == 0 and "already watched" in out
    code, _ = run("add", "--base-url", sim.base_url, "bad/id")
    assert code == 2
    entries = WatchList(env).load()
    assert [e.task_id for e in entries] == [
        "111111111111111111",
        "222222222222222222",
        "333333333333333333",
    ]
    assert all(e.base_url == sim.base_url and e.label == "batch" for e in entries)
    assert TOKEN not in env.read_text()
    code, out = run("ls", "--json")
    assert code == 0 and len(lines(out)) == 3
    code, out = run("rm", "222222222222222222")
    assert code == 0 and "removed" in out
    code, _ = run("rm", "999999999999999999")
    assert code == 1
    assert [e.task_id for e in WatchList(env).load()] == [
        "111111111111111111",
        "333333333333333333",
    ]


def test_watch_once_polls_saves_and_prints(env: Path, sim: Simulator, sim_clock: FakeClock) -> None:
    done = sim.add_task(queue_seconds=0, run_seconds=1)
    queued = sim.add_task(queue_seconds=100)
    sim_clock.advance(5)
    assert run("add", "--base-url", sim.base_url, done.task_id, queued.task_id)[0] == 0
    code, out = run("watch", "--once", "--json")
    assert code == 0
    statuses = {r["task_id"]: r["status"] for r in lines(out)}
    assert statuses == {done.task_id: "succeeded", queued.task_id: "submitted"}
    saved = {e.task_id: e.status for e in WatchList(env).load()}
    assert saved[done.task_id] is not None and saved[done.task_id].value == "succeeded"
    sim.reset_log()
    code, out = run("watch", "--once", "--json")
    assert [r["task_id"] for r in lines(out)] == [queued.task_id]  # finished ones are left alone


def _advance_in_background(clock: FakeClock, seconds: float, steps: int) -> threading.Thread:
    def drive() -> None:
        for _ in range(steps):
            time.sleep(0.05)
            clock.advance(seconds / steps)

    thread = threading.Thread(target=drive, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def fast_poll(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[poll]\ninterval = 0.05\nmax_interval = 0.2\n")
    monkeypatch.setenv("KLING_TUI_CONFIG", str(config))


def test_wait_exits_0_when_all_succeed(
    env: Path, fast_poll: None, sim: Simulator, sim_clock: FakeClock
) -> None:
    a = sim.add_task(queue_seconds=1, run_seconds=2)
    b = sim.add_task("image2video", queue_seconds=1, run_seconds=3)
    run("add", "--base-url", sim.base_url, a.task_id)
    run("add", "--base-url", sim.base_url, "--kind", "image2video", b.task_id)
    driver = _advance_in_background(sim_clock, 6, 30)
    code, out = run("wait", "--timeout", "10", "--json")
    driver.join()
    assert code == 0, out
    records = lines(out)
    final = {r["task_id"]: r["status"] for r in records}
    assert final == {a.task_id: "succeeded", b.task_id: "succeeded"}
    assert len(records) > 2, "changes are printed as they happen"


def test_wait_exits_1_when_one_fails(
    env: Path, fast_poll: None, sim: Simulator, sim_clock: FakeClock
) -> None:
    a = sim.add_task(queue_seconds=0, run_seconds=1)
    b = sim.add_task(outcome="fail", queue_seconds=0, run_seconds=1)
    run("add", "--base-url", sim.base_url, a.task_id, b.task_id)
    driver = _advance_in_background(sim_clock, 3, 10)
    code, _ = run("wait", "--timeout", "10", a.task_id, b.task_id)
    driver.join()
    assert code == 1


def test_wait_exits_3_on_timeout(env: Path, fast_poll: None, sim: Simulator) -> None:
    a = sim.add_task(queue_seconds=1000)
    run("add", "--base-url", sim.base_url, a.task_id)
    started = time.monotonic()
    code, _ = run("wait", "--timeout", "0.5", a.task_id)
    assert code == 3
    assert time.monotonic() - started < 3


def test_wait_unknown_id_is_usage_error(env: Path, fast_poll: None) -> None:
    code, _ = run("wait", "--timeout", "1", "555555555555555555")
    assert code == 2


def test_broken_watchlist_is_reported_and_untouched(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env.write_text('version = 1\n[[tasks]]\nid = "1"\nkind = \n')
    before = env.read_bytes()
    code, _ = run("add", "--base-url", "http://127.0.0.1:9", "866889456698785798")
    assert code == 2
    err = capsys.readouterr().err
    assert str(env) in err and "line 4" in err
    assert env.read_bytes() == before


def test_console_script_runs(env: Path, sim: Simulator) -> None:
    task = sim.add_task()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kling_tui",
            "status",
            "--base-url",
            sim.base_url,
            "--json",
            task.task_id,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "submitted"
