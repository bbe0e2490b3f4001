"""normalize, field by field: status words, progress, times, durations and ids, hostile text
(cleaned and capped everywhere), and the properties every normalized answer keeps."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kling_tui.gateway.normalize import normalize
from kling_tui.gateway.shapes import RAW_LIMIT
from kling_tui.kinds import Kind
from kling_tui.models import ErrorType, Status, TaskSnapshot, Video
from tests.support.normalize import (
    JSON_CT,
    NOW,
    ORIGIN,
    PROPERTY_SETTINGS,
    UNSAFE,
    UNSAFE_RAW,
    T,
    any_body,
    assert_well_formed,
    err,
    headers_strategy,
    image_items,
    json_values,
    native,
    native_body,
    relay,
    relay_body,
    relay_record,
    snap,
    statuses,
    ts,
)

# -- status words ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("NOT_START", Status.SUBMITTED),
        ("SUBMITTED", Status.SUBMITTED),
        ("QUEUED", Status.SUBMITTED),
        ("IN_PROGRESS", Status.IN_PROGRESS),
        ("SUCCESS", Status.SUCCEEDED),
        ("FAILURE", Status.FAILED),
        ("UNKNOWN", Status.UNKNOWN),
        ("queued", Status.SUBMITTED),
        ("processing", Status.IN_PROGRESS),
        ("succeeded", Status.SUCCEEDED),
        ("failed", Status.FAILED),
        ("completed", Status.SUCCEEDED),
        ("in_progress", Status.IN_PROGRESS),
        (" Success ", Status.SUCCEEDED),
    ],
)
def test_relay_status_words(word: str, status: Status) -> None:
    result = snap(relay({"task_id": "t", "status": word}))
    assert result.status is status
    assert result.status_raw == word.strip()


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("submitted", Status.SUBMITTED),
        ("processing", Status.IN_PROGRESS),
        ("succeed", Status.SUCCEEDED),
        ("failed", Status.FAILED),
    ],
)
def test_native_status_words(word: str, status: Status) -> None:
    result = snap(native({"task_id": "1", "task_status": word}))
    assert result.status is status
    assert result.status_raw == word


@pytest.mark.parametrize(
    ("body", "raw"),
    [
        (relay({"task_id": "t", "status": "PAUSED"}), "PAUSED"),
        (native({"task_id": "1", "task_status": "rejected"}), "rejected"),
        ({"id": "v", "object": "video", "status": "cancelled"}, "cancelled"),
        (relay({"task_id": "t", "status": 3}), "3"),
        (relay({"task_id": "t", "status": None}), ""),
        (relay({"task_id": "t"}), ""),
        (relay({"task_id": "t", "status": ["x"]}), ""),
        (relay({"task_id": "t", "status": "evil\x1b[2J"}), "evil\\x1b[2J"),
    ],
)
def test_unknown_status_words_stay_visible(body: dict[str, Any], raw: str) -> None:
    result = snap(body)
    assert result.status is Status.UNKNOWN
    assert result.status_raw == raw
    assert result.status_label == (f"unknown ({raw})" if raw else "unknown")


def test_succeed_with_empty_videos() -> None:
    result = snap(native({"task_id": "1", "task_status": "succeed", "task_result": {"videos": []}}))
    assert result.status is Status.SUCCEEDED
    assert result.videos == ()
    assert result.progress == 100.0


# -- progress ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (45, 45.0),
        (45.5, 45.5),
        ("45", 45.0),
        ("45%", 45.0),
        (" 45 % ", 45.0),
        ("0%", 0.0),
        ("", None),
        ("%", None),
        (150, 100.0),
        ("250%", 100.0),
        (-5, 0.0),
        ("-5%", 0.0),
        ("abc", None),
        ("NaN", None),
        ("nan%", None),
        ("inf", None),
        ("Infinity", None),
        (True, None),
        (False, None),
        (None, None),
        ([40], None),
        ({"v": 40}, None),
        (10**400, None),
    ],
)
def test_progress_variants(value: Any, expected: float | None) -> None:
    a = snap(relay({"task_id": "t", "status": "IN_PROGRESS", "progress": value}))
    d = snap({"id": "v", "object": "video", "status": "in_progress", "progress": value})
    assert a.progress == expected
    assert d.progress == expected


def test_progress_missing() -> None:
    assert snap(relay({"task_id": "t", "status": "IN_PROGRESS"})).progress is None
    assert snap({"id": "v", "object": "video", "status": "queued"}).progress is None


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_progress_nan_and_inf_json_literals(literal: bytes) -> None:
    body = (
        b'{"code":"success","data":{"task_id":"t","status":"IN_PROGRESS","progress":'
        + literal
        + b"}}"
    )
    assert snap(body).progress is None


def test_progress_is_100_when_succeeded_and_kept_when_failed() -> None:
    assert snap(relay({"task_id": "t", "status": "SUCCESS", "progress": "30%"})).progress == 100.0
    assert snap(relay({"task_id": "t", "status": "FAILURE", "progress": "30%"})).progress == 30.0
    assert snap({"id": "v", "object": "video", "status": "completed"}).progress == 100.0
    assert snap(native({"task_id": "1", "task_status": "processing"})).progress is None


# -- times -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (T, ts(T)),
        (T * 1000, ts(T)),
        (T * 1000 + 123, ts(T + 0.123)),
        (T + 0.5, ts(T + 0.5)),
        (str(T), ts(T)),
        (str(T * 1000), ts(T)),
        (f" {T} ", ts(T)),
        ("2025-12-29T09:20:00Z", ts(T)),
        ("2025-12-29T10:20:00+01:00", ts(T)),
        ("2025-12-29T09:20:00", ts(T)),
        (0, None),
        ("0", None),
        (-5, None),
        ("", None),
        (True, None),
        (None, None),
        ("yesterday", None),
        ("2025-99-99T00:00:00", None),
        (10**30, None),
        (float("nan"), None),
        ([T], None),
    ],
)
def test_time_variants(value: Any, expected: datetime | None) -> None:
    a = snap(
        relay({"task_id": "t", "status": "SUBMITTED", "created_at": value, "updated_at": value})
    )
    b = snap(native({"task_id": "1", "task_status": "submitted", "created_at": value}))
    assert a.created_at == expected
    assert a.updated_at == expected
    assert b.created_at == expected


def test_seconds_and_milliseconds_in_the_same_answer() -> None:
    body = relay(
        {
            "task_id": "t",
            "status": "IN_PROGRESS",
            "submit_time": T,
            "start_time": 0,
            "finish_time": 0,
            "data": native({"task_id": "1", "task_status": "processing", "created_at": T * 1000}),
        }
    )
    result = snap(body)
    assert result.created_at == ts(T)
    assert result.updated_at == ts(T)  # only submit_time is known


def test_relay_times_fall_back_sensibly() -> None:
    inner = native({"task_id": "1", "task_status": "processing", "created_at": (T - 5) * 1000})
    result = snap(relay({"task_id": "t", "status": "IN_PROGRESS", "data": inner}))
    assert result.created_at == ts(T - 5)  # creation time from the inner copy
    assert result.updated_at is None  # the inner update time may be stale: not used
    later = snap(
        relay(
            {
                "task_id": "t",
                "status": "SUCCESS",
                "submit_time": T,
                "start_time": T + 30,
                "finish_time": T + 90,
            }
        )
    )
    assert later.created_at == ts(T)
    assert later.updated_at == ts(T + 90)


def test_openai_completed_at_is_the_update_time() -> None:
    result = snap(
        {
            "id": "v",
            "object": "video",
            "status": "completed",
            "created_at": T * 1000,
            "completed_at": (T + 60) * 1000,
        }
    )
    assert result.created_at == ts(T)
    assert result.updated_at == ts(T + 60)


# -- durations, ids ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5.1", 5.1),
        (5.1, 5.1),
        (10, 10.0),
        ("10", 10.0),
        ("5s", 5.0),
        ("", None),
        (None, None),
        (True, None),
        ("-1", None),
        ("long", None),
        ("nan", None),
    ],
)
def test_duration_variants(value: Any, expected: float | None) -> None:
    videos = {"videos": [{"id": "v", "url": "https://x.test/v.mp4", "duration": value}]}
    result = snap(native({"task_id": "1", "task_status": "succeed", "task_result": videos}))
    assert result.videos == (Video("v", "https://x.test/v.mp4", expected),)
    d = snap(
        {
            "id": "v",
            "object": "video",
            "status": "completed",
            "seconds": value,
            "metadata": {"url": "https://x.test/v.mp4"},
        }
    )
    assert d.videos == (Video(None, "https://x.test/v.mp4", expected),)


def test_duration_missing() -> None:
    videos = {"videos": [{"id": "v", "url": "https://x.test/v.mp4"}]}
    result = snap(native({"task_id": "1", "task_status": "succeed", "task_result": videos}))
    assert result.videos[0].duration is None


BIG = 8279963853953638467  # 19 digits, > 2**63 / 2, > 2**53


def test_nineteen_digit_integer_ids_stay_exact() -> None:
    body = (
        b'{"code":0,"data":{"task_id":8279963853953638467,"task_status":"succeed",'
        b'"task_result":{"videos":[{"id":9223372036854775807,"url":"https://x.test/a.mp4",'
        b'"duration":5}]}}}'
    )
    result = snap(body)
    assert result.task_id == "8279963853953638467"
    assert result.videos[0].id == "9223372036854775807"
    assert str(BIG) == result.task_id
    assert float(BIG) != BIG  # the reason: a float would have changed the id


def test_integer_ids_in_every_shape() -> None:
    assert snap(relay({"task_id": BIG, "status": "QUEUED"})).task_id == str(BIG)
    assert snap({"id": BIG, "object": "video", "status": "queued"}).task_id == str(BIG)
    assert snap(native({"task_id": BIG, "task_status": "submitted"})).task_id == str(BIG)
    assert (
        snap(
            native(
                {"task_id": "1", "task_status": "submitted", "task_info": {"external_task_id": 42}}
            )
        ).external_task_id
        == "42"
    )


@pytest.mark.parametrize("bad", [None, "", "  ", True, 8.27e17, [1], {"a": 1}])
def test_unusable_ids_fall_back_to_the_queried_id(bad: Any) -> None:
    result = snap(native({"task_id": bad, "task_status": "submitted"}), task_id="Q\x1b-9")
    assert result.task_id == "Q\\x1b-9"


def test_video_entries_that_are_not_objects_are_skipped() -> None:
    videos = {
        "videos": [
            "https://x.test/a.mp4",
            None,
            {},
            {"url": 5},
            {"id": 7},
            {"url": "https://x.test/b.mp4"},
        ]
    }
    result = snap(native({"task_id": "1", "task_status": "succeed", "task_result": videos}))
    assert result.videos == (Video("7", None, None), Video(None, "https://x.test/b.mp4", None))


def test_videos_are_capped() -> None:
    videos = {"videos": [{"id": str(i), "url": f"https://x.test/{i}.mp4"} for i in range(500)]}
    result = snap(native({"task_id": "1", "task_status": "succeed", "task_result": videos}))
    assert len(result.videos) == 64


def test_native_external_id_and_extra_fields_ignored() -> None:
    task = {
        "task_id": "1",
        "task_status": "succeed",
        "task_status_msg": "",
        "task_info": {"external_task_id": "order-42", "parent_video": {"id": "p"}},
        "task_result": {
            "videos": [{"id": "v", "url": "https://x.test/v.mp4", "duration": "5"}],
            "images": [{"index": 0, "url": "https://x.test/i.png"}],
        },
        "final_unit_deduction": "1",
        "whatever": {"nested": [1, 2, 3]},
    }
    result = snap({**native(task), "extra": True})
    assert result.external_task_id == "order-42"
    assert result.videos == (Video("v", "https://x.test/v.mp4", 5.0),)


# -- hostile text --------------------------------------------------------------------------


def test_server_text_is_cleaned_everywhere() -> None:
    task = {
        "task_id": "id\x1b]52;c;aGk=\x07",
        "task_status": "succeed\u202e",
        "task_status_msg": "[@click=app.quit]x[/] \x9b2J 😀 中文",
        "task_info": {"external_task_id": "ext\u2066"},
        "task_result": {"videos": [{"id": "v\x00", "url": "https://x.test/\x1b[0m.mp4"}]},
    }
    result = snap(native(task))
    assert result.task_id == "id\\x1b]52;c;aGk=\\x07"
    assert result.status_raw == "succeed\\u202e"
    assert result.status is Status.UNKNOWN
    assert result.message == "[@click=app.quit]x[/] \\x9b2J 😀 中文"
    assert result.external_task_id == "ext\\u2066"
    # an unknown status still exposes the videos it carries (cleaned)
    assert result.videos == (Video("v\\x00", "https://x.test/\\x1b[0m.mp4", None),)
    assert result.raw is not None
    assert UNSAFE_RAW.search(result.raw) is None


def test_error_messages_are_cleaned() -> None:
    result = err(
        {"code": 1004, "message": "expired\x1b[2J\u202e"},
        401,
        origin="https://evil\x1b.test",
        hint="KEY\x07",
    )
    assert UNSAFE.search(result.message) is None
    assert result.message == (
        "token rejected by https://evil\\x1b.test (401): check KEY\\x07"
        " (server code 1004: expired\\x1b[2J\\u202e)"
    )
    odd_code = err({"code": "bad\x1bcode", "message": "m"}, 400)
    assert odd_code.code == "bad\\x1bcode"


def test_long_texts_are_capped() -> None:
    long_message = "m" * 1_000_000
    result = snap(
        native({"task_id": "1", "task_status": "failed", "task_status_msg": long_message})
    )
    assert len(result.message) == 2000
    assert result.message.endswith("…")
    long_url = "https://x.test/" + "u" * 10_000
    ok = snap(
        native(
            {
                "task_id": "1",
                "task_status": "succeed",
                "task_result": {"videos": [{"url": long_url}]},
            }
        )
    )
    assert ok.videos[0].url is not None and len(ok.videos[0].url) == 4096
    error = err({"code": 1004, "message": long_message}, 401)
    assert len(error.message) < 1200
    long_id = snap(native({"task_id": "9" * 5000, "task_status": "submitted"}))
    assert len(long_id.task_id) == 256


def test_raw_is_cleaned_capped_and_keeps_lines() -> None:
    body = json.dumps(
        native({"task_id": "1", "task_status": "processing", "task_status_msg": "a\x1bb"}), indent=2
    ).encode()
    result = snap(body)
    assert result.raw is not None
    assert "\n" in result.raw
    assert "\x1b" not in result.raw
    assert '"task_status_msg": "a\\u001bb"' in result.raw  # json.dumps already escapes it
    hostile = (
        b'{"code":0,"data":{"task_id":"1","task_status":"processing","x":"\xe2\x80\xae\xc2\x9b"}}'
    )
    cleaned = snap(hostile).raw
    assert cleaned is not None and "\\u202e\\x9b" in cleaned
    padding = "p" * (RAW_LIMIT * 2)
    big = snap(native({"task_id": "1", "task_status": "processing", "pad": padding}))
    assert big.raw is not None
    assert len(big.raw) == RAW_LIMIT
    assert big.raw.endswith("…")


def test_raw_replaces_invalid_utf8_in_strings_it_does_not_read() -> None:
    # json.loads refuses invalid UTF-8, so such a body never becomes a snapshot
    result = err(b'{"code":0,"data":{"task_id":"1","task_status":"submitted","x":"\xff"}}')
    assert result.type is ErrorType.BAD_RESPONSE


# -- properties ------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(statuses, headers_strategy, st.binary(max_size=300))
def test_property_arbitrary_bytes_never_raise(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    assert_well_formed(
        normalize(status, headers, body, task_id="t", kind="text2video", origin=ORIGIN, now=NOW)
    )


@PROPERTY_SETTINGS
@given(statuses, headers_strategy, json_values)
def test_property_arbitrary_json_never_raises(
    status: int, headers: dict[str, str], value: Any
) -> None:
    body = json.dumps(value).encode()
    assert_well_formed(
        normalize(status, headers, body, task_id="t", kind="text2video", origin=ORIGIN, now=NOW)
    )


@PROPERTY_SETTINGS
@given(statuses, any_body, st.booleans(), st.sampled_from([k.value for k in Kind]))
def test_property_envelope_like_json_never_raises(
    status: int, value: Any, truncate: bool, kind: str
) -> None:
    body = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if truncate:
        body = body[: len(body) // 2]
    result = normalize(status, JSON_CT, body, task_id="t", kind=kind, origin=ORIGIN, now=NOW)
    assert_well_formed(result)
    if isinstance(result, TaskSnapshot):
        assert 200 <= status < 300
        assert result.kind == kind
    elif status == 404 and result.type is ErrorType.NOT_FOUND:
        # issue 12: a 404 is about the task or about the kind's path, never both
        assert ("does not serve" in result.message) != (" not found on " in result.message)


@PROPERTY_SETTINGS
@given(relay_record)
def test_property_relay_records_always_give_a_snapshot(record: dict[str, Any]) -> None:
    result = normalize(
        200,
        JSON_CT,
        json.dumps(relay(record)).encode(),
        task_id="t",
        kind="text2video",
        origin=ORIGIN,
        now=NOW,
    )
    assert isinstance(result, TaskSnapshot)
    assert_well_formed(result)


def _has_url(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


@PROPERTY_SETTINGS
@given(image_items, st.sampled_from(["succeed", "processing", "failed"]), st.booleans())
def test_property_image_answers(items: list[Any], status: str, behind_relay: bool) -> None:
    """issue 12: every image item with a URL is kept, in order, once the task is finished;
    behind a 2026 relay too, which also gives Kling's id."""
    data = {"task_id": "842318570933727301", "task_status": status, "task_result": {}}
    data["task_result"] = {"images": items}
    body: dict[str, Any] = {"code": 0, "data": data}
    if behind_relay:
        relay_status = {"succeed": "SUCCESS", "processing": "IN_PROGRESS", "failed": "FAILURE"}
        body = relay({"task_id": "task_" + "x" * 32, "status": relay_status[status], "data": body})
    result = normalize(
        200,
        JSON_CT,
        json.dumps(body).encode(),
        task_id="t",
        kind="image-generations",
        origin=ORIGIN,
        now=NOW,
    )
    assert isinstance(result, TaskSnapshot)
    assert_well_formed(result)
    wanted = [
        i
        for i in items
        if isinstance(i, dict) and (_has_url(i.get("url")) or _has_url(i.get("watermark_url")))
    ]
    assert len(result.images) == (len(wanted) if status == "succeed" else 0)
    assert result.videos == ()
    assert result.kling_task_id == ("842318570933727301" if behind_relay else None)


@PROPERTY_SETTINGS
@given(native_body | relay_body, st.sampled_from([k.value for k in Kind]))
def test_property_what_normalize_keeps_the_store_keeps(value: Any, kind: str) -> None:
    """issue 12: images, watermarks, parent video, cost, Kling's id and model within the
    normalizer's caps are within the watch list's too: a saved snapshot loads back equal."""
    from kling_tui.models import WatchEntry
    from kling_tui.store.codec import entry_to_table, read_entry

    body = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    result = normalize(200, JSON_CT, body, task_id="t", kind=kind, origin=ORIGIN, now=NOW)
    if not isinstance(result, TaskSnapshot):
        return
    entry = WatchEntry("t", kind, "main", NOW, snapshot=result, last_checked=NOW)
    back = read_entry(entry_to_table(entry)).snapshot
    assert back is not None
    for name in (
        "status", "status_raw", "message", "videos", "images", "parent_video",
        "final_unit_deduction", "kling_task_id", "model", "external_task_id",
    ):  # fmt: skip
        assert getattr(back, name) == getattr(result, name), name
