"""The watch list store: format, atomicity, locking, and never destroying a bad file."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import platformdirs
import pytest
import toml_rs

from kling_tui.gateway.ids import InvalidTaskId
from kling_tui.models import (
    ErrorType,
    FetchError,
    Status,
    TaskKey,
    TaskSnapshot,
    Video,
    WatchEntry,
)
from kling_tui.store import codec, document, parsed_cache
from kling_tui.store import watchlist as wl_module
from kling_tui.store.codec import entry_from_table, entry_to_table
from kling_tui.store.watchlist import (
    WatchList,
    WatchListError,
    watchlist_path,
)
from tests.support.store import ID1, ID2, ID3, T0, entry, snapshot

REPO = Path(__file__).resolve().parents[2]


def full_entry() -> WatchEntry:
    """Every field set, including non-UTC datetimes that must come back as UTC."""
    plus2 = timezone(timedelta(hours=2))
    snap = TaskSnapshot(
        task_id=ID1,
        kind="image2video",
        status=Status.SUCCEEDED,
        status_raw="succeed",
        progress=100.0,
        videos=(
            Video("v-1", "https://cdn.example.com/v-1.mp4", 5.1),
            Video(None, "https://cdn.example.com/" + "x" * 120 + ".mp4", None),
            Video("v-3", None, 10.0),
        ),
        # what the normalizer keeps of a newline: its visible escape (raw ones are cleaned)
        message='done "quoted" \\ and\\nnewline',
        external_task_id="order-42",
        created_at=datetime(2026, 11, 22, 12, 0, 1, 250000, tzinfo=plus2),
        updated_at=T0 + timedelta(seconds=90),
        fetched_at=T0 + timedelta(minutes=2),
    )
    error = FetchError(
        ErrorType.RATE_LIMITED,
        "rate limited by relay.example.com; retry in 30 s",
        status_code=429,
        code="1302",
        retry_after=30.0,
        at=T0 + timedelta(minutes=3),
    )
    return WatchEntry(
        task_id=ID1,
        kind="image2video",
        gateway="adhoc",
        added_at=T0,
        label="cat surfing ✓",
        base_url="https://relay.example.com",
        path_prefix="/kling/v1",
        snapshot=snap,
        last_checked=error.at,
        last_error=error,
        extra={"priority": 3, "tags": ["a", "b"]},
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "watchlist.toml"  # parent does not exist yet


def parse(p: Path) -> dict:
    return tomllib.loads(p.read_text(encoding="utf-8"))


def temp_files(p: Path) -> list[str]:
    return sorted(n for n in os.listdir(p.parent) if n.endswith(".tmp"))


# -- format and round trip -----------------------------------------------------------------


def test_round_trip_of_every_field(path: Path) -> None:
    full, minimal = full_entry(), entry(ID2)
    store = WatchList(path)
    assert store.load() == []
    store.add([full, minimal])

    loaded = WatchList(path).load()
    assert loaded == [full, minimal]  # dataclass equality: every field, snapshot, error, extra
    got = loaded[0]
    assert got.snapshot is not None and got.last_error is not None
    assert got.snapshot.status is Status.SUCCEEDED
    assert got.last_error.type is ErrorType.RATE_LIMITED
    assert got.snapshot.videos == full.snapshot.videos  # type: ignore[union-attr]
    for value in (
        got.added_at,
        got.snapshot.created_at,
        got.snapshot.fetched_at,
        got.last_error.at,
    ):
        assert value is not None and value.tzinfo is UTC
    assert got.snapshot.created_at == datetime(2026, 11, 22, 10, 0, 1, 250000, tzinfo=UTC)
    assert got.last_checked == full.last_error.at  # type: ignore[union-attr]
    assert loaded[1].snapshot is None and loaded[1].last_checked is None


def test_file_is_plain_toml_without_nulls(path: Path) -> None:
    WatchList(path).add([entry(label=None, snapshot=snapshot())])
    text = path.read_text()
    doc = tomllib.loads(text)
    assert doc["version"] == 1
    task = doc["tasks"][0]
    assert set(task) == {"id", "kind", "gateway", "added_at", "last"}  # None keys omitted
    assert task["last"]["status"] == "in_progress"
    assert task["last"]["status_raw"] == "processing"
    assert "[[tasks]]" in text and "[tasks.last]" in text
    assert "None" not in text and "null" not in text


def test_conversions_are_inverse() -> None:
    full = full_entry()
    table = entry_to_table(full)
    assert table["last"]["videos"][0] == {
        "id": "v-1",
        "url": "https://cdn.example.com/v-1.mp4",
        "duration": 5.1,
    }
    assert table["error"]["status_code"] == 429
    assert entry_from_table(table, index=0) == full


def test_hand_edits_iso_strings_and_unquoted_id_are_accepted(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(
        textwrap.dedent(
            """\
            [[tasks]]
            id = 866889456698785798
            kind = "text2video"
            gateway = "relay"
            added_at = "2026-11-22T11:00:00+01:00"
            [tasks.last]
            status = "failed"
            progress = 40
            fetched_at = "2026-11-22T10:05:00Z"
            """
        )
    )
    (got,) = WatchList(path).load()
    assert got.task_id == ID1
    assert got.added_at == T0 and got.added_at.tzinfo is UTC
    assert got.snapshot is not None
    assert got.snapshot.status is Status.FAILED and got.snapshot.status_raw == "failed"
    assert got.snapshot.progress == 40.0 and isinstance(got.snapshot.progress, float)
    assert got.last_checked == T0 + timedelta(minutes=5)


def test_unknown_keys_survive_a_rewrite(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(
        textwrap.dedent(
            f"""\
            version = 1
            owner = "ops"

            [meta]
            note = "kept"

            [[tasks]]
            id = "{ID1}"
            kind = "text2video"
            gateway = "relay"
            added_at = 2026-11-22T10:00:00Z
            priority = 3
            [tasks.notify]
            email = "ops@example.com"
            [tasks.last]
            status = "in_progress"
            status_raw = "processing"
            fetched_at = 2026-11-22T10:01:00Z
            shard = "eu-1"
            [tasks.error]
            type = "timeout"
            message = "slow"
            at = 2026-11-22T10:02:00Z
            trace = "abc"
            """
        )
    )
    store = WatchList(path)
    (e,) = store.load()
    assert e.extra == {
        "priority": 3,
        "notify": {"email": "ops@example.com"},
        "last": {"shard": "eu-1"},
        "error": {"trace": "abc"},
    }
    # A new poll result replaces the snapshot and the error; unknown keys stay.
    e.snapshot = snapshot(minutes=5)
    e.last_error = FetchError(ErrorType.SERVER, "502", at=T0 + timedelta(minutes=6))
    store.update([e])
    store.add([entry(ID2)])

    doc = parse(path)
    assert doc["owner"] == "ops" and doc["meta"] == {"note": "kept"}
    task = doc["tasks"][0]
    assert task["priority"] == 3 and task["notify"] == {"email": "ops@example.com"}
    assert task["last"]["shard"] == "eu-1" and task["last"]["fetched_at"] == T0 + timedelta(
        minutes=5
    )
    assert task["error"] == {
        "type": "server",
        "message": "502",
        "at": T0 + timedelta(minutes=6),
        "trace": "abc",
    }
    assert "last" not in doc["tasks"][1] and "priority" not in doc["tasks"][1]


# -- atomic writes -------------------------------------------------------------------------


@pytest.fixture
def saved(path: Path) -> tuple[WatchList, bytes]:
    store = WatchList(path)
    store.add([entry(ID1, snapshot=snapshot()), entry(ID2)])
    return store, path.read_bytes()


def test_crash_at_replace_leaves_original_and_no_temp(
    saved: tuple[WatchList, bytes], path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, before = saved

    def crash(src: str, dst: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(wl_module.os, "replace", crash)
    with pytest.raises(WatchListError, match="unchanged"):
        store.add([entry(ID3)])
    assert path.read_bytes() == before
    assert temp_files(path) == []
    assert [e.task_id for e in store.entries] == [ID1, ID2]


def test_interrupted_half_way_through_the_temp_file(
    saved: tuple[WatchList, bytes], path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, before = saved
    real_write = os.write

    def half_then_killed(fd: int, data: bytes) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))
        raise KeyboardInterrupt  # what SIGINT does mid-write

    monkeypatch.setattr(wl_module.os, "write", half_then_killed)
    with pytest.raises(KeyboardInterrupt):
        store.update([entry(ID2, snapshot=snapshot(ID2))])
    assert path.read_bytes() == before
    assert temp_files(path) == []


def test_disk_full_leaves_original(
    saved: tuple[WatchList, bytes], path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, before = saved

    def full(fd: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wl_module.os, "write", full)
    with pytest.raises(WatchListError, match="No space left on device") as info:
        store.remove([TaskKey(ID1, "text2video", "relay")])
    assert info.value.path == path
    assert path.read_bytes() == before
    assert temp_files(path) == []
    assert len(store.entries) == 2


KILL_SCRIPT = """
import os, signal, sys
from datetime import UTC, datetime
import kling_tui.store.watchlist as w
from kling_tui.models import WatchEntry
real_write = os.write
def half_then_sigkill(fd, data):
    real_write(fd, bytes(data[: len(data) // 2]))
    os.kill(os.getpid(), signal.SIGKILL)
store = w.WatchList(sys.argv[1])
store.load()
w.os.write = half_then_sigkill
store.add([WatchEntry("866889456698785801", "text2video", "relay", datetime.now(UTC))])
"""


def _run_python(code: str, *args: str, stdout: int | None = None) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, cwd=REPO, stdout=stdout)


def test_real_sigkill_mid_write_leaves_original(saved: tuple[WatchList, bytes], path: Path) -> None:
    store, before = saved
    proc = _run_python(KILL_SCRIPT, str(path))
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert path.read_bytes() == before
    assert len(temp_files(path)) == 1  # a real kill cannot clean up...
    store.add([entry(ID3)])  # ...so the next writer (holding the lock) does
    assert temp_files(path) == []
    assert [e["id"] for e in parse(path)["tasks"]] == [ID1, ID2, ID3]


def test_parent_created_mode_kept_and_new_file_private(path: Path) -> None:
    store = WatchList(path)
    store.load()
    assert not path.exists()  # loading a missing file does not create it
    store.add([entry()])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o640)
    store.add([entry(ID2)])
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_symlinked_watch_list_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    WatchList(link).add([entry()])
    assert link.is_symlink() and [e.task_id for e in WatchList(real).load()] == [ID1]


# -- invalid files are never overwritten ---------------------------------------------------


SYNTAX_ERROR = f"""\
version = 1

[[tasks]]
id = "{ID1}"
kind = "text2video"
gateway = "relay"
label = "unterminated
added_at = 2026-11-22T10:00:00Z
"""

VALID_HEAD = f"""\
version = 1

[[tasks]]
id = "{ID1}"
kind = "text2video"
gateway = "relay"
added_at = 2026-11-22T10:00:00Z

[[tasks]]
id = "{ID2}"
kind = "text2video"
gateway = "relay"
added_at = 2026-11-22T10:00:00Z
[tasks.last]
status = "in_progress"
status_raw = "processing"
fetched_at = 2026-11-22T10:01:00Z

"""
BAD_LINE = VALID_HEAD.count("\n") + 1  # the third [[tasks]] header

BAD_ENTRIES = {
    "missing id": ('[[tasks]]\nkind = "text2video"\ngateway = "relay"\n', "with id and kind"),
    "bad kind": (f'[[tasks]]\nid = "{ID3}"\nkind = "text2image"\ngateway = "relay"\n', "kind"),
    "invalid id": (
        '[[tasks]]\nid = "12 34"\nkind = "text2video"\ngateway = "r"\n',
        "id is not valid: '12 34': contains whitespace",
    ),
    "bad status": (
        f'[[tasks]]\nid = "{ID3}"\nkind = "text2video"\ngateway = "relay"\n'
        '[tasks.last]\nstatus = "exploded"\nfetched_at = 2026-11-22T10:01:00Z\n',
        "exploded",
    ),
    "wrong type": (
        f'[[tasks]]\nid = "{ID3}"\nkind = "text2video"\ngateway = "relay"\n'
        '[tasks.last]\nstatus = "submitted"\nprogress = "forty"\n'
        "fetched_at = 2026-11-22T10:01:00Z\n",
        "progress must be a number",
    ),
    "duplicate": (
        f'[[tasks]]\nid = "{ID1}"\nkind = "text2video"\ngateway = "relay"\n',
        "listed twice (first at line 3)",
    ),
}


def _mutations(store: WatchList):
    k = TaskKey(ID1, "text2video", "relay")
    return {
        "add": lambda: store.add([entry(ID3, gateway="other")]),
        "remove": lambda: store.remove([k]),
        "remove_ids": lambda: store.remove_ids([ID1]),
        "update": lambda: store.update([entry(ID1, snapshot=snapshot())]),
        "restore": lambda: store.restore([entry("866889456698785999")]),
    }


def _assert_untouchable(path: Path, line: int, words: str) -> None:
    before = path.read_bytes()
    with pytest.raises(WatchListError) as info:
        WatchList(path).load()
    assert info.value.line == line and words in info.value.message
    assert str(info.value).startswith(f"watch list {path}, line {line}: ")
    for loaded_first in (False, True):
        store = WatchList(path)
        if loaded_first:
            with pytest.raises(WatchListError):
                store.load()
        for name, call in _mutations(store).items():
            with pytest.raises(WatchListError) as info:
                call()
            assert info.value.line == line, name
            assert path.read_bytes() == before, name
    assert temp_files(path) == []


def test_syntax_error_names_the_line_and_file_is_never_overwritten(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(SYNTAX_ERROR)
    _assert_untouchable(path, 7, "not valid TOML")


@pytest.mark.parametrize("case", sorted(BAD_ENTRIES))
def test_invalid_entry_names_its_header_line_and_file_is_never_overwritten(
    path: Path, case: str
) -> None:
    bad, words = BAD_ENTRIES[case]
    path.parent.mkdir(parents=True)
    path.write_text(VALID_HEAD + bad)
    _assert_untouchable(path, BAD_LINE, words)


def test_newer_format_version_is_not_touched(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("# hi\nversion = 2\ntasks = []\n")
    _assert_untouchable(path, 2, "newer kling-tui")


def test_fixing_the_file_by_hand_unblocks_the_store(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(SYNTAX_ERROR)
    store = WatchList(path)
    with pytest.raises(WatchListError):
        store.load()
    path.write_text(SYNTAX_ERROR.replace('"unterminated', '"fixed"'))
    assert store.add([entry(ID2)]).added
    assert [(e.task_id, e.label) for e in store.entries] == [(ID1, "fixed"), (ID2, None)]


def test_reload_of_a_broken_file_keeps_entries_and_reports_once(path: Path) -> None:
    store = WatchList(path)
    store.add([entry()])
    path.write_text(SYNTAX_ERROR)
    with pytest.raises(WatchListError):
        store.reload_if_changed()
    assert [e.task_id for e in store.entries] == [ID1]  # a dashboard keeps showing them
    assert store.reload_if_changed() is False


def test_reload_mid_save_in_place_does_not_drop_the_tasks(path: Path) -> None:
    """An editor saving in place truncates the file, then writes it. A reload between the
    two saw an empty list: every task dropped, and kept dropped when the new text was broken
    ("keeping the list as it was"). A flaky poller test caught it under load."""
    store = WatchList(path)
    store.add([entry(ID1), entry(ID2)])
    original = path.read_bytes()
    with open(path, "r+b") as f:  # in place, like nano or Path.write_bytes
        f.truncate(0)
        f.flush()
        assert store.reload_if_changed() is False  # mid-save: not taken yet
        assert [e.task_id for e in store.entries] == [ID1, ID2]
        f.write(original + b"\n[[tasks]\nbroken")
    with pytest.raises(WatchListError):
        store.reload_if_changed()
    assert [e.task_id for e in store.entries] == [ID1, ID2]


def test_a_file_emptied_on_purpose_is_taken_at_the_next_reload(path: Path) -> None:
    store = WatchList(path)
    store.add([entry(ID1)])
    path.write_bytes(b"")
    assert store.reload_if_changed() is False
    assert store.reload_if_changed() is True  # still empty: meant, not mid-save
    assert store.entries == []
    assert store.reload_if_changed() is False


# -- add / remove / restore ----------------------------------------------------------------


def test_duplicates_are_not_added(path: Path) -> None:
    store = WatchList(path)
    first = store.add([entry(ID1), entry(ID2), entry(ID1)])
    assert [e.task_id for e in first.added] == [ID1, ID2]
    assert [e.task_id for e in first.duplicates] == [ID1]
    again = store.add([entry(ID1), entry(ID1, kind="image2video"), entry(ID1, gateway="b")])
    assert [e.key for e in again.duplicates] == [TaskKey(ID1, "text2video", "relay")]
    assert len(again.added) == 2
    assert len(parse(path)["tasks"]) == 4


def test_add_of_only_duplicates_does_not_write(path: Path) -> None:
    store = WatchList(path)
    store.add([entry()])
    before = os.stat(path)
    assert store.add([entry()]).added == []
    assert os.stat(path).st_ino == before.st_ino


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("", "empty"),
        ("12 34", "whitespace"),
        ("866/../etc", ".."),
        ("abc\x1b[31m", "control character"),
    ],
)
def test_invalid_ids_are_refused_with_the_reason(path: Path, bad: str, reason: str) -> None:
    store = WatchList(path)
    with pytest.raises(InvalidTaskId) as info:
        store.add([entry(ID1), entry(bad)])
    assert reason in str(info.value)
    assert not path.exists()  # nothing written, not even the good one


def test_bad_kind_is_refused(path: Path) -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        WatchList(path).add([entry(kind="text2image")])


def test_remove_remove_ids_and_restore_in_place(path: Path) -> None:
    store = WatchList(path)
    ids = [f"86688945669878{n:04d}" for n in range(5)]
    store.add([entry(i) for i in ids] + [entry(ids[1], kind="image2video")])
    removed = store.remove([TaskKey(ids[1], "text2video", "relay"), TaskKey(ids[3], "x", "y")])
    assert [e.key for e in removed] == [TaskKey(ids[1], "text2video", "relay")]
    by_id = store.remove_ids([ids[1], ids[2]])
    assert [(e.task_id, e.kind) for e in by_id] == [(ids[2], "text2video"), (ids[1], "image2video")]
    assert [e.task_id for e in store.entries] == [ids[0], ids[3], ids[4]]

    # Another process adds a task meanwhile; undo still puts ours back where they were.
    WatchList(path).add([entry("866889456698789999")])
    store.restore(removed + by_id)
    assert [(e.task_id, e.kind) for e in WatchList(path).load()] == [
        (ids[0], "text2video"),
        (ids[1], "text2video"),
        (ids[2], "text2video"),
        (ids[3], "text2video"),
        (ids[4], "text2video"),
        (ids[1], "image2video"),
        ("866889456698789999", "text2video"),
    ]
    assert store.restore(removed) == []  # already back: not duplicated


def test_undo_in_any_order_restores_the_original_order(path: Path) -> None:
    store = WatchList(path)
    ids = [f"86688945669878{n:04d}" for n in range(4)]
    store.add([entry(i) for i in ids])
    c = store.remove_ids([ids[2]])
    b = store.remove_ids([ids[1]])
    store.restore(c)  # the older removal first
    store.restore(b)
    assert [e.task_id for e in store.entries] == ids
    bc = store.remove_ids(ids[1:3])
    store.restore(reversed(bc))
    assert [e.task_id for e in WatchList(path).load()] == ids


def test_restore_keeps_the_last_known_state(path: Path) -> None:
    store = WatchList(path)
    store.add([entry(ID1, snapshot=snapshot(status=Status.SUCCEEDED)), entry(ID2)])
    removed = store.remove_ids([ID1])
    store.restore(removed)
    assert WatchList(path).load()[0].status is Status.SUCCEEDED


# -- two writers ---------------------------------------------------------------------------


ADD_SCRIPT = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from kling_tui.models import WatchEntry
from kling_tui.store.watchlist import WatchList
path, prefix, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
store = WatchList(path)
store.load()
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
for i in range(50):
    store.add([WatchEntry(f"{prefix}{i:04d}", "text2video", "relay", datetime.now(UTC))])
"""


def test_two_processes_adding_at_once_lose_nothing(path: Path, tmp_path: Path) -> None:
    go = tmp_path / "go"
    procs = [
        _run_python(ADD_SCRIPT, str(path), prefix, str(go), stdout=subprocess.PIPE)
        for prefix in ("1111", "2222")
    ]
    for proc in procs:  # both started, loaded the list, and wait for the go file
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    go.touch()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    ids = [t["id"] for t in parse(path)["tasks"]]
    assert len(ids) == 100 and len(set(ids)) == 100
    assert temp_files(path) == []


def test_update_does_not_resurrect_and_keeps_other_edits(path: Path) -> None:
    dashboard = WatchList(path)
    dashboard.add([entry(ID1), entry(ID2), entry(ID3)])
    mine = {e.task_id: e for e in dashboard.entries}

    other = WatchList(path)  # e.g. `kling-tui rm` in another terminal
    other.load()
    other.remove_ids([ID2])
    # ...and the operator edits a label by hand
    text = path.read_text().replace(f'id = "{ID3}"', f'id = "{ID3}"\nlabel = "by hand"')
    path.write_text(text)
    assert dashboard.changed_on_disk()

    for task_id in (ID1, ID2, ID3):
        mine[task_id].snapshot = snapshot(task_id, status=Status.SUCCEEDED)
        mine[task_id].last_checked = mine[task_id].snapshot.fetched_at  # type: ignore[union-attr]
    dashboard.update(mine.values())

    tasks = parse(path)["tasks"]
    assert [t["id"] for t in tasks] == [ID1, ID3]
    assert tasks[1]["label"] == "by hand"
    assert all(t["last"]["status"] == "succeeded" for t in tasks)
    assert not dashboard.changed_on_disk()


def test_update_is_one_write_and_does_not_reparse_an_unchanged_file(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = WatchList(path)
    store.add([entry(ID1), entry(ID2), entry(ID3)])
    replaced, parsed = [], []
    real_replace = os.replace
    monkeypatch.setattr(wl_module.os, "replace", lambda *a: (replaced.append(a), real_replace(*a)))
    for parser in (document.toml_rs, document.tomllib):
        real = parser.loads
        monkeypatch.setattr(parser, "loads", lambda s, real=real: (parsed.append(1), real(s))[1])
    for e in store.entries:
        e.snapshot = snapshot(e.task_id)
    store.update(store.entries)
    assert len(replaced) == 1 and parsed == []


def test_changed_on_disk_and_reload(path: Path) -> None:
    a, b = WatchList(path), WatchList(path)
    assert a.changed_on_disk()  # never read
    a.load()
    assert not a.changed_on_disk()
    b.add([entry()])
    assert a.changed_on_disk()
    assert a.reload_if_changed() is True
    assert [e.task_id for e in a.entries] == [ID1]
    assert a.reload_if_changed() is False


# -- paths and secrets ---------------------------------------------------------------------


def test_watchlist_path_precedence(tmp_path: Path, _isolated_home: Path) -> None:
    env = {"KLING_TUI_WATCHLIST": str(tmp_path / "env.toml")}
    assert watchlist_path(str(tmp_path / "flag.toml"), env) == tmp_path / "flag.toml"
    assert watchlist_path(None, env) == tmp_path / "env.toml"
    assert watchlist_path(None, {"KLING_TUI_WATCHLIST": ""}) == watchlist_path(None, {})
    default = watchlist_path(None, {})
    assert default == platformdirs.user_data_path("kling-tui") / "watchlist.toml"
    assert default.is_relative_to(_isolated_home / "xdg_data_home")


def test_no_secret_reaches_the_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = "sk-live-TOKEN-0123456789abcdef"
    monkeypatch.setenv("KLING_API_KEY", token)
    config = path.parent.parent / "config.toml"
    config.write_text(
        f'[gateways.relay]\nbase_url = "https://relay.example.com"\ntoken = "{token}"\n'
    )
    monkeypatch.setenv("KLING_TUI_CONFIG", str(config))
    e = entry(base_url=f"https://user:{token}@relay.example.com", path_prefix="/kling/v1")
    store = WatchList(path)
    store.add([e])
    e.last_error = FetchError(ErrorType.AUTH, "token in KLING_API_KEY was refused", 401)
    store.update([e])
    text = path.read_text()
    assert token not in text
    task = tomllib.loads(text)["tasks"][0]
    assert task["base_url"] == "https://relay.example.com"
    # The store's own fields only (the entry has no external id, saved files or download
    # error): no other key where a secret could travel.
    assert set(task) <= codec.ENTRY_KEYS - {"external", "local_files", "download_error"}


def test_the_documented_example_loads(path: Path) -> None:
    doc = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in doc.split("```toml\n")[1:]]
    (example,) = [b for b in blocks if "[[tasks]]" in b]
    path.parent.mkdir(parents=True)
    path.write_text(example)
    (e,) = WatchList(path).load()
    assert e.snapshot is not None and e.last_error is not None
    assert e.snapshot.videos == (Video("v-1", "https://cdn.example.com/v-1.mp4", 5.1),)
    assert e.last_error.type is ErrorType.TIMEOUT and e.last_error.status_code == 504
    assert e.extra == {}


# -- saves write the whole document ---------------------------------------------------------


def _whole_document(entries: list[WatchEntry]) -> bytes:
    """What a save must write: the whole document dumped in one go (by rtoml)."""
    import rtoml

    doc = {"version": codec.FORMAT_VERSION, "tasks": [entry_to_table(e) for e in entries]}
    return (codec.HEADER + rtoml.dumps(doc)).encode()


def test_save_is_byte_identical_to_dumping_the_whole_document(tmp_path: Path) -> None:
    first = full_entry()
    first.extra = {"note": "kept", "last": {"shade": "blue"}}
    entries = [first, entry(ID2, label="two"), entry(ID3, snapshot=snapshot(ID3))]
    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add(entries)
    assert store.path.read_bytes() == _whole_document(store.entries)


def test_a_save_after_changes_rewrites_exactly_the_changed_tasks(tmp_path: Path) -> None:
    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([full_entry(), entry(ID2, label="two"), entry(ID3, snapshot=snapshot(ID3))])
    a, b, c = store.entries
    # Every way a task changes between two saves: a new snapshot, an error set, an error
    # cleared, a label edited in place.
    b.snapshot = snapshot(ID2, status=Status.SUCCEEDED, minutes=5)
    c.last_error = FetchError(ErrorType.TIMEOUT, "slow", at=T0 + timedelta(minutes=6))
    a.last_error = None
    a.label = "renamed [bold]"
    store.update([a, b, c])
    assert store.path.read_bytes() == _whole_document([a, b, c])
    reread = WatchList(store.path).load()
    assert [e.label for e in reread] == ["renamed [bold]", "two", None]
    assert reread[1].status is Status.SUCCEEDED
    assert reread[2].last_error is not None and reread[0].last_error is None


def test_a_list_of_small_tasks_is_still_written_as_tables(tmp_path: Path) -> None:
    """tomli_w wrote an array of small tables as one inline array; tasks are always
    ``[[tasks]]`` tables, and read back the same."""
    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([entry("good-1"), entry("good-2", label="two")])
    store.add([entry("good-3")])
    text = store.path.read_text()
    assert text.count("\n[[tasks]]\n") == 3 and "tasks = [" not in text
    assert [e.task_id for e in WatchList(store.path).load()] == ["good-1", "good-2", "good-3"]
    assert WatchList(store.path).load()[1].label == "two"


# -- the parsed-document cache ------------------------------------------------------------------


def _big_list(n: int = 400) -> list[WatchEntry]:
    """Enough tasks for a file past PARSED_CACHE_MIN_BYTES, every field used somewhere."""
    first = full_entry()
    first.extra = {"note": "kept", "when": T0, "last": {"shade": "blue"}}
    out = [first]
    for i in range(1, n):
        status = (Status.SUBMITTED, Status.IN_PROGRESS, Status.SUCCEEDED)[i % 3]
        out.append(
            entry(
                f"task-{i:05d}",
                label=f"clip {i} ✓",
                snapshot=snapshot(f"task-{i:05d}", status=status),
            )
        )
    return out


def _no_tomllib(monkeypatch: pytest.MonkeyPatch, refuse_it: bool = True) -> None:
    """Make the TOML parsers fail (or work again): a load that succeeds used the cache."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("tomllib was used")

    monkeypatch.setattr(document.tomllib, "loads", refuse if refuse_it else _TOML_LOADS)
    monkeypatch.setattr(document.toml_rs, "loads", refuse if refuse_it else _RUST_LOADS)


_TOML_LOADS = tomllib.loads
_RUST_LOADS = toml_rs.loads


def _load_and_remember(path: Path) -> list[WatchEntry]:
    store = WatchList(path)
    entries = store.load()
    assert store.remember_parsed()
    return entries


def test_a_second_load_of_an_unchanged_file_skips_tomllib_and_gives_the_same_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.toml"
    writer = WatchList(path)
    writer.load()
    writer.add(_big_list())
    assert path.stat().st_size >= parsed_cache.PARSED_CACHE_MIN_BYTES
    first = _load_and_remember(path)  # parses with tomllib; the dashboard then caches it
    _no_tomllib(monkeypatch)
    second = WatchList(path).load()
    assert second == first
    assert second[0].extra == first[0].extra and second[0].extra["when"] == T0


def test_the_dashboard_quit_leaves_a_cache_for_what_it_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.toml"
    store = WatchList(path)
    store.load()
    store.add(_big_list())
    moved = store.entries[5]
    moved.snapshot = snapshot(moved.task_id, status=Status.SUCCEEDED, minutes=9)
    store.update([moved])
    assert store.remember_parsed()
    parsed = tomllib.loads(path.read_text())
    _no_tomllib(monkeypatch)
    again = WatchList(path).load()
    _no_tomllib(monkeypatch, refuse_it=False)
    assert again == WatchList(path).load() and len(again) == 400
    # Exactly what tomllib gives for the file, not merely equal entries.
    cache = parsed_cache.ParsedCache(path.absolute())
    assert cache.load(path.read_bytes()) == parsed


def test_entries_changed_since_the_last_save_never_reach_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache is the parse of the bytes on disk (not of the entries in memory), so an
    unsaved change in memory cannot reach the next start through it."""
    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add(_big_list())
    saved_label = store.entries[3].label
    store.entries[3].label = "edited in memory, not saved"
    store.remember_parsed()
    _no_tomllib(monkeypatch)
    assert WatchList(store.path).load()[3].label == saved_label


def test_a_hand_edit_is_read_from_the_file_not_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    store = WatchList(path)
    store.load()
    store.add(_big_list())
    _load_and_remember(path)
    path.write_text(path.read_text().replace('label = "clip 7 ✓"', 'label = "renamed by hand"'))
    labels = [e.label for e in WatchList(path).load()]
    assert "renamed by hand" in labels and "clip 7 ✓" not in labels


def test_a_cache_of_other_bytes_is_refused_before_it_is_decoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cold start after another program changed the file: the stale cache's key is
    read from its first bytes, and the 10,000-task document is not decoded for nothing."""
    path = tmp_path / "w.toml"
    store = WatchList(path)
    store.load()
    store.add(_big_list())
    _load_and_remember(path)
    decoded: list[int] = []
    real = parsed_cache.json.loads
    monkeypatch.setattr(
        parsed_cache.json, "loads", lambda *a, **k: (decoded.append(1), real(*a, **k))[1]
    )
    assert len(WatchList(path).load()) == 400 and decoded == [1]  # unchanged: the cache
    path.write_text(path.read_text().replace('label = "clip 7 ✓"', 'label = "renamed by hand"'))
    decoded.clear()
    labels = [e.label for e in WatchList(path).load()]
    assert "renamed by hand" in labels and decoded == []


def test_a_broken_file_is_reported_with_its_line_even_with_a_cache(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    store = WatchList(path)
    store.load()
    store.add(_big_list())
    _load_and_remember(path)
    before = path.read_bytes()
    path.write_bytes(before.replace(b"[[tasks]]", b"[[tasks]", 1))
    with pytest.raises(WatchListError) as caught:
        WatchList(path).load()
    assert caught.value.line is not None


def test_a_damaged_cache_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    store = WatchList(path)
    store.load()
    store.add(_big_list())
    expected = _load_and_remember(path)
    cache = parsed_cache.ParsedCache(path.absolute()).file
    assert cache.exists()
    for junk in (b"", b"{not json", b'{"blake2b": "x", "doc": 1}', b"[1, 2]"):
        cache.write_bytes(junk)
        assert WatchList(path).load() == expected


def test_header_names_a_readme_section_that_exists(tmp_path: Path) -> None:
    """Issue 9: the header pointed to "The watch list file"; the README says "The watch list"."""
    import re

    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([entry()])
    header = (tmp_path / "w.toml").read_text().splitlines()[:3]
    (section,) = re.findall(r'section "([^"]+)"', "\n".join(header))
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert f"\n## {section}\n" in readme


# -- the TOML parser ------------------------------------------------------------------------


HAND_WRITTEN = r"""
version = 1
note = "kept"

[[tasks]]
id = 866889456698785798
kind = "text2video"
gateway = "relay"
label = "caf\u00e9 \\ \"quoted\""
added_at = 2026-11-22T10:00:00
seen = 2026-11-22
at = 10:00:00.5
[tasks.last]
status = "succeeded"
fetched_at = 2026-11-22T11:00:00.123456+02:00
videos = [{ url = "https://cdn.example/a.mp4", duration = 5 }]

[[tasks]]
id = 'task-2'
kind = "image2video"
gateway = "kling"
added_at = "2026-11-22T10:00:00Z"
error = { type = "timeout", message = "slow", at = 2026-11-22T10:01:00Z, status_code = 504 }
"""


def test_the_rust_parser_gives_tomllib_s_document(tmp_path: Path) -> None:
    """toml_rs replaced tomllib for speed: same document, hand-edit forms included."""
    assert toml_rs.loads(HAND_WRITTEN) == tomllib.loads(HAND_WRITTEN)
    big = _whole_document(_big_list()).decode()
    assert toml_rs.loads(big) == tomllib.loads(big)
    path = tmp_path / "w.toml"
    path.write_text(HAND_WRITTEN)
    loaded = WatchList(path).load()
    assert [e.task_id for e in loaded] == [ID1, "task-2"]
    assert loaded[0].extra == {
        "seen": tomllib.loads(HAND_WRITTEN)["tasks"][0]["seen"],
        "at": tomllib.loads(HAND_WRITTEN)["tasks"][0]["at"],
    }


def test_a_file_only_the_rust_parser_refuses_is_reported_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.toml"
    path.write_text(HAND_WRITTEN)
    before = path.read_bytes()

    def refuse(_text: str) -> None:
        at = HAND_WRITTEN.index("kind")  # line 7, column 1
        raise toml_rs.TOMLDecodeError(
            "TOML parse error at line 7, column 1\n  |\n7 | x\n  | ^\nsome reason",
            HAND_WRITTEN,
            at,
        )

    monkeypatch.setattr(document.toml_rs, "loads", refuse)
    with pytest.raises(WatchListError) as caught:
        WatchList(path).load()
    assert caught.value.line == 7
    assert "not valid TOML: some reason (column 1)" in str(caught.value)
    assert path.read_bytes() == before
