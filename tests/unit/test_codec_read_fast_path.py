"""The codec's read path takes a short cut for well-formed values (a printable string
within its cap, an aware-UTC datetime, a finite float): every other value must still be
cleaned, converted or refused exactly as the full checks do (the watch list is input).
One field at a time, each odd value goes through ``read_entry`` and is compared with what
the full check it falls back to gives."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from kling_tui.gateway.fields import ID_LIMIT, MESSAGE_LIMIT, URL_LIMIT, WORD_LIMIT
from kling_tui.gateway.sanitize import clean_text
from kling_tui.store.codec import GATEWAY_NAME_LIMIT, LABEL_LIMIT, read_entry
from kling_tui.store.errors import EntryInvalid

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
ESC = "a\x1b]52;c;cHduZWQ=\x07b\u202ec"


def table() -> dict[str, Any]:
    """A well-formed entry using every field the short cut looks at."""
    return {
        "id": "866889456698785798",
        "kind": "text2video",
        "gateway": "relay",
        "label": "shot",
        "added_at": T0,
        "last": {
            "task_id": "task_1",
            "status": "succeeded",
            "status_raw": "succeed",
            "progress": 100.0,
            "message": "done",
            "external_task_id": "ext-1",
            "kling_task_id": "866889456698785799",
            "model": "kling-v2-1",
            "created_at": T0,
            "updated_at": T0,
            "fetched_at": T0,
            "final_unit_deduction": 2.5,
            "videos": [{"id": "v1", "url": "https://cdn.example/v.mp4", "duration": 5.1}],
            "parent_video": {"id": "p1", "url": "https://cdn.example/p.mp4", "duration": 5.0},
        },
    }


TEXT_FIELDS: list[tuple[tuple[str, ...], int, Any]] = [
    (("gateway",), GATEWAY_NAME_LIMIT, lambda e: e.gateway),
    (("label",), LABEL_LIMIT, lambda e: e.label),
    (("last", "task_id"), ID_LIMIT, lambda e: e.snapshot.task_id),
    (("last", "status_raw"), WORD_LIMIT, lambda e: e.snapshot.status_raw),
    (("last", "message"), MESSAGE_LIMIT, lambda e: e.snapshot.message),
    (("last", "external_task_id"), ID_LIMIT, lambda e: e.snapshot.external_task_id),
    (("last", "kling_task_id"), ID_LIMIT, lambda e: e.snapshot.kling_task_id),
    (("last", "model"), WORD_LIMIT, lambda e: e.snapshot.model),
    (("last", "videos", 0, "id"), ID_LIMIT, lambda e: e.snapshot.videos[0].id),
    (("last", "videos", 0, "url"), URL_LIMIT, lambda e: e.snapshot.videos[0].url),
    (
        ("last", "videos", 0, "watermark_url"),
        URL_LIMIT,
        lambda e: e.snapshot.videos[0].watermark_url,
    ),
    (("last", "parent_video", "url"), URL_LIMIT, lambda e: e.snapshot.parent_video.url),
]


def put(t: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    node: Any = t
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return t


def test_the_well_formed_entry_reads_as_written() -> None:
    entry = read_entry(table())
    assert entry.label == "shot" and entry.snapshot is not None
    assert entry.snapshot.videos[0].duration == 5.1
    assert entry.snapshot.final_unit_deduction == 2.5


@pytest.mark.parametrize(("path", "limit", "read"), TEXT_FIELDS, ids=lambda v: str(v))
@pytest.mark.parametrize("odd", ["escapes", "too long", "long with escapes"])
def test_odd_text_is_cleaned_as_the_full_check_does(
    path: tuple[str, ...], limit: int, read: Any, odd: str
) -> None:
    value = {
        "escapes": ESC,
        "too long": "x" * (limit + 1),
        "long with escapes": ESC * limit,
    }[odd]
    got = read(read_entry(put(table(), path, value)))
    assert got == clean_text(value, limit)
    assert got != value and len(got) <= limit and got.isprintable()


@pytest.mark.parametrize(("path", "limit", "read"), TEXT_FIELDS, ids=lambda v: str(v))
def test_text_of_another_type_is_refused(path: tuple[str, ...], limit: int, read: Any) -> None:
    if path == ("gateway",):
        with pytest.raises(EntryInvalid, match="gateway must be a non-empty string"):
            read_entry(put(table(), path, 5))
        return
    with pytest.raises(EntryInvalid, match="must be a string"):
        read_entry(put(table(), path, 5))


NUMBER_FIELDS = [
    (("last", "progress"), lambda e: e.snapshot.progress),
    (("last", "final_unit_deduction"), lambda e: e.snapshot.final_unit_deduction),
    (("last", "videos", 0, "duration"), lambda e: e.snapshot.videos[0].duration),
    (("last", "parent_video", "duration"), lambda e: e.snapshot.parent_video.duration),
]


@pytest.mark.parametrize(("path", "read"), NUMBER_FIELDS, ids=lambda v: str(v))
def test_numbers_an_integer_becomes_a_float(path: tuple[str, ...], read: Any) -> None:
    got = read(read_entry(put(table(), path, 7)))
    assert got == 7.0 and type(got) is float


@pytest.mark.parametrize(("path", "read"), NUMBER_FIELDS, ids=lambda v: str(v))
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "5", True])
def test_numbers_not_finite_or_not_numbers_are_refused(
    path: tuple[str, ...], read: Any, bad: Any
) -> None:
    with pytest.raises(EntryInvalid, match=r"must be a (finite )?number"):
        read_entry(put(table(), path, bad))


def test_cost_range_is_kept() -> None:
    with pytest.raises(EntryInvalid, match="final_unit_deduction must be in"):
        read_entry(put(table(), ("last", "final_unit_deduction"), -1.0))


TIME_FIELDS = [
    (("added_at",), lambda e: e.added_at),
    (("last", "created_at"), lambda e: e.snapshot.created_at),
    (("last", "updated_at"), lambda e: e.snapshot.updated_at),
    (("last", "fetched_at"), lambda e: e.snapshot.fetched_at),
]


@pytest.mark.parametrize(("path", "read"), TIME_FIELDS, ids=lambda v: str(v))
@pytest.mark.parametrize(
    "value",
    [
        T0.astimezone(timezone(timedelta(hours=2))),  # another offset
        T0.replace(tzinfo=None),  # a TOML local date-time
        "2026-11-22T10:00:00Z",  # quoted by a hand edit
    ],
    ids=["offset", "local", "string"],
)
def test_times_come_back_aware_utc(path: tuple[str, ...], read: Any, value: Any) -> None:
    got = read(read_entry(put(table(), path, value)))
    assert got == T0 and got.tzinfo is UTC


@pytest.mark.parametrize(("path", "read"), TIME_FIELDS, ids=lambda v: str(v))
def test_times_of_another_type_are_refused(path: tuple[str, ...], read: Any) -> None:
    with pytest.raises(EntryInvalid, match="must be a date-time"):
        read_entry(put(table(), path, 5))


def test_status_kind_and_flags_are_still_checked() -> None:
    with pytest.raises(EntryInvalid, match=r"last\.status must be one of"):
        read_entry(put(table(), ("last", "status"), "done"))
    with pytest.raises(EntryInvalid, match=r"last\.status must be one of"):
        read_entry(put(table(), ("last", "status"), ["succeeded"]))
    with pytest.raises(EntryInvalid, match="kind must be one of"):
        read_entry(put(table(), ("kind",), "text2videos"))
    assert read_entry(put(table(), ("kind",), " Text2Video ")).kind == "text2video"
    with pytest.raises(EntryInvalid, match="progress_synthetic must be true or false"):
        read_entry(put(table(), ("last", "progress_synthetic"), 1))
    with pytest.raises(EntryInvalid, match=r"last\.videos must be an array"):
        read_entry(put(table(), ("last", "videos"), "v.mp4"))
    with pytest.raises(EntryInvalid, match=r"last\.images must be an array"):
        read_entry(put(table(), ("last", "images"), "i.png"))
    assert read_entry(put(table(), ("last", "videos"), [])).snapshot.videos == ()  # type: ignore[union-attr]
