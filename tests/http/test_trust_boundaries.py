"""The watch list is input: its addresses earn no token, its paths follow the config's rules.

Every test here runs a second simulator on another 127.0.0.1 port, the "other host" a
hostile watch list points at, and checks that it never sees an ``Authorization`` header.
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tomli_w

from kling_tui.config import AppConfig
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.gateway.trust import TrustedOrigins, default_trust_path
from kling_tui.models import ErrorType, FetchError, TaskSnapshot, WatchEntry
from kling_tui.sim.simulator import Simulator
from tests.support.cli import run
from tests.support.sim import TOKEN


@pytest.fixture
def second() -> Iterator[Simulator]:
    """Another host on another port: it accepts the token too, so a leak would succeed."""
    other = Simulator(tokens=(TOKEN,))
    other.start()
    try:
        yield other
    finally:
        other.stop()


@pytest.fixture
def watchlist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sim: Simulator) -> Path:
    """A config whose gateway ``h`` lives on ``sim`` with its token in the (0600) file."""
    config = tmp_path / "config.toml"
    config.write_text(f'[gateways.h]\nbase_url = "{sim.base_url}"\ntoken = "{TOKEN}"\n')
    config.chmod(0o600)
    monkeypatch.setenv("KLING_TUI_CONFIG", str(config))
    path = tmp_path / "watch.toml"
    monkeypatch.setenv("KLING_TUI_WATCHLIST", str(path))
    return path


def write(path: Path, text: str, mode: int = 0o600) -> None:
    path.write_text(text)
    path.chmod(mode)


def entry_text(task_id: str, *, gateway: str = "h", **fields: str) -> str:
    extra = "".join(f'{k} = "{v}"\n' for k, v in fields.items())
    return (
        f'version = 1\n[[tasks]]\nid = "{task_id}"\nkind = "text2video"\n'
        f'gateway = "{gateway}"\n{extra}'
    )


def no_token_reached(other: Simulator) -> bool:
    return all(header is None for header in other.authorization)


# -- item 1: file modes and origins ---------------------------------------------------------


def test_a_world_writable_watch_list_is_refused_with_the_chmod_fix(
    watchlist: Path, sim: Simulator, second: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's reproduction: a 0666 file whose entry sends ``h``'s token elsewhere."""
    task = second.add_task()
    write(watchlist, entry_text(task.task_id, base_url=second.base_url), 0o666)
    code, out = run("watch", "--once")
    err = capsys.readouterr().err
    assert code == 2, out
    assert f"chmod 600 {watchlist}" in err and "0666" in err and "can write" in err
    assert second.requests == [] and no_token_reached(second)
    assert sim.requests == []
    for mode in (0o620, 0o602):  # group- or other-writable alone is enough
        watchlist.chmod(mode)
        assert run("ls")[0] == 2
    watchlist.chmod(0o644)  # readable by others is fine: the list holds no secret
    assert run("ls")[0] == 0


def test_an_entry_base_url_from_the_file_gets_no_token(
    watchlist: Path, sim: Simulator, second: Simulator
) -> None:
    task = second.add_task()
    write(watchlist, entry_text(task.task_id, base_url=second.base_url))
    code, out = run("watch", "--once", "--json")
    assert code == 1
    assert no_token_reached(second) and second.requests == []
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["error"]["type"] == "auth"
    message = record["error"]["message"]
    assert f"not sent to {second.base_url}" in message
    assert f"kling-tui add --gateway h --base-url {second.base_url}" in message
    assert TOKEN not in out and TOKEN not in watchlist.read_text()


