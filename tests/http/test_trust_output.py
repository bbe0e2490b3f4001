"""Issue 10, server text on every output: no raw control, bidi, zero-width or tag character,
and no secret, reaches stdout, stderr, ``--json`` or the watch list file."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kling_tui.sim.simulator import Fault, Simulator
from tests.support.cli import run
from tests.support.sim import TOKEN

# Independent of kling_tui.gateway.sanitize on purpose: what a terminal must never receive raw.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x9f"  # C0 but \t \n, DEL, C1
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi controls
    "\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff"  # zero-width / invisible
    "\U000e0000-\U000e007f"  # tag characters
    "\u2028\u2029]"
)


def assert_clean(text: str, where: str) -> None:
    bad = FORBIDDEN.search(text)
    assert bad is None, f"raw U+{ord(bad.group()):04X} in {where}: {text[:300]!r}"


# -- item 5: a redirect's Location, and zero-width / tag characters in server text ----------


@pytest.mark.parametrize("as_json", [False, True])
def test_redirect_location_with_c1_bidi_and_zero_width_is_escaped(
    env: Path, sim: Simulator, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    task = sim.add_task()
    sim.inject(Fault.REDIRECT_C1, count=-1)
    argv = ["status", "--base-url", sim.base_url, *(["--json"] if as_json else []), task.task_id]
    code, out = run(*argv)
    assert code == 1
    assert "redirected (302)" in out
    assert "\\x9b2J" in out  # visible, not gone: the operator sees the server sent it
    assert_clean(out, "stdout")
    assert_clean(capsys.readouterr().err, "stderr")


def test_zero_width_and_tag_characters_from_a_server_are_escaped(env: Path, sim: Simulator) -> None:
    task = sim.add_task()
    sim.inject(Fault.HOSTILE, count=-1)
    for extra in ([], ["--json"]):
        code, out = run("status", "--base-url", sim.base_url, *extra, task.task_id)
        assert code == 0
        assert "\\u200b" in out and "\\U000e0041" in out
        assert_clean(out, f"status {extra}")


def test_hostile_answer_is_clean_in_the_watch_list_file(env: Path, sim: Simulator) -> None:
    task = sim.add_task()
    assert run("add", "--base-url", sim.base_url, task.task_id)[0] == 0
    sim.inject(Fault.HOSTILE, count=-1)
    assert run("watch", "--once", "--base-url", sim.base_url)[0] == 0
    assert_clean(env.read_text(encoding="utf-8"), "watch list file")
    code, out = run("ls", "--json")
    assert code == 0 and "\\u202e" in out
    assert_clean(out, "ls --json")


# -- item 6: ids from argv and stdin ---------------------------------------------------------

BAD_IDS = ["\x1b]52;c;cHduZWQ=\x07", "a\x9bb", "x\u202ey", "z\u200bw"]


def test_status_prints_invalid_ids_escaped(
    env: Path, sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run("status", "--base-url", sim.base_url, *BAD_IDS)
    assert code == 1
    assert out.count("error:invalid_id") == len(BAD_IDS)
    assert "\\x1b]52" in out
    assert_clean(out, "status table")
    code, out = run("status", "--json", "--base-url", sim.base_url, *BAD_IDS)
    assert code == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["error"]["type"] for r in records] == ["invalid_id"] * len(BAD_IDS)
    assert_clean(out, "status --json")
    assert_clean(capsys.readouterr().err, "stderr")


def test_rm_prints_unknown_ids_escaped(
    env: Path, sim: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = run("rm", *BAD_IDS)
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("not in the watch list") == len(BAD_IDS)
    assert_clean(out + err, "rm")
    monkeypatch.setattr("sys.stdin", io.StringIO("\x9bq\x07 \x1b[2J"))
    code, out = run("rm", "-")
    assert code == 1
    assert_clean(out + capsys.readouterr().err, "rm -")


@pytest.mark.parametrize("command", ["status", "rm"])
@pytest.mark.parametrize("given", ["", " ", ","])
def test_an_empty_id_is_a_usage_error(
    env: Path, sim: Simulator, capsys: pytest.CaptureFixture[str], command: str, given: str
) -> None:
    code, _ = run(command, "--base-url", sim.base_url, given)
    assert code == 2
    assert "no task id given" in capsys.readouterr().err
    assert sim.request_count == 0


# -- item 8: a server that quotes the Authorization header back ----------------------------


def _two_gateway_config(tmp_path: Path, base_url: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'default_gateway = "relay"\n'
        f'[gateways.relay]\nbase_url = "{base_url}"\ntoken_env = "KLING_API_KEY"\n'
        f"max_retries = 0\n"
        f'[gateways.kling]\nbase_url = "{base_url}"\naccess_key_env = "KLING_ACCESS_KEY"\n'
        f'secret_key_env = "KLING_SECRET_KEY"\nmax_retries = 0\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    return config


@pytest.fixture
def two_gateways(
    env: Path, sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    from tests.support.sim import ACCESS_KEY, SECRET_KEY

    monkeypatch.setenv("KLING_TUI_CONFIG", str(_two_gateway_config(tmp_path, sim.base_url)))
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET_KEY)
    return env


def _secrets(sim: Simulator) -> list[str]:
    from tests.support.sim import ACCESS_KEY, SECRET_KEY

    assert any(b.count(".") == 2 for b in sim.bearers), "no JWT was sent"
    return [TOKEN, ACCESS_KEY, SECRET_KEY, *sim.bearers]


@pytest.mark.parametrize("fault", [Fault.REFLECT_401, Fault.REFLECT_429, Fault.REFLECT_500])
def test_a_reflected_token_reaches_no_output_and_not_the_watch_list(
    two_gateways: Path, sim: Simulator, capsys: pytest.CaptureFixture[str], fault: Fault
) -> None:
    relay_task, native_task = sim.add_task(), sim.add_task()
    assert run("add", "--gateway", "relay", relay_task.task_id)[0] == 0
    assert run("add", "--gateway", "kling", native_task.task_id)[0] == 0
    sim.inject(fault, count=-1)
    outputs: list[str] = []
    for gateway, task in (("relay", relay_task), ("kling", native_task)):
        for extra in ([], ["--json"]):
            code, out = run("status", "--gateway", gateway, *extra, task.task_id)
            assert code == 1
            outputs.append(out)
    for argv in (["watch", "--once"], ["watch", "--once", "--json"], ["ls"], ["ls", "--json"]):
        outputs.append(run(*argv)[1])
    if fault is Fault.REFLECT_401:  # wait gives up on auth errors; the others would retry
        code, out = run("wait", "--json")
        assert code == 1
        outputs.append(out)
    outputs.append(capsys.readouterr().err)
    outputs.append(two_gateways.read_text(encoding="utf-8"))
    everything = "\n".join(outputs)
    assert "***" in everything  # the server did quote it; we redacted it
    for secret in _secrets(sim):
        assert secret not in everything
    assert_clean(everything, "outputs")


# -- item 11: a failed save is one clean line, never a traceback ----------------------------


# The CLI in a child process, as a user runs it (pytest's own log handlers would hide what
# Python's last-resort handler prints), with every watch list write failing as on a full or
# read-only disk (tests run as root here, which ignores mode 0500).
_FULL_DISK_CLI = """
import errno, sys
from kling_tui.store.watchlist import WatchList
def full(self, data):
    raise OSError(errno.ENOSPC, "No space left on device")
