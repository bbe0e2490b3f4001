"""``codec_text.plain_tasks_text``: the ``[[tasks]]`` text of plain entries, written without
rtoml, must be rtoml's text byte for byte, or None (rtoml then writes it). A file written
one way or the other must not differ: the parsed cache, the staged add's join and anyone
diffing the watch list rely on it."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rtoml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kling_tui.gateway.fields import MAX_UNITS
from kling_tui.importing.plan import ImportPlanner
from kling_tui.models import ErrorType, FetchError, Image, Status, TaskSnapshot, Video, WatchEntry
from kling_tui.store.codec import entry_to_table, plainly_savable
from kling_tui.store.codec_text import _NOT_BARE, plain_tasks_text
from tests.unit.test_codec_plainly_savable import entry as odd_entry
from tests.unit.test_codec_plainly_savable import normalized_snapshots

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def rtoml_text(batch: list[WatchEntry]) -> str:
    return rtoml.dumps({"tasks": [entry_to_table(e) for e in batch]})


# -- generated entries: every text, float and time form, the plain ones most often --------

bare_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\'),
    max_size=12,
)
bad_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['a"b', "a\\b", "a\nb", "a\tb", "\x7f", "\x1b[31m", "\ud800", "'", ""]),
)
safe_float = st.one_of(
    st.floats(1e-4, 100),
    st.floats(1e-4, MAX_UNITS),
    st.sampled_from([0.0, -0.0, 1e-4, MAX_UNITS, 123456.125, 5.1, 0.1 + 0.2, 100.0]),
)
bad_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([9.99e-5, 1e16, 1e300, 5e-324]),
    st.floats(0, 1e-5),
)
utc_time = st.one_of(
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)).map(
        lambda t: t.replace(tzinfo=UTC, microsecond=t.microsecond // 1000 * 1000)
    ),
)
bad_time = st.sampled_from([NOW.replace(tzinfo=None), NOW.astimezone(timezone(timedelta(hours=2)))])


def entries(text: st.SearchStrategy, number: st.SearchStrategy, time: st.SearchStrategy):
    optional = st.one_of(st.none(), text)
    video = st.builds(Video, optional, optional, st.one_of(st.none(), number), optional)
    image = st.builds(Image, st.one_of(st.none(), st.integers(0, 20)), optional, optional)
    snapshot = st.builds(
        TaskSnapshot,
        task_id=st.sampled_from(["830000000000000001", "task_abc", "831"]),
        kind=st.just("text2video"),
        status=st.sampled_from(list(Status)),
        status_raw=text,
        progress=st.one_of(st.none(), number),
        videos=st.lists(video, max_size=2).map(tuple),
        message=text,
        external_task_id=optional,
        created_at=st.one_of(st.none(), time),
        updated_at=st.one_of(st.none(), time),
        fetched_at=time,
        images=st.lists(image, max_size=2).map(tuple),
        parent_video=st.one_of(st.none(), video),
        final_unit_deduction=st.one_of(st.none(), number),
        kling_task_id=optional,
        model=optional,
        progress_synthetic=st.booleans(),
        expires_at=st.one_of(st.none(), time),
        quota=st.one_of(st.none(), number),
    )
    entry = st.builds(
        WatchEntry,
        task_id=st.sampled_from(["830000000000000001", "task_0123456789abcdef", "ext-1"]),
        kind=st.sampled_from(["text2video", "image-generations", "advanced-lip-sync"]),
        gateway=st.one_of(st.sampled_from(["native", "relay"]), text.filter(bool)),
        added_at=time,
        label=optional,
        snapshot=st.one_of(st.none(), snapshot),
        external=st.booleans(),
    )
    return st.lists(entry, min_size=1, max_size=4)


def rarely(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """The good value nine times in ten: an entry has some twenty such fields, and one bad
    one sends the whole batch to rtoml."""
    return st.tuples(st.integers(0, 9), good, bad).map(lambda t: t[2] if t[0] == 0 else t[1])


plain_entries = entries(bare_text, safe_float, utc_time)
mixed_entries = entries(
    rarely(bare_text, bad_text), rarely(safe_float, bad_float), rarely(utc_time, bad_time)
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plain_entries)
def test_plain_entries_are_written_directly_as_rtoml_writes_them(batch: list[WatchEntry]) -> None:
    text = plain_tasks_text(batch)
    assert text is not None
    assert text == rtoml_text(batch)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_entries)
def test_the_text_is_rtomls_byte_for_byte_or_none(batch: list[WatchEntry]) -> None:
    text = plain_tasks_text(batch)
    if text is not None:
        assert text == rtoml_text(batch)


@settings(max_examples=400, deadline=None)
@given(st.lists(odd_entry, max_size=3))
def test_entries_with_wrong_types_get_rtomls_text_or_none(batch: list[WatchEntry]) -> None:
    """The plainly-savable test's generator: values of every wrong type in every field."""
    text = plain_tasks_text(batch)
    if batch and text is not None:
        assert text == rtoml_text(batch)


