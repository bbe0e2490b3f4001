"""Saves run in a worker thread while the event loop applies poll results to the same
entries. A save must take each entry's state from one reading, so that a result applied
mid-save is written by the next save (found in review: the first version of the per-task
text cache recorded the entry's snapshot after building its text, and lost such results
for good; the parsed-list cache then disagreed with the file).
"""

from __future__ import annotations

import threading
import time
import tomllib
from pathlib import Path

import pytest
import rtoml

from kling_tui.models import ErrorType, FetchError, FetchResult, Status, WatchEntry
from kling_tui.polling.poller import apply_result
from kling_tui.store import codec
from kling_tui.store import watchlist as wl_module
from kling_tui.store.codec import entry_to_table
from kling_tui.store.watchlist import WatchList
from tests.support.store import T0, entry, snapshot


def _whole(entries: list[WatchEntry]) -> bytes:
    doc = {"version": codec.FORMAT_VERSION, "tasks": [entry_to_table(e) for e in entries]}
    return (codec.HEADER + rtoml.dumps(doc)).encode()


def save_with_a_poll_in_between(
    store: WatchList,
    target: WatchEntry,
    result: FetchResult,
    monkeypatch: pytest.MonkeyPatch,
) -> bool:
    """Save ``target`` in the worker thread while the event loop applies ``result`` to it,
    inside the TOML dump of that save (the moment a real poll can land), then save it
    again as the next flush does. True when the result landed during the first save."""
    real = rtoml.dumps
    fired = False

    class Shim:
        @staticmethod
        def dumps(obj, **kw):  # type: ignore[no-untyped-def]
            nonlocal fired
            text = real(obj, **kw)
            if not fired:  # the poll lands on the event loop meanwhile
                fired = True
                apply_result(target, result)
            return text

    monkeypatch.setattr(wl_module, "rtoml", Shim)
    store.update([target])  # flush 1, in the worker thread
    monkeypatch.setattr(wl_module, "rtoml", rtoml)
    store.update([target])  # flush 2: the poller re-marked the task dirty after the poll
    return fired


def test_a_poll_result_applied_during_a_save_is_written_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic: the event loop's apply_result runs while the worker thread is inside
    the TOML dump of a save."""
    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([entry(f"task-{i}", snapshot=snapshot(f"task-{i}")) for i in range(60)])
    target = store.entries[7]
    target.snapshot = snapshot("task-7", minutes=2)  # poll 1 (task is dirty)
    finished = snapshot("task-7", status=Status.SUCCEEDED, minutes=3)  # poll 2
    assert save_with_a_poll_in_between(store, target, finished, monkeypatch)
    on_disk = tomllib.loads(store.path.read_text())["tasks"][7]["last"]["status"]
    assert on_disk == "succeeded", "the finished state is never written (file: in_progress)"
    assert store.path.read_bytes() == _whole(store.entries)


def test_an_error_set_during_a_save_is_written_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([entry(f"task-{i}", snapshot=snapshot(f"task-{i}")) for i in range(5)])
    target = store.entries[2]
    target.snapshot = snapshot("task-2", minutes=2)
    error = FetchError(ErrorType.TIMEOUT, "slow", at=T0)
    save_with_a_poll_in_between(store, target, error, monkeypatch)
    assert "error" in tomllib.loads(store.path.read_text())["tasks"][2]


def test_real_threads_lose_no_poll_result(tmp_path: Path) -> None:
    """The same with real threads, as Poller.flush does it (asyncio.to_thread + the loop
    applying results meanwhile). Then one more save of everything, as the next flush."""
    n = 3000
    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([entry(f"task-{i}", snapshot=snapshot(f"task-{i}")) for i in range(n)])
    entries = store.entries
    for e in entries:  # every task polled since the last save: all chunks stale
        e.snapshot = snapshot(e.task_id, minutes=1)
    saver = threading.Thread(target=store.update, args=(entries,))
    saver.start()
    for e in entries:  # the event loop applies one more result per task meanwhile
        if not saver.is_alive():
            break
        e.snapshot = snapshot(e.task_id, status=Status.SUCCEEDED, minutes=2)
        time.sleep(0.0001)
    saver.join()
    store.update(entries)  # the next flush: everything is dirty again
    on_disk = tomllib.loads(store.path.read_text())["tasks"]
    lost = [t["id"] for t, e in zip(on_disk, entries, strict=True)
            if t["last"]["status"] != e.snapshot.status.value]  # fmt: skip
    assert not lost, f"{len(lost)} finished tasks are in_progress on disk"
    assert store.path.read_bytes() == _whole(entries)


def test_the_parsed_cache_always_agrees_with_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """remember_parsed caches the document of the bytes on disk, never a newer state of
    the entries under the digest of older bytes (the next start would read a state the
    TOML file does not hold)."""
    n = 600  # past PARSED_CACHE_MIN_BYTES
    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([entry(f"task-{i}", snapshot=snapshot(f"task-{i}")) for i in range(n)])
    target = store.entries[7]
    target.snapshot = snapshot("task-7", minutes=2)
    finished = snapshot("task-7", status=Status.SUCCEEDED, minutes=3)
    save_with_a_poll_in_between(store, target, finished, monkeypatch)
    assert store.remember_parsed()  # the dashboard does this on quit
    from_file = tomllib.loads(store.path.read_text())["tasks"][7]["last"]["status"]
    from_cache = WatchList(store.path).load()[7].status
    assert from_cache is not None and from_file == from_cache.value
