"""Review 3 of ``codec_text.plain_tasks_text`` and the staged add that uses it: wider
generated values than ``test_codec_text`` (any finite float, any text, shared and equal
times, long batches), and the staged add's file read back against one rtoml pass."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import rtoml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kling_tui.gateway.fields import MAX_UNITS
from kling_tui.models import Image, Status, TaskKey, TaskSnapshot, Video, WatchEntry
from kling_tui.store.codec import entry_to_table, plainly_savable
from kling_tui.store.codec_text import plain_tasks_text
from kling_tui.store.watchlist import HEADER, WatchList

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
IDS = [f"8668894566987{n:05d}" for n in range(20)]


def rtoml_text(batch: list[WatchEntry]) -> str:
    return rtoml.dumps({"tasks": [entry_to_table(e) for e in batch]})


def check(batch: list[WatchEntry]) -> str | None:
    text = plain_tasks_text(batch)
    if text is not None:
        assert text == rtoml_text(batch)
        assert plain_tasks_text(batch, plain=True) == text
    return text


any_text = st.text(max_size=20)
any_float = st.floats(allow_nan=False, allow_infinity=False)
nice_float = st.one_of(
    any_float,
    st.floats(-1e16, 1e16),
    st.floats(-1e-3, 1e-3),
    st.sampled_from([-0.0, 0.0, 5e-324, 2.2250738585072014e-308, 1e-4, 9.999999999999999e15]),
    st.integers(-(2**53), 2**53).map(float),
    st.integers(0, 10**6).map(lambda n: n / 1000),
)
utc_time = st.one_of(
    st.datetimes(timezones=st.just(UTC)),
    st.sampled_from(
        [
            datetime(1, 1, 1, tzinfo=UTC),
            datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
            datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
            datetime(2026, 1, 1, 0, 0, 0, 100000, tzinfo=UTC),
            datetime(2026, 1, 1, 0, 0, 0, 1000, tzinfo=UTC),
            datetime(2026, 1, 1, 0, 0, 0, 10, tzinfo=UTC),
            datetime(2026, 1, 1, 0, 0, 59, 999999, fold=1, tzinfo=UTC),
        ]
    ),
)


def snapshots(text: st.SearchStrategy, number: st.SearchStrategy, time: st.SearchStrategy):
    optional = st.one_of(st.none(), text)
    video = st.builds(Video, optional, optional, st.one_of(st.none(), number), optional)
    image = st.builds(Image, st.one_of(st.none(), st.integers(0, 20)), optional, optional)
    return st.builds(
        TaskSnapshot,
        task_id=st.one_of(st.sampled_from(IDS[:3]), text),
        kind=st.just("text2video"),
        status=st.sampled_from(list(Status)),
        status_raw=text,
        progress=st.one_of(st.none(), number),
        videos=st.lists(video, max_size=3).map(tuple),
        message=text,
        external_task_id=optional,
        created_at=st.one_of(st.none(), time),
        updated_at=st.one_of(st.none(), time),
        fetched_at=time,
        images=st.lists(image, max_size=3).map(tuple),
        parent_video=st.one_of(st.none(), video),
        final_unit_deduction=st.one_of(st.none(), number.map(abs)),
        kling_task_id=optional,
        model=optional,
        progress_synthetic=st.booleans(),
        expires_at=st.one_of(st.none(), time),
        quota=st.one_of(st.none(), number.map(abs)),
    )


def batches(text: st.SearchStrategy, number: st.SearchStrategy, time: st.SearchStrategy):
    entry = st.builds(
        WatchEntry,
        task_id=st.sampled_from(IDS[:3]),
        kind=st.sampled_from(["text2video", "image-generations", "advanced-lip-sync"]),
        gateway=st.one_of(st.sampled_from(["native", "relay"]), text.filter(bool)),
        added_at=time,
        label=st.one_of(st.none(), text),
        snapshot=st.one_of(st.none(), snapshots(text, number, time)),
        external=st.booleans(),
    )
    return st.lists(entry, min_size=1, max_size=5)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(any_text, nice_float, utc_time))
def test_any_text_float_and_time_is_rtomls_or_none(batch: list[WatchEntry]) -> None:
    check(batch)


bare = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\'),
    max_size=20,
)


def digits(value: float) -> int:
    """The significant digits of ``repr(value)`` (no exponent)."""
    return len(repr(value).lstrip("-").replace(".", "").lstrip("0").rstrip("0") or "0")


written_float = st.one_of(st.floats(-1e15, 1e15), st.floats(-1, 1)).filter(
    lambda f: "e" not in repr(f) and digits(f) <= 15
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(bare, written_float, utc_time))
def test_every_float_python_writes_without_exponent_is_written_directly(
    batch: list[WatchEntry],
) -> None:
    """A plain batch whose every float has no exponent in ``repr`` and at most 15
    significant digits (no shortest form can be a tie): never left to rtoml."""
    if all(map(plainly_savable, batch)):
        assert check(batch) is not None


@settings(max_examples=300, deadline=None)
@given(st.lists(utc_time, min_size=1, max_size=6), st.data())
def test_shared_and_equal_times_in_one_batch(times: list[datetime], data: st.DataObject) -> None:
    """The same time object in many places, equal times as distinct objects, times of
    one minute: the memo by object and by minute must not mix them up."""
    later = [t + timedelta(seconds=1) for t in times[:1] if t.year < 9999]
    pool = [*times, *(t.replace() for t in times), *later]
    pick = st.sampled_from(pool)
    batch = []
    for n in range(data.draw(st.integers(1, 8))):
        snap = TaskSnapshot(
            task_id=IDS[n],
            kind="text2video",
            status=Status.IN_PROGRESS,
            status_raw="processing",
            progress=None,
            videos=(),
            message="",
            external_task_id=None,
            created_at=data.draw(pick),
            updated_at=data.draw(st.one_of(st.none(), pick)),
            fetched_at=data.draw(pick),
            expires_at=data.draw(st.one_of(st.none(), pick)),
        )
        batch.append(WatchEntry(IDS[n], "text2video", "relay", data.draw(pick), snapshot=snap))
    assert check(batch) is not None


TIES = [1 + 2**-17, -(1 + 2**-17), 1024 + 2**-14, 1048576 + 2**-11, 562949953421312.2]
"""Floats whose exact value lies halfway between two shortest round-trip forms: Python's
``repr`` rounds the tie to even (``1.0000076293945312``), Rust's formatting (rtoml) up
(``1.0000076293945313``). Both read back as the same float; the bytes differ."""


@pytest.mark.parametrize("value", TIES)
@pytest.mark.parametrize("field", ["progress", "duration", "parent", "quota"])
def test_a_float_halfway_between_two_shortest_forms_is_rtomls(value: float, field: str) -> None:
    """BUG (c4274a0): ``_float`` writes ``repr``, which differs from rtoml here."""
    snap = {
        "progress": {"progress": value},
        "duration": {"videos": (Video("v", "u", value),)},
        "parent": {"parent_video": Video(None, None, value)},
        "quota": {"quota": min(abs(value), MAX_UNITS)},
    }[field]
    check([snap_entry(IDS[0], **snap)])


def test_a_staged_add_of_a_tie_float_saves_the_bytes_of_one_pass(tmp_path: Path) -> None:
    """BUG (c4274a0): the file differs from what any later save writes for the same list."""
    path = tmp_path / "watch.toml"
    store = WatchList(path)
    store.load()
    store.add([snap_entry(IDS[0], progress=1 + 2**-17)])
    assert [e.snapshot.progress for e in WatchList(path).load() if e.snapshot] == [1 + 2**-17]
    assert path.read_bytes() == one_pass(path)


def test_times_from_a_sequence_of_fresh_objects_are_not_confused() -> None:
    """BUG (c4274a0, latent): entries made afresh on each access (a lazy ``Sequence``, as
    the signature allows): their times die, a new one gets the old one's id, and the memo
    by id (``_Writer.known``) gives the old time's text. No caller passes one today (the
    staged add passes a list)."""

    class Fresh:
        def __init__(self, n: int) -> None:
            self.n = n

        def __len__(self) -> int:
            return self.n

        def __getitem__(self, i: int) -> WatchEntry:
            if i >= self.n:
                raise IndexError(i)
            when = T0 + timedelta(minutes=i, microseconds=i)
            return WatchEntry(IDS[i], "text2video", "relay", when)

    lazy = Fresh(10)
    text = plain_tasks_text(lazy)  # type: ignore[arg-type]
    assert text is None or text == rtoml_text(list(lazy))


@pytest.mark.parametrize(
    "value",
    [
        -0.0,
        0.0,
        1e-4,
        -1e-4,
        9.999e-5,
        1e15,
        1e16,
        123456789012345.67,
        5e-324,
        1.7976931348623157e308,
    ],
)
def test_float_edges_in_every_float_field(value: float) -> None:
    entry = snap_entry(
        IDS[0],
        progress=value,
        videos=(Video("v", "u", value),),
        created_at=None,
        updated_at=None,
        fetched_at=T0,
        parent_video=Video(None, None, value),
        final_unit_deduction=min(abs(value), MAX_UNITS),
        quota=min(abs(value), MAX_UNITS),
    )
    text = check([entry])
    assert (text is not None) == ("e" not in repr(value) and not math.isinf(value))


def test_all_none_videos_images_and_parent() -> None:
    snap = TaskSnapshot(
        task_id=IDS[1],
        kind="text2video",
        status=Status.SUCCEEDED,
        status_raw="",
        progress=None,
        videos=(Video(None, None, None), Video(None, None, None)),
        message="",
        external_task_id="",
        created_at=None,
        updated_at=None,
        fetched_at=T0,
        images=(Image(None, None, None), Image(0, "", "")),
        parent_video=Video(None, None, None),
        kling_task_id="",
        model="",
        expires_at=datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        progress_synthetic=True,
    )
    entry = WatchEntry(IDS[0], "text2video", "relay", T0, label="", snapshot=snap)
    assert check([entry, WatchEntry(IDS[2], "text2video", "relay", T0)]) is not None


# -- the staged add: the file is one rtoml pass over the list as saved ------------------


def snap_entry(task_id: str, **snap: object) -> WatchEntry:
    fields: dict[str, object] = {
        "task_id": task_id,
        "kind": "text2video",
        "status": Status.SUCCEEDED,
        "status_raw": "succeed",
        "progress": 100.0,
        "videos": (Video("v", "https://c/v.mp4", 5.0),),
        "message": "",
        "external_task_id": None,
        "created_at": T0,
        "updated_at": T0 + timedelta(seconds=30),
        "fetched_at": T0 + timedelta(minutes=1),
    }
    fields.update(snap)
    return WatchEntry(task_id, "text2video", "relay", T0, snapshot=TaskSnapshot(**fields))


def one_pass(path: Path) -> bytes:
    store = WatchList(path)
    entries = store.load()
    doc = {"version": 1, **store._top_extra, "tasks": [entry_to_table(e) for e in entries]}
    return (HEADER + rtoml.dumps(doc)).encode()


ODD_SNAP = [{}, {"message": 'a "q"'}, {"progress": 1e-5}, {"label_like": None}]


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.lists(st.tuples(st.integers(0, 9), st.sampled_from([0, 1, 2])), max_size=4),
        ),
        max_size=5,
    ),
    st.lists(st.integers(0, 9), max_size=2),
    st.booleans(),
    st.booleans(),
)
def test_a_staged_add_reads_back_and_is_one_pass(
    tmp_path_factory: pytest.TempPathFactory,
    fed: list[tuple[int, list[tuple[int, int]]]],
    meanwhile: list[int],
    remove_first: bool,
    extra_top: bool,
) -> None:
    path = tmp_path_factory.mktemp("w") / "watch.toml"
    if extra_top:
        path.write_text('version = 1\nowner = "me"\n')
    store = WatchList(path)
    store.load()
    store.add([snap_entry(IDS[9]), snap_entry(IDS[8])])
    staged = store.stage()
    forms = [{}, {"message": 'a "q"'}, {"progress": 1e-5}]
    order: list[tuple[int, str]] = []
    for part, batch in fed:
        got = staged.feed([snap_entry(IDS[i], **forms[f]) for i, f in batch], part=part)
        order += [(part, e.task_id) for e in got]
    if meanwhile or remove_first:
        other = WatchList(path)
        other.load()
        if remove_first:
            other.remove([TaskKey(IDS[9], "text2video", "relay")])
        if meanwhile:
            other.add([snap_entry(IDS[i]) for i in meanwhile])
    result = staged.commit()
    back = WatchList(path).load()
    assert path.read_bytes() == one_pass(path)
    ids = [e.task_id for e in back]
    assert len(ids) == len(set(ids))
    assert set(ids) >= {i for _, i in order} - set()  # nothing fed and added is lost
    assert [e.task_id for e in result.added] == ids[len(ids) - len(result.added) :]