def plain_entry(**snap: object) -> WatchEntry:
    base = normalized_snapshots()[0]
    fields = {f: getattr(base, f) for f in base.__slots__ if not f.startswith("_")}
    fields.update(snap)
    return WatchEntry(
        "830000000000000001", "text2video", "native", NOW, snapshot=TaskSnapshot(**fields)
    )


def test_what_an_import_builds_is_written_directly_and_equals_rtoml() -> None:
    planner = ImportPlanner([], now=NOW)
    new = planner.feed_listed(normalized_snapshots(), "native")
    assert new and all(plainly_savable(e) for e in new)
    text = plain_tasks_text(new)
    assert text is not None, "the import's common form must take the direct path"
    assert text == rtoml_text(new)
    assert plain_tasks_text(new, plain=True) == text


@pytest.mark.parametrize(
    "snap",
    [
        {"message": 'a "quoted" word'},  # rtoml writes a literal string
        {"message": "C:\\path"},
        {"status_raw": "tab\there"},
        {"progress": 1e-05},  # Python writes an exponent, Rust does not
        {"final_unit_deduction": 1e16},
        {"videos": (Video("1", "http://h/\x7f", 5.0),)},
        {"model": "\ud800"},  # rtoml refuses it: the caller's rtoml pass says so
    ],
)
def test_a_value_rtoml_writes_otherwise_is_left_to_rtoml(snap: dict[str, object]) -> None:
    entry = plain_entry(**snap)
    assert plain_tasks_text([entry]) is None
    assert plain_tasks_text([plain_entry(), entry]) is None  # the whole batch


@pytest.mark.parametrize(
    "change",
    [
        {"last_error": FetchError(ErrorType.NETWORK, "down", at=NOW)},
        {"state_since": NOW},
        {"base_url": "http://127.0.0.1:1"},
        {"extra": {"note": "kept"}},
        {"added_at": NOW.replace(tzinfo=None)},
    ],
)
def test_an_entry_that_is_not_plain_is_left_to_rtoml(change: dict[str, object]) -> None:
    entry = plain_entry()
    for key, value in change.items():
        setattr(entry, key, value)
    assert plain_tasks_text([entry]) is None


def test_the_common_forms_are_all_written_directly() -> None:
    """Each optional key present, each in its common form: the direct path, rtoml's bytes."""
    entry = plain_entry(
        task_id="831",
        progress=45.5,
        external_task_id="ext-1",
        final_unit_deduction=2.0,
        quota=10.0,
        kling_task_id="832",
        model="kling-v2-1",
        progress_synthetic=True,
        expires_at=NOW + timedelta(days=30),
        videos=(Video("1", "u", 5.1), Video(None, "u2", None, "w"), Video("3", None, None)),
        images=(Image(0, "i0"), Image(None, None, "w1")),
        parent_video=Video("p", "http://h/p.mp4", 10.0),
    )
    entry.label = "ünïcode ✓ 任务 'quoted'"
    entry.external = True
    text = plain_tasks_text([entry, plain_entry()])
    assert text is not None
    assert text == rtoml_text([entry, plain_entry()])


@settings(max_examples=500, deadline=None)
@given(st.datetimes(timezones=st.just(UTC)))
def test_every_utc_time_is_written_as_rtoml_writes_it(when: datetime) -> None:
    entry = WatchEntry("1", "text2video", "native", when)
    assert plain_tasks_text([entry]) == rtoml_text([entry])


def test_the_bare_characters_are_exactly_those_rtoml_writes_as_they_are() -> None:
    """Every code point (the Basic Multilingual Plane whole, the others sampled): the
    check lets one through only where rtoml writes it between double quotes unchanged."""
    points = [*range(0x10000), *range(0x10000, sys.maxunicode + 1, 251)]
    for c in points:
        ch = chr(c)
        if 0xD800 <= c <= 0xDFFF:
            assert _NOT_BARE.search(ch), hex(c)  # rtoml cannot write it at all
            continue
        rtoml_bare = rtoml.dumps({"a": ch}) == f'a = "{ch}"\n'
        assert (_NOT_BARE.search(ch) is None) == rtoml_bare, hex(c)
