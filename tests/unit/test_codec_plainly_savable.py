"""``codec.plainly_savable``: the cheap test that lets ``check_new_entry`` skip the write and
read-back round trip. It may say False for a savable entry (the round trip then decides);
it must never say True for one the loader would refuse, or the store would write a file
it cannot load back."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kling_tui.gateway.fields import MAX_IMAGE_INDEX, MAX_ITEMS, MAX_UNITS
from kling_tui.gateway.normalize import normalize_list
from kling_tui.importing.plan import Candidate, plan_import
from kling_tui.models import Image, Status, TaskSnapshot, Video, WatchEntry
from kling_tui.store.codec import (
    check_new_entry,
    entry_to_table,
    plainly_savable,
    read_entry,
)
from kling_tui.store.errors import EntryInvalid

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)

# Values of every type a field could wrongly be given, the loader's edge cases among them.
odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-1.0, 0.0, MAX_UNITS, MAX_UNITS * 2, 1e308, -0.0, 5.1]),
    st.text(max_size=5),
    st.sampled_from(["", "text2video", "t2v", "succeed", "\x1b[31m", "\ud800"]),
    st.sampled_from(
        [
            NOW,
            NOW.replace(tzinfo=None),
            NOW.astimezone(timezone(timedelta(hours=5))),
            datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))),
            datetime(1999, 1, 1, tzinfo=UTC),
        ]
    ),
    st.just(Status.SUCCEEDED),
    st.just(()),
    st.just([]),
    st.just({"a": 1}),
)


def maybe(good: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """Mostly the good value (so plain entries are common), sometimes anything."""
    return st.tuples(st.integers(0, 15), good, odd).map(lambda t: t[2] if t[0] == 0 else t[1])


text = st.one_of(st.none(), st.text(max_size=8))
finite = st.floats(0, 100, allow_nan=False)
video = st.builds(Video, maybe(text), maybe(text), maybe(st.one_of(st.none(), finite)), maybe(text))
image = st.builds(
    Image,
    maybe(st.one_of(st.none(), st.integers(0, MAX_IMAGE_INDEX))),
    maybe(text),
    maybe(text),
)
snapshot = st.builds(
    TaskSnapshot,
    task_id=maybe(st.just("830000000000000001")),
    kind=st.just("text2video"),
    status=maybe(st.sampled_from(list(Status))),
    status_raw=maybe(st.text(max_size=8)),
    progress=maybe(st.one_of(st.none(), finite)),
    videos=maybe(st.lists(maybe(video), max_size=2).map(tuple)),
    message=maybe(st.text(max_size=8)),
    external_task_id=maybe(text),
    created_at=maybe(st.one_of(st.none(), st.just(NOW))),
    updated_at=maybe(st.one_of(st.none(), st.just(NOW))),
    fetched_at=maybe(st.just(NOW)),
    images=maybe(st.lists(maybe(image), max_size=MAX_ITEMS + 1).map(tuple)),
    parent_video=maybe(st.one_of(st.none(), video)),
    final_unit_deduction=maybe(st.one_of(st.none(), st.floats(0, MAX_UNITS))),
    kling_task_id=maybe(text),
    model=maybe(text),
    progress_synthetic=maybe(st.booleans()),
)
entry = st.builds(
    WatchEntry,
    task_id=st.just("830000000000000001"),
    kind=maybe(st.sampled_from(["text2video", "image-generations", "advanced-lip-sync"])),
    gateway=maybe(st.sampled_from(["native", "relay"])),
    added_at=maybe(st.just(NOW)),
    label=maybe(text),
    snapshot=maybe(st.one_of(st.none(), snapshot)),
    external=maybe(st.booleans()),
)


def loads_back(e: WatchEntry) -> bool:
    try:
        read_entry(entry_to_table(e))
    except (EntryInvalid, AttributeError, TypeError, ValueError, OverflowError):
        return False
    return True


@settings(max_examples=600, deadline=None)
@given(entry)
def test_plainly_savable_never_vouches_for_an_entry_the_loader_refuses(e: WatchEntry) -> None:
    if plainly_savable(e):
        assert loads_back(e)


@pytest.mark.parametrize(
    "change",
    [
        {"progress": math.nan},
        {"progress": math.inf},
        {"final_unit_deduction": MAX_UNITS * 10},
        {"images": tuple(Image(i, "u") for i in range(MAX_ITEMS + 1))},
        {"images": (Image(MAX_IMAGE_INDEX + 1, "u"),)},
        {"videos": (Video(None, "u", math.nan),)},
        {"status": "succeed"},
    ],
)
def test_a_bad_snapshot_field_goes_to_the_round_trip_which_refuses_it(change: dict) -> None:
    snap = normalized_snapshots()[0]
    bad = WatchEntry("830000000000000001", "text2video", "native", NOW, snapshot=snap)
    for key, value in change.items():
        object.__setattr__(snap, key, value)
    assert not plainly_savable(bad)
    with pytest.raises(ValueError):
        check_new_entry(bad)


def test_an_unusual_but_savable_entry_is_still_checked_and_accepted() -> None:
    snap = normalized_snapshots()[0]
    object.__setattr__(snap, "fetched_at", NOW.replace(tzinfo=None))  # read back as UTC
    odd = WatchEntry("830000000000000001", "text2video", "native", NOW, snapshot=snap)
    assert not plainly_savable(odd)
    assert check_new_entry(odd) is odd


def normalized_snapshots() -> list[TaskSnapshot]:
    item = (
        '{"task_id":"%s","task_status":"succeed","task_status_msg":"","task_info":{},'
        '"created_at":1796193107850,"updated_at":1796193107850,"final_unit_deduction":"2",'
        '"task_result":{"videos":[{"id":"771","url":"http://h/v.mp4","duration":"5.1"}],'
        '"images":[{"index":0,"url":"http://h/i.png"}]}}'
    )
    items = ",".join(item % (830000000000000001 + i) for i in range(3))
    body = '{"code":0,"data":[' + items + "]}"
    page = normalize_list(200, {}, body.encode(), kind="text2video", now=NOW)
    assert len(page.snapshots) == 3
    return list(page.snapshots)


def test_what_an_import_builds_from_normalized_pages_is_plainly_savable() -> None:
    found = [Candidate(s.task_id, s.kind, "native", snapshot=s) for s in normalized_snapshots()]
    plan = plan_import([], found, now=NOW)
    assert plan.new and all(plainly_savable(e) for e in plan.new)
    assert all(loads_back(e) for e in plan.new)
