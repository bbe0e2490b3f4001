"""The staged add (``WatchList.stage``): batches fed as an import's pages arrive, one write.

What it must keep of ``add``: the duplicate check (by key and by any known id, across
batches and against the list as it is at the commit), nothing written before the commit,
one write for the whole import, the order of the save, and the bytes of the file.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import rtoml

from kling_tui.gateway.ids import InvalidTaskId
from kling_tui.models import LocalFile, Status, TaskSnapshot, Video, WatchEntry
from kling_tui.store import watchlist as wl_module
from kling_tui.store.codec import entry_to_table
from kling_tui.store.watchlist import WatchList

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
IDS = [f"8668894566987{n:05d}" for n in range(8)]


def entry(task_id: str, kind: str = "text2video", gateway: str = "relay", **kw) -> WatchEntry:
    return WatchEntry(task_id=task_id, kind=kind, gateway=gateway, added_at=T0, **kw)


def listed(task_id: str, kling_id: str | None = None, *, done: bool = False) -> WatchEntry:
    """An entry as an import makes it: with the listed snapshot (a relay's id and Kling's)."""
    snap = TaskSnapshot(
        task_id=task_id,
        kind="text2video",
        status=Status.SUCCEEDED if done else Status.IN_PROGRESS,
        status_raw="succeed" if done else "processing",
        progress=100.0 if done else 40.0,
        videos=(Video("v", "https://cdn.example.com/v.mp4", 5.0),) if done else (),
        message="",
        external_task_id=None,
        created_at=T0,
        updated_at=T0 + timedelta(seconds=30),
        fetched_at=T0 + timedelta(minutes=1),
        kling_task_id=kling_id,
    )
    return entry(task_id, snapshot=snap, last_checked=snap.fetched_at)


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many entries each atomic write of the store saved."""
    seen: list[int] = []
    real = WatchList._write

    def counting(self: WatchList, entries: list[WatchEntry], **kw: object) -> None:
        seen.append(len(entries))
        real(self, entries, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(wl_module.WatchList, "_write", counting)
    return seen


def test_two_feeds_are_written_once_at_the_commit(store: WatchList, writes: list[int]) -> None:
    staged = store.stage()
    assert [e.task_id for e in staged.feed([entry(IDS[0]), entry(IDS[1])])] == IDS[:2]
    assert [e.task_id for e in staged.feed([entry(IDS[2])])] == [IDS[2]]
    assert staged.staged == 3
    assert writes == [] and not store.path.exists()  # nothing written before the commit
    result = staged.commit()
    assert writes == [3]
    assert [e.task_id for e in result.added] == IDS[:3]
    assert [e.task_id for e in WatchList(store.path).load()] == IDS[:3]


def test_a_stage_never_committed_writes_nothing(store: WatchList, writes: list[int]) -> None:
    store.add([entry(IDS[0])])
    before = store.path.read_bytes()
    staged = store.stage()
    staged.feed([entry(IDS[1]), entry(IDS[2])])
    del staged
    assert writes == [1]
    assert store.path.read_bytes() == before
    assert [e.task_id for e in store.entries] == [IDS[0]]


def test_a_duplicate_across_feeds_is_refused(store: WatchList) -> None:
    staged = store.stage()
    staged.feed([listed(IDS[0], kling_id=IDS[5])])
    # the same key again, and another task id that is the first one's Kling id
    assert staged.feed([entry(IDS[0]), entry(IDS[5]), entry(IDS[1])]) == [entry(IDS[1])]
    result = staged.commit()
    assert [e.task_id for e in result.added] == [IDS[0], IDS[1]]
    assert [e.task_id for e in result.duplicates] == [IDS[0], IDS[5]]
    assert [e.task_id for e in result.same_as] == [IDS[0], IDS[0]]
    assert "is the Kling id of" in result.refusals()[1]


def test_an_existing_alias_refuses(store: WatchList) -> None:
    store.add([listed("task_relay01", kling_id=IDS[0])])
    staged = store.stage()
    assert staged.feed([entry(IDS[0]), entry(IDS[1])]) == [entry(IDS[1])]
    result = staged.commit()
    assert [e.task_id for e in result.duplicates] == [IDS[0]]
    assert result.same_as[0].task_id == "task_relay01"
    assert [e.task_id for e in WatchList(store.path).load()] == ["task_relay01", IDS[1]]


def test_an_invalid_entry_refuses_its_batch_only(store: WatchList, writes: list[int]) -> None:
    staged = store.stage()
    staged.feed([entry(IDS[0])])
    with pytest.raises(InvalidTaskId):
        staged.feed([entry(IDS[1]), entry("12 34")])
    assert staged.staged == 1
    assert [e.task_id for e in staged.commit().added] == [IDS[0]]
    assert writes == [1]


def test_a_task_another_process_added_meanwhile_is_a_duplicate(store: WatchList) -> None:
    staged = store.stage()
    staged.feed([entry(IDS[0]), entry(IDS[1])])
    WatchList(store.path).add([entry(IDS[1]), entry(IDS[7])])  # another process, mid-import
    result = staged.commit()
    assert [e.task_id for e in result.added] == [IDS[0]]
    assert [e.task_id for e in result.duplicates] == [IDS[1]]
    assert [e.task_id for e in WatchList(store.path).load()] == [IDS[1], IDS[7], IDS[0]]


def test_parts_order_the_save_whatever_order_the_pages_came_in(store: WatchList) -> None:
    staged = store.stage()
    staged.feed([entry(IDS[4])], part=1)
    staged.feed([entry(IDS[0]), entry(IDS[1])], part=0)
    staged.feed([entry(IDS[5])], part=1)
    staged.feed([entry(IDS[2])], part=0)
    staged.commit()
    assert [e.task_id for e in WatchList(store.path).load()] == [
        IDS[0],
        IDS[1],
        IDS[2],
        IDS[4],
        IDS[5],
    ]


def test_commit_is_once(store: WatchList) -> None:
    staged = store.stage()
    staged.feed([entry(IDS[0])])
    staged.commit()
    with pytest.raises(RuntimeError):
        staged.commit()
    with pytest.raises(RuntimeError):
        staged.feed([entry(IDS[1])])


def varied() -> list[WatchEntry]:
    """Entries with every kind of table a task writes: label, snapshot, files, extra keys."""
    files = (LocalFile("/tmp/a.mp4", 10, "0" * 64, "https://cdn.example.com/a.mp4", 1, "video"),)
    return [
        listed(IDS[0], done=True),
        entry(IDS[1], label='a "label" ✓', external=True),
        entry(IDS[2], extra={"priority": 3, "tags": ["a", "b"], "note": {"x": 1}}),
        entry(IDS[3], kind="image2video", local_files=files, download_error="gone"),
        listed(IDS[4], kling_id=IDS[6]),
    ]


@pytest.mark.parametrize("before", [0, 2])
def test_the_file_is_the_bytes_of_one_serialization(store: WatchList, before: int) -> None:
    """The batches' texts, written as they were fed, make the same file as one rtoml pass
    over every task (what ``add`` wrote before the stage existed)."""
    old = [entry(f"9668894566987{n:05d}") for n in range(before)]
    if old:
        store.add(old)
    staged = store.stage()
    new = varied()
    staged.feed(new[:2])
    staged.feed(new[2:])
    assert staged.text() is not None
    staged.commit()
    doc = {"version": wl_module.FORMAT_VERSION, "tasks": [entry_to_table(e) for e in old + new]}
    assert store.path.read_text() == wl_module.HEADER + rtoml.dumps(doc)


def test_unknown_top_level_keys_are_kept_on_a_staged_write(store: WatchList) -> None:
    store.path.write_text('version = 1\nowner = "me"\n\n[ui]\ntheme = "dark"\n')
    os.chmod(store.path, 0o600)
    store.load()
    staged = store.stage()
    staged.feed(varied())
    staged.commit()
    text = store.path.read_text()
    assert 'owner = "me"' in text and "[ui]" in text
    assert [e.task_id for e in WatchList(store.path).load()] == IDS[:5]


def test_add_is_a_staged_add_of_one_batch(store: WatchList, writes: list[int]) -> None:
    result = store.add([entry(IDS[0]), entry(IDS[0]), entry(IDS[1])])
    assert [e.task_id for e in result.added] == IDS[:2]
    assert [e.task_id for e in result.duplicates] == [IDS[0]]
    assert writes == [2]