def test_the_adhoc_token_goes_nowhere_the_operator_did_not_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sim: Simulator, second: Simulator
) -> None:
    """No config at all: ``KLING_API_KEY`` follows only ``add --base-url`` addresses."""
    monkeypatch.setenv("KLING_API_KEY", TOKEN)
    path = tmp_path / "watch.toml"
    monkeypatch.setenv("KLING_TUI_WATCHLIST", str(path))
    mine, theirs = sim.add_task(), second.add_task()
    assert run("add", "--base-url", sim.base_url, mine.task_id)[0] == 0
    trust = default_trust_path()
    assert stat.S_IMODE(trust.stat().st_mode) == 0o600
    # A hand edit adds an entry for the same (unconfigured) gateway name on another port.
    hand = entry_text(theirs.task_id, gateway="default", base_url=second.base_url)
    path.write_text(path.read_text() + hand.removeprefix("version = 1\n"))
    code, out = run("watch", "--once", "--json")
    records = {r["task_id"]: r for r in map(json.loads, out.splitlines())}
    assert code == 1
    assert records[mine.task_id]["status"] == "submitted"
    assert records[theirs.task_id]["error"]["type"] == "auth"
    assert no_token_reached(second) and second.requests == []
    assert sim.authorization == [f"Bearer {TOKEN}"]

    # The operator names the second address on this machine: from now on it gets the token.
    assert run("add", "--base-url", second.base_url, theirs.task_id)[0] == 0  # already watched
    code, out = run("watch", "--once", "--json")
    assert code == 0, out
    assert second.authorization == [f"Bearer {TOKEN}"]


