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
from kling_tui.sim.simulator import Fault, Simulator
from kling_tui.store.watchlist import WatchList
from tests.support.cli import records as lines
from tests.support.cli import run
from tests.support.clock import FakeClock
from tests.support.sim import TOKEN, on_request

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
    # issue 12: image results, the parent video, the task's cost and Kling's own id
    "images",
    "parent_video",
    "final_unit_deduction",
    "kling_task_id",
    "model",
    # issue 13: when the result stops being served (the gateway's, or 30 days from the finish)
    "expires_at",
    # issue 13: the task's downloaded files and why its last download failed
    "local_files",
    "download_error",
}


def status_json(sim: Simulator, prefix: str, *args: str) -> tuple[int, str]:
    """``kling-tui status --json ARGS`` against the simulator's gateway under ``prefix``."""
    return run("status", "--base-url", sim.base_url, "--path-prefix", prefix, "--json", *args)


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
    ids = (done.task_id, failed.task_id, queued.task_id, running.task_id)
    code, out = status_json(sim, prefix, "--kind", kind, *ids)
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
    assert records[0]["expires_at"].startswith("20") and records[1]["expires_at"] is None
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
    code, out = status_json(sim, prefix, "--timeout", timeout, task.task_id)
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


def _advance_per_request(sim: Simulator, clock: FakeClock, seconds: float) -> None:
    """Server time moves ``seconds`` with each request: the tasks progress as the blocking
    command polls them, however slowly a busy machine runs it (no wall-time driver)."""
    on_request(sim, lambda _request: clock.advance(seconds))


