"""Second review of the per-entry speed-ups (909d805, cb7e391): each rewritten check gives
the answer the code before it gave (d6610db, read from git, or copied here), for every
input, the odd ones first: bools where numbers are expected, NaN, naive or non-UTC times,
subclasses of ``datetime`` and ``str``, unicode digits, out-of-range image indexes."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from types import ModuleType
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kling_tui.gateway.fields import MAX_IMAGE_INDEX, MAX_UNITS, CallContext, _number
from kling_tui.gateway.shapes import shape_b
from kling_tui.models import Image, Status, TaskSnapshot, Video, WatchEntry
from kling_tui.store.codec_fields import MAX_IMAGES
from kling_tui.store.codec_savable import _plain_image, _plain_snapshot, _plain_video
from tests.support.history import module_at

BEFORE = "d6610db"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def savable_before() -> ModuleType:
    return module_at(BEFORE, "kling_tui/store/codec_savable.py", "codec_savable_before")


@pytest.fixture(scope="module")
def shapes_before() -> ModuleType:
    return module_at(BEFORE, "kling_tui/gateway/shapes.py", "shapes_before")


# -- gateway/fields._number ------------------------------------------------------------


def number_before(value: Any) -> float | None:
    """``_number`` as it was at d6610db (the regex path only), read from git."""
    return module_at(BEFORE, "kling_tui/gateway/fields.py", "fields_before")._number(value)


def same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return type(a) is type(b) and a == b and math.copysign(1, a) == math.copysign(1, b)


EDGES = ["5.", ".5", ".", "", "..", "1.2.3", "٣", "²", "1_000", " 5 ", "+5", "-5", "0005",
         "1e5", "5.1", "12", "\u00a05\u2003", "5\n", "٣.٥", "0.", "-.5", "+.5", "5.e3",
         "1" * 63, "1" * 64, "1" * 65, "9" * 62 + ".", "." + "9" * 62, "9" * 63 + ".",
         "1e400", "-0", "-0.0", "0" * 63, "nan", "inf", "Infinity", "0x10", "5,1",
         "5%"]  # fmt: skip


@pytest.mark.parametrize("text", EDGES)
def test_number_reads_each_edge_string_as_before(text: str) -> None:
    assert same_number(_number(text), number_before(text)), text


UNICODE_DIGITS = st.characters(categories=["Nd", "No", "Zs"])  # "٣", "²", a no-break space


@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="0123456789.", max_size=70),
        st.text(alphabet="0123456789.+-eE _ \t\n", max_size=70),
        st.text(alphabet=UNICODE_DIGITS | st.sampled_from("."), max_size=8),
        st.text(max_size=10),
        st.integers(0, 10**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )
)  # fmt: skip
@example("9" * 63)
@example(" " * 3 + "1" * 62 + ".")
def test_number_reads_every_string_as_before(text: str) -> None:
    assert same_number(_number(text), number_before(text)), repr(text)


class Text(str):
    """A str subclass: ``isinstance`` accepts it, ``type() is`` does not."""


@pytest.mark.parametrize(
    "value", [True, False, None, 5, 2**2000, 5.0, math.nan, math.inf, [], {}, Text(" 5.5 ")]
)
def test_number_reads_each_non_plain_value_as_before(value: Any) -> None:
    assert same_number(_number(value), number_before(value))


# -- store/codec_savable._plain_snapshot --------------------------------------------------


class Moment(datetime):
    """A datetime subclass: ``type() is datetime`` says no."""


PLUS5 = timezone(timedelta(hours=5))
odd = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, 1, -1, 50, MAX_IMAGE_INDEX, MAX_IMAGE_INDEX + 1, 2**70]),
    st.sampled_from([0.0, -0.0, 5.1, -1.0, MAX_UNITS, MAX_UNITS * 2, 1e308]),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.sampled_from(["", "x", "succeed", Text("t"), Text("")]),
    st.sampled_from(
        [
            NOW,
            NOW.replace(tzinfo=None),
            NOW.astimezone(PLUS5),
            NOW.replace(tzinfo=timezone(timedelta(0))),  # UTC, but not the ``UTC`` object
            Moment(2026, 11, 22, tzinfo=UTC),
        ]
    ),
    st.sampled_from([Status.SUCCEEDED, "succeed", (), [], {"a": 1}]),
)


def maybe(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.tuples(st.integers(0, 6), good, odd).map(lambda t: t[2] if t[0] == 0 else t[1])


text = st.one_of(st.none(), st.text(max_size=4))
index = st.one_of(st.none(), st.integers(-2, MAX_IMAGE_INDEX + 2), st.sampled_from([True, 2**70]))
video = st.builds(
    Video, maybe(text), maybe(text), maybe(st.one_of(st.none(), st.floats(0, 100))), maybe(text)
)
image = st.builds(Image, maybe(index), maybe(text), maybe(text))
when = st.one_of(st.none(), st.just(NOW))


def many_images(draw: st.DrawFn) -> tuple[Any, ...]:
    count = draw(st.sampled_from([0, 1, 2, MAX_IMAGES, MAX_IMAGES + 1]))
    if count > 2:
        return tuple(Image(i % 3, "u") for i in range(count))
    return tuple(draw(st.lists(maybe(image), min_size=count, max_size=count)))


@st.composite
def snapshots(draw: st.DrawFn) -> TaskSnapshot:
    images = draw(odd) if draw(st.integers(0, 9)) == 0 else many_images(draw)
    return TaskSnapshot(
        task_id=draw(maybe(st.just("830000000000000001"))),
        kind="text2video",
        status=draw(maybe(st.sampled_from(list(Status)))),
        status_raw=draw(maybe(st.text(max_size=4))),
        progress=draw(maybe(st.one_of(st.none(), st.floats(0, 100), st.integers(0, 100)))),
        videos=draw(maybe(st.lists(maybe(video), max_size=2).map(tuple))),
        message=draw(maybe(st.text(max_size=4))),
        external_task_id=draw(maybe(text)),
        created_at=draw(maybe(when)),
        updated_at=draw(maybe(when)),
        fetched_at=draw(maybe(st.just(NOW))),
        images=images,
        parent_video=draw(maybe(st.one_of(st.none(), video))),
        final_unit_deduction=draw(maybe(st.one_of(st.none(), st.floats(0, MAX_UNITS)))),
        kling_task_id=draw(maybe(text)),
        model=draw(maybe(text)),
        progress_synthetic=draw(maybe(st.booleans())),
        expires_at=draw(maybe(when)),
        quota=draw(maybe(st.one_of(st.none(), st.floats(0, MAX_UNITS)))),
    )


@settings(max_examples=300, deadline=None)
@given(snapshots())
def test_plain_snapshot_accepts_exactly_what_it_accepted_before(
    savable_before: ModuleType, snap: TaskSnapshot
) -> None:
    assert _plain_snapshot(snap) is savable_before._plain_snapshot(snap)
    entry = WatchEntry("830000000000000001", "text2video", "native", NOW, snapshot=snap)
    from kling_tui.store.codec_savable import plainly_savable

    assert plainly_savable(entry) is savable_before.plainly_savable(entry)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(video, image, odd))
def test_plain_video_and_image_accept_what_the_old_checks_did(
    savable_before: ModuleType, item: Any
) -> None:
    assert _plain_video(item) is savable_before._plain_video(item)
    snap = TaskSnapshot.bare("830000000000000001", "text2video", Status.SUCCEEDED, NOW)
    with_image = TaskSnapshot.bare(
        "830000000000000001", "text2video", Status.SUCCEEDED, NOW, images=(item,)
    )
    assert _plain_snapshot(snap) and savable_before._plain_snapshot(snap)
    assert _plain_image(item) is savable_before._plain_snapshot(with_image)


def plain(**change: Any) -> TaskSnapshot:
    fetched = change.pop("fetched_at", NOW)
    return TaskSnapshot.bare(
        "830000000000000001", "text2video", Status.SUCCEEDED, fetched, **change
    )


@pytest.mark.parametrize(
    ("change", "accepted"),
    [
        ({}, True),
        ({"progress": 50.0}, True),
        ({"progress": 50}, False),  # an int is not the float the loader gives back
        ({"progress": True}, False),
        ({"progress": math.nan}, False),
        ({"progress": -math.inf}, False),
        ({"final_unit_deduction": True}, False),
        ({"quota": False}, False),
        ({"quota": MAX_UNITS}, True),
        ({"quota": MAX_UNITS * 2}, False),
        ({"created_at": NOW.replace(tzinfo=None)}, False),
        ({"updated_at": NOW.astimezone(PLUS5)}, False),
        ({"expires_at": Moment(2026, 1, 1, tzinfo=UTC)}, False),
        ({"fetched_at": Moment(2026, 1, 1, tzinfo=UTC)}, False),
        ({"message": Text("m")}, False),
        ({"model": Text("kling")}, False),
        ({"kling_task_id": Text("1")}, False),
        ({"images": (Image(True, "u"),)}, False),
        ({"images": (Image(-1, "u"),)}, False),
        ({"images": (Image(MAX_IMAGE_INDEX, "u"),)}, True),
        ({"images": (Image(MAX_IMAGE_INDEX + 1, "u"),)}, False),
        ({"images": (Image(2**70, "u"),)}, False),
        ({"images": (Image(0, Text("u")),)}, False),
        ({"images": tuple(Image(0, "u") for _ in range(MAX_IMAGES))}, True),
        ({"images": tuple(Image(0, "u") for _ in range(MAX_IMAGES + 1))}, False),
        ({"images": [Image(0, "u")]}, False),
        ({"videos": (Video(None, "u", True),)}, False),
        ({"videos": (Video(None, Text("u"), 5.1),)}, False),
        ({"parent_video": Video("1", "u", math.nan)}, False),
        ({"progress_synthetic": 1}, False),
    ],
)
def test_each_odd_field_gets_the_old_answer(
    savable_before: ModuleType, change: dict[str, Any], accepted: bool
) -> None:
    snap = plain(**change)
    assert savable_before._plain_snapshot(snap) is accepted
    assert _plain_snapshot(snap) is accepted


# -- gateway/shapes.shape_b: an empty task_status_msg ------------------------------------


@pytest.mark.parametrize(
    ("message", "shown"),
    [("", ""), (None, ""), (0, "0"), (0.0, "0.0"), (False, ""), ([], ""), ({}, ""),
     ("  ", "  "), ("SUCCEED", ""), (" succeed ", ""), (5, "5"), (Text(""), ""),
     ("quota \x1b[31m", "quota \\x1b[31m")],
)  # fmt: skip
def test_shape_b_reads_each_message_as_before(
    shapes_before: ModuleType, message: Any, shown: str
) -> None:
    ctx = CallContext(200, {}, "830000000000000001", "text2video", "", "", NOW)
    d: dict[str, Any] = {"task_id": "830000000000000001", "task_status": "processing"}
    d["task_status_msg"] = message
    new, old = shape_b(ctx, d, None), shapes_before.shape_b(ctx, d, None)
    assert new == old
    assert type(new.message) is str and new.message == old.message == shown