WatchList._atomic_write = full
from kling_tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("as_json", [False, True])
def test_watch_once_on_a_full_disk_prints_one_clean_line(
    env: Path, sim: Simulator, as_json: bool
) -> None:
    task = sim.add_task()
    assert run("add", "--base-url", sim.base_url, task.task_id)[0] == 0
    before = env.read_bytes()
    argv = ["watch", "--once", *(["--json"] if as_json else [])]
    child = subprocess.run(
        [sys.executable, "-c", _FULL_DISK_CLI, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert child.returncode != 0
    assert "Traceback" not in child.stderr
    lines = child.stderr.splitlines()
    assert len(lines) == 1, child.stderr
    assert lines[0].startswith("kling-tui: ") and "No space left on device" in lines[0]
    assert env.read_bytes() == before


def test_wait_on_a_full_disk_says_so_in_one_clean_line(env: Path, sim: Simulator) -> None:
    task = sim.add_task(queue_seconds=0, run_seconds=0)
    assert run("add", "--base-url", sim.base_url, task.task_id)[0] == 0
    child = subprocess.run(
        [sys.executable, "-c", _FULL_DISK_CLI, "wait", "--timeout", "30"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert child.returncode == 0, child.stderr  # the task did succeed
    assert "Traceback" not in child.stderr
    assert child.stderr.splitlines() == [
        "kling-tui: could not save the watch list: "
        f"watch list {env}: could not save (No space left on device); "
        "the file on disk is unchanged"
    ]


async def test_the_dashboard_still_hears_of_a_failed_save(
    tmp_path: Path,
    sim: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from kling_tui.polling.poller import Notice
    from tests.support.polling import make, run_until, watch
    from tests.support.sim import gateways_for

    task = sim.add_task(queue_seconds=0, run_seconds=0)
    poller, _store, events = make(tmp_path, gateways_for(sim.base_url), [watch(task.task_id)])
    monkeypatch.setattr("kling_tui.store.watchlist.WatchList._atomic_write", _enospc)
    caplog.set_level("DEBUG")

    def told() -> bool:
        return any(isinstance(e, Notice) and "could not save" in e.message for e in events)

    await run_until(poller, told, timeout=5)
    notice = next(e for e in events if isinstance(e, Notice))
    assert notice.severity == "error" and "No space left on device" in notice.message
    assert not [r for r in caplog.records if r.levelno >= 30], "nothing for stderr"


def _enospc(self: object, data: bytes) -> None:
    """A watch list write on a full (or read-only) disk."""
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")


async def test_a_hand_edited_entry_on_an_unknown_gateway_gets_a_clean_error(
    sim: Simulator,
) -> None:
    from kling_tui.gateway.fetcher import Fetcher
    from kling_tui.models import FetchError, WatchEntry, utcnow
    from tests.support.sim import gateways_for

    entry = WatchEntry("x\x1b]52;c;cHduZWQ=\x07", "text2video", "g\x9b\u202e", utcnow())
    async with Fetcher(gateways_for(sim.base_url)) as fetcher:
        result = await fetcher.fetch(entry)
    assert isinstance(result, FetchError) and "\\x1b]52" in result.message
    assert_clean(result.message, "fetch error")