@pytest.fixture
def fast_poll(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[poll]\ninterval = 1\nmax_interval = 1\n")  # the lowest allowed
    monkeypatch.setenv("KLING_TUI_CONFIG", str(config))


def test_wait_exits_0_when_all_succeed(
    env: Path, fast_poll: None, sim: Simulator, sim_clock: FakeClock
) -> None:
    a = sim.add_task(queue_seconds=1, run_seconds=2)
    b = sim.add_task("image2video", queue_seconds=1, run_seconds=3)
    run("add", "--base-url", sim.base_url, a.task_id)
    run("add", "--base-url", sim.base_url, "--kind", "image2video", b.task_id)
    _advance_per_request(sim, sim_clock, 0.5)
    code, out = run("wait", "--timeout", "10", "--json")
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
    _advance_per_request(sim, sim_clock, 0.5)
    code, _ = run("wait", "--timeout", "10", a.task_id, b.task_id)
    assert code == 1


def test_wait_exits_3_on_timeout(env: Path, fast_poll: None, sim: Simulator) -> None:
    a = sim.add_task(queue_seconds=1000)
    run("add", "--base-url", sim.base_url, a.task_id)
    started = time.monotonic()
    code, _ = run("wait", "--timeout", "0.5", a.task_id)
    assert code == 3
    assert time.monotonic() - started < 8  # the task queues for 1000 s


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


# -- issue 9: wait on finished tasks, timeouts, tokens, bad ids ------------------------------


def _finished(sim: Simulator, sim_clock: FakeClock, outcome: str = "succeed") -> str:
    """A task added and polled to its end by ``watch --once``: nothing left to wait for."""
    task = sim.add_task(outcome=outcome, queue_seconds=0, run_seconds=1)
    sim_clock.advance(5)
    assert run("add", "--base-url", sim.base_url, task.task_id)[0] == 0
    assert run("watch", "--once")[0] in (0, 1)
    return task.task_id


def _run_bounded(*argv: str, limit: float = 10.0) -> tuple[int, str, float]:
    """``run`` in a thread, so a hang fails the test instead of stalling the suite."""
    box: dict[str, object] = {}

    def target() -> None:
        box["result"] = run(*argv)

    started = time.monotonic()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"{argv} still running after {limit} s"
    code, out = box["result"]  # type: ignore[misc]
    return code, out, time.monotonic() - started


def test_wait_on_finished_tasks_returns_at_once(
    env: Path, sim: Simulator, sim_clock: FakeClock
) -> None:
    """It printed the row, then hung forever, ignoring --timeout."""
    ok = _finished(sim, sim_clock)
    sim.reset_log()
    code, out, took = _run_bounded("wait", "--timeout", "5", ok)
    assert code == 0 and ok in out
    assert took < 3
    assert sim.requests == [], "nothing to wait for: no query is sent"


def test_wait_on_a_finished_failed_task_exits_1(
    env: Path, sim: Simulator, sim_clock: FakeClock
) -> None:
    ok = _finished(sim, sim_clock)
    bad = _finished(sim, sim_clock, outcome="fail")
    code, _, took = _run_bounded("wait", "--timeout", "5", ok, bad)
    assert code == 1 and took < 3
    code, _, _ = _run_bounded("wait", "--timeout", "5", ok)
    assert code == 0


def test_readme_add_and_wait_rerun_returns(env: Path, sim: Simulator, sim_clock: FakeClock) -> None:
    """README: ``add ID && wait --timeout 900 ID && echo done``, run a second time."""
    ok = _finished(sim, sim_clock)
    code, out, _ = _run_bounded("add", "--base-url", sim.base_url, ok)
    assert code == 0 and "already watched" in out
    code, _, took = _run_bounded("wait", "--timeout", "900", ok)
    assert code == 0 and took < 3
    code, _, _ = _run_bounded("wait")  # no ids: every task, all finished
    assert code == 0


def test_wait_on_an_empty_watch_list_returns(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, took = _run_bounded("wait")
    assert code == 0 and took < 3
    assert "nothing to wait for" in capsys.readouterr().err


def test_wait_gives_up_on_a_task_that_is_not_found(
    env: Path, fast_poll: None, sim: Simulator
) -> None:
    run("add", "--base-url", sim.base_url, "777777777777777777")  # the gateway never heard of it
    code, _, took = _run_bounded("wait", "777777777777777777")  # no --timeout
    assert code == 1 and took < 5


def test_wait_on_an_unknown_gateway_is_a_configuration_error(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hand-edited gateway name failed every poll as a retryable error: wait never ended."""
    env.write_text(
        'version = 1\n[[tasks]]\nid = "866889456698785798"\nkind = "text2video"\n'
        'gateway = "gone"\nadded_at = "2026-01-01T00:00:00+00:00"\n'
    )
    code, _, _ = _run_bounded("wait", "--base-url", "http://127.0.0.1:9")
    assert code == 2
    assert "gone" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["status", "wait"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf", "1e9", "soon"])
def test_non_positive_or_absurd_timeouts_are_usage_errors(
    env: Path, command: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, f"--timeout={value}", "866889456698785798"])
    assert exc.value.code == 2
    assert "greater than 0" in capsys.readouterr().err


def test_timeout_bounds_are_accepted(env: Path, sim: Simulator) -> None:
    task = sim.add_task()
    assert run("status", "--base-url", sim.base_url, "--timeout", "600", task.task_id)[0] == 0
    run("add", "--base-url", sim.base_url, task.task_id)
    assert _run_bounded("wait", "--timeout", "0.2", task.task_id)[0] == 3


@pytest.mark.parametrize("command", ["status", "wait", "watch"])
def test_missing_token_is_a_configuration_error(
    env: Path,
    sim: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    """It exited 1 (a failed query) where the README says 2 for configuration errors."""
    task = sim.add_task()
    run("add", "--base-url", sim.base_url, task.task_id)
    monkeypatch.delenv("KLING_API_KEY")
    sim.reset_log()
    argv = {
        "status": ["status", "--base-url", sim.base_url, task.task_id],
        "wait": ["wait", "--timeout", "5", task.task_id],
        "watch": ["watch", "--once"],
    }[command]
    code, _, _ = _run_bounded(*argv)
    assert code == 2
    err = capsys.readouterr().err
    assert "no token" in err and "KLING_API_KEY" in err
    assert sim.requests == []


def test_add_with_one_bad_id_among_many_says_nothing_was_added(
    env: Path, sim: Simulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = ["111111111111111111", "222222222222222222", "bad/id", "333333333333333333"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join([*ids, "444444444444444444"])))
    code, out = run("add", "--base-url", sim.base_url, "-")
    assert code == 2 and out == ""
    err = capsys.readouterr().err
    assert "nothing was added: 1 of 5 ids is invalid" in err and "bad/id" in err
    assert WatchList(env).load() == []


def test_no_config_error_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It named a gateway 'default' the user never typed, and no way forward."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.delenv("KLING_TUI_CONFIG", raising=False)
    monkeypatch.delenv("KLING_TUI_BASE_URL", raising=False)
    monkeypatch.delenv("KLING_TUI_GATEWAY", raising=False)
    monkeypatch.setenv("KLING_TUI_WATCHLIST", str(tmp_path / "w.toml"))
    code, _ = run("status", "866889456698785798")
    assert code == 2
    err = capsys.readouterr().err
    assert "'default'" not in err
    assert str(tmp_path / "cfg" / "kling-tui" / "config.toml") in err
    assert "--base-url URL" in err and "KLING_API_KEY" in err and "kling-tui --demo" in err


def test_wait_gives_up_on_a_task_removed_meanwhile(
    env: Path, fast_poll: None, sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rm` in another terminal while `wait` (no --timeout) runs: it waited forever."""
    task = sim.add_task(queue_seconds=10_000)
    run("add", "--base-url", sim.base_url, task.task_id)
    sim.reset_log()
    polled = threading.Event()
    on_request(sim, lambda _request: polled.set())
    box: dict[str, tuple[int, str]] = {}
    waiter = threading.Thread(target=lambda: box.setdefault("r", run("wait", task.task_id)))
    waiter.daemon = True
    waiter.start()
    polled.wait(10)  # wait is polling by now (a bound for failure, not a fixed wait)
    assert sim.requests, "wait never polled"
    WatchList(env).remove_ids([task.task_id])  # as `kling-tui rm` in another process does
    waiter.join(10)
    assert not waiter.is_alive(), "wait did not notice the removal"
    assert box["r"][0] == 1
    assert "removed from the watch list" in capsys.readouterr().err
