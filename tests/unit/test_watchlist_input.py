"""The watch list (and the config) are input: who may write them, what they may be, and
what their text may contain once loaded (issue 10, items 1, 3 and 4)."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tomli_w

from kling_tui.config import ConfigError, load_config
from kling_tui.gateway.trust import TrustedOrigins
from kling_tui.models import WatchEntry
from kling_tui.store.safe_read import access_problem, read_regular
from kling_tui.store.watchlist import WatchList, WatchListError, new_entries

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
ID1 = "866889456698785798"

HOSTILE = (
    "a\x1b[31mred \x1b]52;c;cHduZWQ=\x07 csi\x9b2J \u202eevil [@click=app.quit] "
    "nul\x00 del\x7f line\nbreak"
)
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""What must never reach a terminal raw (a newline or tab inside one field breaks rows too)."""


def hostile_document(gateway: str = "relay") -> dict:
    return {
        "version": 1,
        "tasks": [
            {
                "id": ID1,
                "kind": "text2video",
                "gateway": gateway + "\x1b]0;title\x07",
                "label": HOSTILE,
                "added_at": T0,
                "last": {
                    "status": "failed",
                    "status_raw": HOSTILE,
                    "message": HOSTILE,
                    "external_task_id": HOSTILE,
                    "fetched_at": T0,
                    "videos": [{"id": HOSTILE, "url": "https://cdn.example/\x1b]52;c;eA==\x07"}],
                },
                "error": {"type": "server", "message": HOSTILE, "code": HOSTILE, "at": T0},
            }
        ],
    }


def write_hostile(path: Path, gateway: str = "relay") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps(hostile_document(gateway)))
    path.chmod(0o600)


def texts_of(entry: WatchEntry) -> list[str]:
    s, e = entry.snapshot, entry.last_error
    assert s is not None and e is not None
    values = [entry.gateway, entry.label, s.status_raw, s.message, s.external_task_id]
    values += [e.message, e.code]
    values += [v.id for v in s.videos] + [v.url for v in s.videos]
    return [v for v in values if v is not None]


# -- item 3: text is cleaned as it is loaded --------------------------------------------------