def test_a_trust_file_others_can_write_is_ignored(
    watchlist: Path, second: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    task = second.add_task()
    write(watchlist, entry_text(task.task_id, base_url=second.base_url))
    TrustedOrigins().add("h", second.base_url)
    default_trust_path().chmod(0o666)
    code, out = run("watch", "--once", "--json")
    assert code == 1 and no_token_reached(second)
    assert "is ignored" in out and "chmod 600" in out
    # and it is not extended either, so a planted entry cannot be laundered by `add`
    assert run("add", "--gateway", "h", "--base-url", second.base_url, task.task_id)[0] == 2
    assert "cannot record" in capsys.readouterr().err


async def test_the_fetcher_sends_a_token_only_to_its_gateways_origin(
    app_config: AppConfig, sim: Simulator, second: Simulator, tmp_path: Path
) -> None:
    """The one credential choice, for every caller (poller, dashboard, CLI)."""
    task = second.add_task()
    trusted = TrustedOrigins(tmp_path / "trusted.toml")
    now = datetime.now(UTC)
    elsewhere = WatchEntry(task.task_id, "text2video", "relay", now, base_url=second.base_url)
    same_host = WatchEntry(task.task_id, "text2video", "relay", now, base_url=sim.base_url)
    async with Fetcher(app_config, trusted=trusted) as fetcher:
        refused = await fetcher.fetch(elsewhere)
        assert isinstance(refused, FetchError) and refused.type is ErrorType.AUTH
        assert second.requests == [] and no_token_reached(second)
        # Its own origin with another path prefix: still its own host, token allowed.
        await fetcher.fetch(replace(same_host, path_prefix="/v1"))
        assert sim.authorization == [f"Bearer {TOKEN}"]
        # Another gateway's record does not count, the right one does.
        trusted.add("native", second.base_url)
        assert isinstance(await fetcher.fetch(elsewhere), FetchError)
        assert no_token_reached(second)
        trusted.add("relay", second.base_url)
        assert isinstance(await fetcher.fetch(elsewhere), TaskSnapshot)
        assert second.authorization == [f"Bearer {TOKEN}"]


# -- item 2: the path prefix ----------------------------------------------------------------

TRAVERSAL = "/kling/v1/../../v1/account/costs?q="


def test_a_traversing_path_prefix_is_refused_at_load_with_its_line(
    watchlist: Path, sim: Simulator, second: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    task = sim.add_task()
    write(watchlist, entry_text(task.task_id, path_prefix=TRAVERSAL))
    code, _ = run("watch", "--once")
    err = capsys.readouterr().err
    assert code == 2
    assert "line 2" in err and "path_prefix" in err and "/kling/v1 or /v1" in err
    assert sim.requests == [] and second.requests == []
    assert not any("account" in path for _, path in sim.requests)
    # The same rule for a base_url smuggling a path, and a percent-encoded "..".
    for fields in (
        {"base_url": f"{sim.base_url}/kling/v1/../../v1/account/costs?q="},
        {"path_prefix": "/kling/v1/%2e%2e/%2e%2e/v1/account"},
    ):
        write(watchlist, entry_text(task.task_id, **fields))
        assert run("watch", "--once")[0] == 2
        assert sim.requests == []
    assert "line 2" in capsys.readouterr().err


async def test_the_one_url_builder_refuses_a_bad_prefix_built_in_code(
    app_config: AppConfig, sim: Simulator
) -> None:
    task = sim.add_task()
    bad = replace(app_config.gateways["relay"], path_prefix=TRAVERSAL)
    async with Fetcher(app_config) as fetcher:
        with pytest.raises(ValueError, match="path starting with"):
            fetcher.url_for(bad, "text2video", task.task_id)
        result = await fetcher.fetch_id(task.task_id, "text2video", bad)
    assert isinstance(result, FetchError) and "path_prefix" in result.message
    assert sim.requests == []


# -- item 3: text from the file reaches no output raw -----------------------------------------

RAW_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""Bytes no output may hold raw: C0 but newline and tab, DEL, C1, bidi controls."""


def test_a_label_with_an_osc_52_escape_never_reaches_ls_raw(
    watchlist: Path, sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """``add --label $'x\\e]52;c;cHduZWQ=\\a'`` then ``ls | cat -v``: no raw escape."""
    task = sim.add_task()
    assert run("add", "--label", "x\x1b]52;c;cHduZWQ=\x07", task.task_id)[0] == 0
    assert "\x1b" not in watchlist.read_text()
    for argv in (("ls",), ("ls", "--json")):
        code, out = run(*argv)
        assert code == 0
        assert not RAW_CONTROL.search(out), repr(out)
        assert "x\\x1b]52;c;cHduZWQ=\\x07" in out.replace("\\\\", "\\")


def test_a_hostile_watch_list_is_clean_on_every_command(
    watchlist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Escapes stored in the file (a message, status word, ids, URL, label, error) reach
    neither ``ls``, ``watch``, ``wait`` nor their ``--json`` forms raw."""
    hostile = "a\x1b[2J \x1b]52;c;cHduZWQ=\x07 \x9b2J \u202eevil [@click=app.quit]"
    doc = {
        "version": 1,
        "tasks": [
            {
                "id": "866889456698785798",
                "kind": "text2video",
                "gateway": "h",
                "label": hostile,
                "added_at": datetime(2026, 11, 22, tzinfo=UTC),
                "last": {
                    "status": "failed",
                    "status_raw": hostile,
                    "message": hostile,
                    "external_task_id": hostile,
                    "fetched_at": datetime(2026, 11, 22, tzinfo=UTC),
                    "videos": [{"id": hostile, "url": "https://cdn.example/\x1b]52;c;eA==\x07"}],
                },
                "error": {
                    "type": "server",
                    "message": hostile,
                    "at": datetime(2026, 11, 22, tzinfo=UTC),
                },
            }
        ],
    }
    write(watchlist, tomli_w.dumps(doc))
    for argv in (
        ("ls",),
        ("ls", "--json"),
        ("watch", "--once"),
        ("watch", "--once", "--json"),
        ("wait", "--timeout", "1"),
        ("wait", "--timeout", "1", "--json"),
    ):
        code, out = run(*argv)
        captured = capsys.readouterr()
        assert code in (0, 1), (argv, captured.err)
        for text in (out, captured.out, captured.err):
            assert not RAW_CONTROL.search(text), (argv, text)
        if argv[0] == "ls":
            assert "[@click=app.quit]" in out  # data, shown as it is
