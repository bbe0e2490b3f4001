"""After any sequence of the mutations kling-tui makes (single thread),
a save writes what dumping the whole document writes, with ``[[tasks]]`` tables."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import rtoml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kling_tui.models import ErrorType, FetchError, Status, TaskSnapshot, Video, WatchEntry
from kling_tui.polling.poller import apply_result
from kling_tui.store import codec
from kling_tui.store.codec import entry_to_table
from kling_tui.store.watchlist import WatchList
from tests.support.store import T0

# Text including what could fool the cut: newlines, a fake [[tasks]] header, quotes.
text = st.one_of(
    st.sampled_from(["", "x", "\n\n[[tasks]]\n", 'a"b\\c', "[[tasks]]", "✓ ünï", "y" * 150]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
)
extra_key = st.one_of(
    st.sampled_from(["note", "tasks", "[[tasks]]", "\n\n[[tasks]]\n", "a.b", "x y", "sub"]),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8),
).filter(lambda k: k not in codec.ENTRY_KEYS)
extra_value = st.recursive(
    st.one_of(text, st.integers(-5, 10**6), st.booleans()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(extra_key, inner, max_size=3),
        st.lists(st.dictionaries(extra_key, inner, min_size=1, max_size=3), min_size=1, max_size=2),
    ),
    max_leaves=6,
)
extras = st.dictionaries(extra_key, extra_value, max_size=3)


def _snap(task_id: str, minutes: int, message: str, status: Status) -> TaskSnapshot:
    return TaskSnapshot(
        task_id, "text2video", status, status.value, 50.0,
        (Video("v", "https://cdn.example.com/" + "x" * minutes, 1.5),) if minutes % 2 else (),
        message, None, None, None, T0 + timedelta(minutes=minutes),
    )  # fmt: skip


op = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 12), st.one_of(st.none(), text), extras),
    st.tuples(st.just("remove"), st.integers(0, 50)),
    st.tuples(st.just("restore")),
    st.tuples(st.just("poll"), st.integers(0, 50), st.integers(0, 99), text),
    st.tuples(st.just("error"), st.integers(0, 50), text),
    st.tuples(st.just("label"), st.integers(0, 50), st.one_of(st.none(), text)),
    st.tuples(st.just("extra"), st.integers(0, 50), extras),
    st.tuples(st.just("added_at"), st.integers(0, 50), st.integers(0, 3)),
    st.tuples(st.just("replace"), st.integers(0, 50), text),
    st.tuples(st.just("other_process"), st.integers(0, 50), text),
    st.tuples(st.just("save")),
    st.tuples(st.just("load")),
)


def _expected_ok(data: bytes, entries: list[WatchEntry]) -> None:
    doc = {"version": codec.FORMAT_VERSION, "tasks": [entry_to_table(e) for e in entries]}
    whole = (codec.HEADER + rtoml.dumps(doc)).encode()
    assert data == whole
    assert not entries or "\n[[tasks]]\n" in data.decode()


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(op, max_size=25))
def test_saves_always_equal_the_whole_document(
    tmp_path_factory: pytest.TempPathFactory, ops
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("w") / "w.toml"
    store = WatchList(path)
    store.load()
    removed: list[WatchEntry] = []
    for o in ops:
        entries = store.entries
        pick = entries[o[1] % len(entries)] if len(o) > 1 and entries and o[0] != "add" else None
        kind = o[0]
        if kind == "add":
            store.add([WatchEntry(f"t-{o[1]}", "text2video", "relay", T0, label=o[2], extra=o[3])])
        elif kind == "remove" and pick:
            removed += store.remove([pick.key])
        elif kind == "restore" and removed:
            store.restore([removed.pop()])
        elif kind == "poll" and pick:
            status = Status.SUCCEEDED if o[2] % 3 == 0 else Status.IN_PROGRESS
            apply_result(pick, _snap(pick.task_id, o[2], o[3], status))
        elif kind == "error" and pick:
            apply_result(pick, FetchError(ErrorType.SERVER, o[2], 502, at=T0))
        elif kind == "label" and pick:
            pick.label = o[2]  # Poller._merge_fresh assigns labels in place
        elif kind == "extra" and pick:
            pick.extra = o[2]
        elif kind == "added_at" and pick:
            pick.added_at = T0 + timedelta(hours=o[2])
        elif kind == "replace" and pick:
            # dataclasses.replace shares snapshot/error/extra with the original
            clone = replace(pick, label=o[2])
            store.remove([pick.key])
            store.restore([clone])
        elif kind == "other_process" and pick:
            other = WatchList(path)
            other.load()
            mine = next(e for e in other.entries if e.key == pick.key)
            mine.label = o[2]
            other.update([mine])  # rewrites the file: our store re-reads it on its next write
        elif kind == "save" and entries:
            store.update(entries)
        elif kind == "load":
            store.load()
        if store.entries:
            store.update(store.entries)
        if path.exists():
            _expected_ok(path.read_bytes(), store.entries)


def test_surrogate_refused_like_before_and_nothing_written(tmp_path: Path) -> None:
    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([WatchEntry(f"t-{i}", "text2video", "relay", T0) for i in range(3)])
    before = store.path.read_bytes()
    bad = WatchEntry("t-9", "text2video", "relay", T0, label="bad \udc80")
    for _ in range(2):  # the second time the broken text would come from the cache
        with pytest.raises(ValueError, match="cannot save text that is not valid Unicode"):
            store.add([bad])
        assert store.path.read_bytes() == before
    e = store.entries[1]
    e.label = "bad \udcff"  # in place, as _merge_fresh could (labels come from the file)
    with pytest.raises(ValueError, match="not valid Unicode"):
        store.update([e])
    assert store.path.read_bytes() == before
    e.label = "fine"
    store.update([e])
    assert b"fine" in store.path.read_bytes()