def test_escape_sequences_in_the_file_are_cleaned_at_load(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.toml"
    write_hostile(path)
    (entry,) = WatchList(path).load()
    values = texts_of(entry)
    assert len(values) == 9
    for value in values:
        assert not RAW_CONTROL.search(value), repr(value)
    assert entry.label is not None
    assert "[@click=app.quit]" in entry.label  # markup-like text is data, kept as it is
    assert "\\x1b]52;c;cHduZWQ=\\x07" in entry.label  # visible, not removed
    assert "\\x9b2J" in entry.label and "\\u202eevil" in entry.label
    assert entry.gateway == "relay\\x1b]0;title\\x07"


def test_a_label_typed_in_is_cleaned_on_entry(tmp_path: Path) -> None:
    (entry,) = new_entries([ID1], kind="text2video", gateway="relay", now=T0, label=HOSTILE)
    assert entry.label is not None and not RAW_CONTROL.search(entry.label)
    store = WatchList(tmp_path / "watchlist.toml")
    store.add([entry])
    assert "\x1b" not in (tmp_path / "watchlist.toml").read_text(encoding="utf-8")


# -- item 1: who may write the file ---------------------------------------------------------


@pytest.mark.parametrize("mode", [0o666, 0o662, 0o620, 0o602], ids=lambda m: f"{m:04o}")
def test_a_watch_list_others_can_write_is_refused_and_left_alone(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "watchlist.toml"
    WatchList(path).add(new_entries([ID1], kind="text2video", gateway="relay", now=T0))
    path.chmod(mode)
    before = path.read_bytes()
    store = WatchList(path)
    with pytest.raises(WatchListError) as err:
        store.load()
    assert f"chmod 600 {path}" in str(err.value) and f"{mode:04o}" in str(err.value)
    with pytest.raises(WatchListError):
        store.add(new_entries(["866889456698785799"], kind="text2video", gateway="r", now=T0))
    assert path.read_bytes() == before
    path.chmod(0o600)  # the fix the message names is enough, for the same object too
    assert [e.task_id for e in store.load()] == [ID1]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_a_watch_list_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.toml"
    write_hostile(path)
    os.chown(path, 4242, 4242)
    with pytest.raises(WatchListError, match="owned by another user"):
        WatchList(path).load()


def test_a_config_others_can_write_is_refused_even_without_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[gateways.relay]\nbase_url = "https://relay.example"\n')
    path.chmod(0o666)
    with pytest.raises(ConfigError) as err:
        load_config(config_flag=path, env={})
    assert f"chmod 600 {path}" in str(err.value) and "where tokens go" in str(err.value)
    path.chmod(0o644)
    assert load_config(config_flag=path, env={}).gateway().base_url == "https://relay.example"


def test_access_problem_is_the_one_rule(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("x")
    for mode, plain, secret in [
        (0o600, None, None),
        (0o644, None, "group and others can read it"),
        (0o640, None, "group can read it"),
        (0o664, "group can write to it", "group can write to it"),
        (0o606, "others can write to it", "others can write to it"),
    ]:
        path.chmod(mode)
        st = path.stat()
        for got, want in (
            (access_problem(path, st), plain),
            (access_problem(path, st, secret=True), secret),
        ):
            if want is None:
                assert got is None, (oct(mode), got)
            else:
                assert got is not None and want in got and f"chmod 600 {path}" in got


def test_trusted_origins_are_recorded_privately_per_gateway(tmp_path: Path) -> None:
    trust = TrustedOrigins(tmp_path / "state" / "trusted.toml")
    assert not trust.allows("default", "http://127.0.0.1:1")
    trust.add("default", "http://127.0.0.1:1")
    trust.add("default", "http://127.0.0.1:1")  # idempotent
    assert (trust.path.stat().st_mode & 0o777) == 0o600
    again = TrustedOrigins(trust.path)  # another process reads what this one wrote
    assert again.allows("default", "http://127.0.0.1:1")
    assert not again.allows("default", "http://127.0.0.1:2")  # the port is the origin's
    assert not again.allows("relay", "http://127.0.0.1:1")  # and the gateway is part of it
    trust.path.chmod(0o622)
    assert not again.allows("default", "http://127.0.0.1:1")
    assert again.problem is not None and "chmod 600" in again.problem


# -- item 4: regular files only, under a size cap -------------------------------------------


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def guarded(script: str) -> str:
    """Run ``script`` in a child with a 20 s timeout and 2 GiB of address space, so a
    regression (a FIFO that blocks, /dev/zero read without end) fails instead of hanging
    the suite or eating the machine's memory. Returns the child's stdout."""
    code = "import sys\nfrom pathlib import Path\n" + textwrap.dedent(script)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=20,
        preexec_fn=_limit_memory,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


LOADERS = {
    "watch list": "from kling_tui.store.watchlist import WatchList\n"
    "load = lambda p: WatchList(p).load()",
    "config": "from kling_tui.config import load_config\n"
    "load = lambda p: load_config(config_flag=p, env={})",
    "theme": "from kling_tui.themes import load_theme_file as load",
}


def refusal(what: str, path: Path) -> str:
    """What loading ``path`` as ``what`` says, in a guarded child: the error, or LOADED."""
    return guarded(
        LOADERS[what]
        + f"\ntry:\n    load(Path({str(path)!r}))\n"
        + "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
        + "else:\n    print('LOADED')\n"
    )


@pytest.mark.parametrize("what", list(LOADERS))
def test_a_fifo_is_refused_at_once(tmp_path: Path, what: str) -> None:
    fifo = tmp_path / "list.toml"
    os.mkfifo(fifo)
    out = refusal(what, fifo)
    assert "it is a FIFO, not a regular file" in out, out


@pytest.mark.parametrize("what", list(LOADERS))
def test_a_link_to_dev_zero_is_refused_at_once(tmp_path: Path, what: str) -> None:
    link = tmp_path / "z.toml"
    link.symlink_to("/dev/zero")
    out = refusal(what, link)
    assert "it is a character device, not a regular file" in out, out


@pytest.mark.parametrize(
    ("what", "size", "message"),
    [
        ("watch list", 300 << 20, "it is too large (300 MiB, over the 256 MiB limit)"),
        ("watch list", (256 << 20) + 1, "(268,435,457 bytes, over the 256 MiB limit)"),
        ("config", 2 << 20, "it is too large (2 MiB, over the 1 MiB limit)"),
    ],
)
def test_a_file_over_its_cap_is_refused_without_reading_it(
    tmp_path: Path, what: str, size: int, message: str
) -> None:
    path = tmp_path / "big.toml"
    with open(path, "wb") as f:
        f.truncate(size)  # sparse: costs no disk
    path.chmod(0o600)
    out = refusal(what, path)
    assert message in out, out


def test_the_parsed_list_cache_is_read_the_same_way(tmp_path: Path) -> None:
    out = guarded(
        f"""
        import os
        from kling_tui.store.parsed_cache import ParsedCache
        cache = ParsedCache(Path({str(tmp_path / "w.toml")!r}))
        cache.file.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(cache.file)
        print(cache.load(b"x" * 100_000))
        """
    )
    assert out.strip() == "None"


def test_the_cli_says_why_and_exits_2(tmp_path: Path) -> None:
    fifo = tmp_path / "watch.toml"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-m", "kling_tui", "ls", "--watchlist", str(fifo)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=20,
        preexec_fn=_limit_memory,
    )
    assert result.returncode == 2
    assert f"watch list {fifo}: it is a FIFO, not a regular file" in result.stderr
    assert "Traceback" not in result.stderr


def test_read_regular_takes_a_file_of_exactly_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_regular(path, limit=10)[0] == b"x" * 10
    path.write_bytes(b"x" * 11)
    with pytest.raises(Exception, match="too large"):
        read_regular(path, limit=10)
