"""normalize: every envelope and variant a gateway sends, into one model: each fixture field
by field, shape A's details (relay records and their inner copy), shapes C and D.

Errors are in test_normalize_errors.py; single fields, hostile text and the properties every
answer keeps in test_normalize_fields.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kling_tui.models import ErrorType, Status, TaskSnapshot, Video
from tests.support.normalize import (
    NF,
    NOW,
    T,
    err,
    native,
    relay,
    run,
    snap,
    ts,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


# -- every fixture, exact fields -----------------------------------------------------------

NATIVE_CREATED = datetime(2024, 11, 22, 8, 0, tzinfo=UTC)

SNAPSHOT_FIXTURES: dict[str, dict[str, Any]] = {
    "native-submitted": {
        "task_id": "827996385395363846",
        "status": Status.SUBMITTED,
        "status_raw": "submitted",
        "progress": None,
        "videos": (),
        "message": "",
        "external_task_id": None,
        "created_at": NATIVE_CREATED,
        "updated_at": NATIVE_CREATED,
    },
    "native-processing": {
        "task_id": "827996385395363846",
        "status": Status.IN_PROGRESS,
        "status_raw": "processing",
        "progress": None,
        "videos": (),
        "message": "",
        "external_task_id": "order-42",
        "created_at": NATIVE_CREATED,
        "updated_at": NATIVE_CREATED + timedelta(seconds=30),
    },
    "native-succeed-multi-image": {
        "task_id": "827996385395363846",
        "status": Status.SUCCEEDED,
        "status_raw": "succeed",
        "progress": 100.0,
        "videos": (Video("v-1", "https://cdn.example.test/kling/v-1.mp4", 10.1),),
        "message": "",
        "external_task_id": None,
        "created_at": NATIVE_CREATED,
        "updated_at": NATIVE_CREATED + timedelta(seconds=120),
    },
    "native-failed": {
        "task_id": "827996385395363847",
        "status": Status.FAILED,
        "status_raw": "failed",
        "progress": None,
        "videos": (),
        "message": "Failure to pass the risk control system",
        "external_task_id": None,
        "created_at": NATIVE_CREATED,
        "updated_at": NATIVE_CREATED + timedelta(seconds=10),
    },
    "openai-video-object": {
        "task_id": "task_T3BlbkFJU3R5bGVWaWRlb09iamVjdDAwMDE",
        "status": Status.IN_PROGRESS,
        "status_raw": "in_progress",
        "progress": 30.0,
        "videos": (),
        "message": "",
        "external_task_id": None,
        "created_at": datetime(2025, 12, 29, 9, 20, 0, 123000, tzinfo=UTC),
        "updated_at": None,
    },
    "simple-envelope": {
        "task_id": "866889456698785801",
        "status": Status.SUCCEEDED,
        "status_raw": "succeeded",
        "progress": 100.0,
        "videos": (Video(None, "https://cdn.example.test/kling/866889456698785801.mp4", None),),
        "message": "",
        "external_task_id": None,
        "created_at": None,
        "updated_at": None,
    },
    "unified-2025-url-in-fail-reason": {
        "task_id": "866889456698785800",
        "status": Status.SUCCEEDED,
        "status_raw": "SUCCESS",
        "progress": 100.0,
        "videos": (Video("v-800", "https://cdn.example.test/kling/866889456698785800.mp4", 5.1),),
        "message": "",  # fail_reason holds the URL here, not a failure
        "external_task_id": None,
        "created_at": ts(1757990000),
        "updated_at": ts(1757990105),
    },
    "unified-2026-in-progress": {
        "task_id": "task_Q2xvbmVkQnlLbGluZ1R1aURlbW8xMjM0",  # the relay's id, not Kling's
        "status": Status.IN_PROGRESS,
        "status_raw": "IN_PROGRESS",
        "progress": 30.0,
        "videos": (),
        "message": "",
        "external_task_id": None,
        "created_at": ts(1767000000),
        "updated_at": ts(1767000031),
    },
    "unified-2026-success-result-url": {
        "task_id": "task_QW5vdGhlclRhc2tGb3JUaGVEYXNoYm9hcmQ",
        "status": Status.SUCCEEDED,
        "status_raw": "SUCCESS",
        "progress": 100.0,
        "videos": (Video("v-799", "https://cdn.example.test/kling/866889456698785799.mp4", 10.0),),
        "message": "",
        "external_task_id": None,
        "created_at": ts(1767000000),
        "updated_at": ts(1767000120),
    },
    "unified-failure": {
        "task_id": "842250903629086788",
        "status": Status.FAILED,
        "status_raw": "FAILURE",
        "progress": 100.0,
        "videos": (),
        "message": "task failed: content moderation",
        "external_task_id": None,
        "created_at": None,
        "updated_at": None,
    },
    "unified-in-progress": {
        "task_id": "842250903629086786",
        "status": Status.IN_PROGRESS,
        "status_raw": "IN_PROGRESS",
        "progress": 40.0,
        "videos": (),
        "message": "",
        "external_task_id": None,
        "created_at": None,
        "updated_at": None,
    },
    "unified-submitted": {
        "task_id": "842250903629086787",
        "status": Status.SUBMITTED,
        "status_raw": "SUBMITTED",
        "progress": 0.0,
        "videos": (),
        "message": "",
        "external_task_id": None,
        "created_at": None,
        "updated_at": None,
    },
    "unified-success": {
        "task_id": "842250903629086785",
        "status": Status.SUCCEEDED,
        "status_raw": "SUCCESS",
        "progress": 100.0,
        "videos": (
            Video(
                "842250903708762200", "https://cdn.example.test/kling/842250903708762200.mp4", 5.1
            ),
        ),
        "message": "",
        "external_task_id": None,
        "created_at": None,
        "updated_at": None,
    },
}

ERROR_FIXTURES: dict[str, tuple[int, dict[str, Any]]] = {
    "native-error-1004-401": (
        401,
        {
            "type": ErrorType.AUTH,
            "code": "1004",
            "retry_after": None,
            "message": "token rejected by https://relay.test (401): check KLING_API_KEY"
            " (server code 1004: authorization is expired)",
        },
    ),
    "native-error-1203-404": (
        404,
        {
            "type": ErrorType.NOT_FOUND,
            "code": "1203",
            "retry_after": None,
            "message": NF + " (server code 1203: resource not found)",
        },
    ),
    "native-error-1302-429": (
        429,
        {
            "type": ErrorType.RATE_LIMITED,
            "code": "1302",
            "retry_after": None,
            "message": "rate limited by https://relay.test (429)"
            " (server code 1302: API request rate limit exceeded)",
        },
    ),
    "relay-bad-token-401": (
        401,
        {
            "type": ErrorType.AUTH,
            "code": None,
            "retry_after": None,
            "message": "token rejected by https://relay.test (401): check KLING_API_KEY"
            " (server said: invalid token)",
        },
    ),
    "relay-task-not-exist-400": (
        400,
        {
            "type": ErrorType.NOT_FOUND,
            "code": "task_not_exist",
            "retry_after": None,
            "message": NF + " (server code task_not_exist)",
        },
    ),
}


def test_every_fixture_has_an_expectation() -> None:
    names = {p.stem for p in FIXTURES.glob("*.json")}
    assert names == set(SNAPSHOT_FIXTURES) | set(ERROR_FIXTURES)


@pytest.mark.parametrize("name", sorted(SNAPSHOT_FIXTURES))
def test_snapshot_fixture(name: str, fixtures_dir: Path) -> None:
    body = (fixtures_dir / f"{name}.json").read_bytes()
    result = run(body, 200)
    assert isinstance(result, TaskSnapshot), result
    for field, expected in SNAPSHOT_FIXTURES[name].items():
        assert getattr(result, field) == expected, field
    assert result.kind == "text2video"
    assert result.fetched_at == NOW
    assert result.raw == body.decode()  # fixtures are clean, pretty-printed, short


@pytest.mark.parametrize("name", sorted(ERROR_FIXTURES))
def test_error_fixture(name: str, fixtures_dir: Path) -> None:
    status, expected = ERROR_FIXTURES[name]
    result = err((fixtures_dir / f"{name}.json").read_bytes(), status)
    for field, value in expected.items():
        assert getattr(result, field) == value, field


# -- shape A details ---------------------------------------------------------------------


def test_2025_url_in_fail_reason_without_inner_copy() -> None:
    url = "https://cdn.example.test/kling/a.mp4"
    result = snap(relay({"task_id": "1", "status": "SUCCESS", "fail_reason": url, "data": None}))
    assert result.videos == (Video(None, url, None),)
    assert result.message == ""


def test_fail_reason_text_on_success_is_a_message_not_a_video() -> None:
    result = snap(relay({"task_id": "1", "status": "SUCCESS", "fail_reason": "see https://x y"}))
    assert result.videos == ()
    assert result.message == "see https://x y"


def test_fail_reason_url_is_not_a_video_while_in_progress() -> None:
    url = "https://cdn.example.test/kling/a.mp4"
    result = snap(relay({"task_id": "1", "status": "IN_PROGRESS", "fail_reason": url}))
    assert result.videos == ()
    assert result.message == ""


def test_2026_result_url_when_inner_copy_is_stale() -> None:
    url = "https://relay.test/v1/videos/task_x/content"
    stale = native({"task_id": "9", "task_status": "processing"})
    result = snap(
        relay({"task_id": "task_x", "status": "SUCCESS", "result_url": url, "data": stale})
    )
    assert result.status is Status.SUCCEEDED
    assert result.videos == (Video(None, url, None),)


def test_outer_status_wins_over_inner_copy() -> None:
    inner = native(
        {
            "task_id": "9",
            "task_status": "succeed",
            "task_result": {"videos": [{"id": "v", "url": "https://x.test/v.mp4"}]},
        }
    )
    result = snap(
        relay({"task_id": "t", "status": "IN_PROGRESS", "progress": "30%", "data": inner})
    )
    assert result.status is Status.IN_PROGRESS
    assert result.progress == 30.0
    assert result.videos == ()


@pytest.mark.parametrize(
    "inner",
    [
        None,
        "garbage",
        42,
        [1, 2],
        {"code": 0, "data": "x"},
        {"code": 0, "data": {"id": "x"}},
        {"task_id": "stale create answer", "code": 0},
        {"object": "video", "status": "completed"},
    ],
)
def test_inner_copy_may_be_anything(inner: Any) -> None:
    result = snap(
        relay(
            {
                "task_id": "t",
                "status": "SUCCESS",
                "result_url": "https://x.test/r.mp4",
                "data": inner,
            }
        )
    )
    assert result.status is Status.SUCCEEDED
    assert result.videos == (Video(None, "https://x.test/r.mp4", None),)
    assert result.task_id == "t"


def test_relay_behind_relay() -> None:
    deepest = native(
        {
            "task_id": "9",
            "task_status": "succeed",
            "task_result": {
                "videos": [{"id": "v9", "url": "https://x.test/9.mp4", "duration": "5"}]
            },
        }
    )
    middle = relay({"task_id": "task_middle", "status": "SUCCESS", "data": deepest})
    result = snap(relay({"task_id": "task_outer", "status": "SUCCESS", "data": middle}))
    assert result.task_id == "task_outer"
    assert result.videos == (Video("v9", "https://x.test/9.mp4", 5.0),)


def test_relay_behind_relay_with_url_in_fail_reason() -> None:
    middle = relay({"task_id": "m", "status": "SUCCESS", "fail_reason": "https://x.test/m.mp4"})
    result = snap(relay({"task_id": "o", "status": "SUCCESS", "data": middle}))
    assert result.videos == (Video(None, "https://x.test/m.mp4", None),)


def test_relay_recursion_is_bounded() -> None:
    body: dict[str, Any] = native(
        {
            "task_id": "x",
            "task_status": "succeed",
            "task_result": {"videos": [{"id": "deep", "url": "https://x"}]},
        }
    )
    for i in range(20):
        body = relay({"task_id": f"r{i}", "status": "SUCCESS", "data": body})
    result = snap(body)
    assert result.task_id == "r19"
    assert result.videos == ()  # too deep to follow: no crash, just no video


def test_relay_failure_message_and_timeout() -> None:
    result = snap(
        relay({"task_id": "t", "status": "FAILURE", "fail_reason": "任务超时（1440分钟）"})
    )
    assert result.status is Status.FAILED
    # issue 12: the relay's 24-hour timeout is said in words; its own text stays in raw
    assert result.message == "timed out on the relay (refunded)"
    assert result.raw is not None and "任务超时（1440分钟）" in result.raw


def test_relay_failure_message_falls_back_to_inner_reason() -> None:
    inner = native({"task_id": "9", "task_status": "failed", "task_status_msg": "risk control"})
    result = snap(relay({"task_id": "t", "status": "FAILURE", "fail_reason": "", "data": inner}))
    assert result.message == "risk control"


def test_relay_external_id_from_inner_copy() -> None:
    inner = native(
        {"task_id": "9", "task_status": "processing", "task_info": {"external_task_id": "order-7"}}
    )
    result = snap(relay({"task_id": "t", "status": "IN_PROGRESS", "data": inner}))
    assert result.external_task_id == "order-7"


# -- shapes C and D ----------------------------------------------------------------------


def test_simple_envelope_failed_with_error_object() -> None:
    body = relay(
        {
            "task_id": "866",
            "status": "failed",
            "url": None,
            "format": "mp4",
            "error": {"message": "content [red]blocked[/red]", "code": "1301"},
        }
    )
    result = snap(body)
    assert result.status is Status.FAILED
    assert result.message == "content [red]blocked[/red]"
    assert result.videos == ()


@pytest.mark.parametrize(
    ("word", "status"), [("queued", Status.SUBMITTED), ("processing", Status.IN_PROGRESS)]
)
def test_simple_envelope_pending(word: str, status: Status) -> None:
    result = snap(relay({"task_id": "866", "status": word, "url": None, "error": None}))
    assert result.status is status
    assert result.videos == ()
    assert result.message == ""


def test_simple_envelope_duration_from_metadata() -> None:
    body = relay(
        {
            "task_id": "866",
            "status": "succeeded",
            "url": "https://x.test/c.mp4",
            "metadata": {"duration": "5"},
        }
    )
    assert snap(body).videos == (Video(None, "https://x.test/c.mp4", 5.0),)


def test_openai_video_completed() -> None:
    body = {
        "id": "task_abc",
        "object": "video",
        "model": "kling-v2-1",
        "status": "completed",
        "progress": 100,
        "created_at": T * 1000,
        "completed_at": (T + 90) * 1000,
        "seconds": "5",
        "metadata": {"url": "https://cdn.example.test/kling/abc.mp4"},
    }
    result = snap(body)
    assert result.task_id == "task_abc"
    assert result.status is Status.SUCCEEDED
    assert result.status_raw == "completed"
    assert result.videos == (Video(None, "https://cdn.example.test/kling/abc.mp4", 5.0),)
    assert result.updated_at == ts(T + 90)


def test_openai_video_failed() -> None:
    body = {
        "id": "task_abc",
        "object": "video",
        "status": "failed",
        "progress": 0,
        "error": {"message": "moderation \u202eblocked", "code": "content_policy"},
    }
    result = snap(body)
    assert result.status is Status.FAILED
    assert result.message == "moderation \\u202eblocked"
    assert result.progress == 0.0


def test_openai_video_unknown_status() -> None:
    result = snap({"id": "task_abc", "object": "video", "status": "unknown"})
    assert result.status is Status.UNKNOWN
    assert result.status_raw == "unknown"
    assert result.status_label == "unknown (unknown)"
