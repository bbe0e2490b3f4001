"""normalize: every envelope, variant and error a gateway sends, into one model."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kling_tui.gateway import normalize as normalize_module
from kling_tui.gateway.normalize import normalize
from kling_tui.gateway.shapes import RAW_LIMIT
from kling_tui.kinds import Kind
from kling_tui.models import RETRY_AFTER_CAP, ErrorType, FetchError, Status, TaskSnapshot, Video
from tests.support.normalize import (
    HTML_PAGE,
    JSON_CT,
    NOW,
    ORIGIN,
    PROPERTY_SETTINGS,
    UNSAFE,
    UNSAFE_RAW,
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
    run,
    snap,
    statuses,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def ts(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


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

NF = "task Q-1 not found on https://relay.test for kind text2video: check the id and the kind"
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


# -- content type, sniffing, unreadable bodies --------------------------------------------

# issue 12: an HTML page where a task was asked names the kind the gateway does not serve
HTML_HINT = (
    "https://relay.test answered an HTML page, not JSON: this gateway does not serve text to"
    " video (or is the base URL / path prefix wrong?)"
)
NOT_SERVED = (
    "this gateway does not serve text to video: https://relay.test answered 404 for its path;"
    " watch the task on a gateway that serves it, or check the path prefix"
)


@pytest.mark.parametrize(
    "headers",
    [{"content-type": "text/html; charset=utf-8"}, {"Content-Type": "text/html"}, {}, JSON_CT],
)
def test_html_page_with_200_is_a_bad_response(headers: dict[str, str]) -> None:
    result = err(HTML_PAGE, 200, headers=headers)
    assert result.type is ErrorType.BAD_RESPONSE
    assert result.message == HTML_HINT


def test_html_sniffed_after_whitespace_and_bom() -> None:
    result = err(b"\xef\xbb\xbf  \n<html><body>hi</body></html>", 200, headers={})
    assert result.message == HTML_HINT


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_html_error_page_from_a_cdn_is_a_server_error(status: int) -> None:
    result = err(HTML_PAGE, status, headers={"content-type": "text/html"})
    assert result.type is ErrorType.SERVER
    assert result.message == (
        f"server error on https://relay.test ({status})"
        " (an HTML error page from a proxy or CDN): retry later"
    )
    assert result.retry_after is None


def test_html_404_is_not_found_with_a_path_hint() -> None:
    result = err(HTML_PAGE, 404, headers={"content-type": "text/html"})
    assert result.type is ErrorType.NOT_FOUND
    # issue 12: a 404 that is not about the task means the kind's path is not served
    assert result.message == (
        NOT_SERVED + " (an HTML page, not JSON: is the base URL / path prefix right?)"
    )


@pytest.mark.parametrize("body", [b"", b"   \n\t ", b" " * 200])
def test_empty_body_with_200_is_a_bad_response(body: bytes) -> None:
    result = err(body, 200)
    assert result.type is ErrorType.BAD_RESPONSE
    assert result.message == "https://relay.test answered 200 with an empty body"


def test_empty_429_is_rate_limited() -> None:
    result = err(b"", 429, headers={"Retry-After": "12"})
    assert result.type is ErrorType.RATE_LIMITED
    assert result.retry_after == 12.0
    assert result.message == "rate limited by https://relay.test (429): retry in 12 s (empty body)"


def test_plain_text_error_is_quoted() -> None:
    result = err(b"Too Many Requests\n", 429, headers={"content-type": "text/plain"})
    assert result.type is ErrorType.RATE_LIMITED
    assert (
        result.message
        == "rate limited by https://relay.test (429) (server said: Too Many Requests)"
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"code": 0, "data": {"task_id": "1", "task_sta',
        b'{"code": 0, "data": {"task_id": "1"',
        b'{"code": "success", "data": {"status": "SUCC',
        b"{",
    ],
)
def test_truncated_json_is_a_bad_response(body: bytes) -> None:
    result = err(body, 200)
    assert result.type is ErrorType.BAD_RESPONSE
    assert result.message == (
        "https://relay.test answered 200: the JSON is cut short: a truncated answer?"
    )


def test_invalid_json_says_where() -> None:
    result = err(b'{"code": 0, oops}', 200)
    assert result.type is ErrorType.BAD_RESPONSE
    assert result.message.startswith("https://relay.test answered 200: invalid JSON: ")
    assert result.message.endswith("at character 12")


def test_non_json_content_type_is_mentioned() -> None:
    result = err(b"hello world", 200, headers={"content-type": "application/octet-stream"})
    assert result.type is ErrorType.BAD_RESPONSE
    assert "content type 'application/octet-stream'" in result.message


def test_invalid_utf8_is_a_bad_response() -> None:
    result = err(b'{"code": 0, "data": {"task_status": "\xff\xfe"}}', 200)
    assert result.type is ErrorType.BAD_RESPONSE
    assert result.message.startswith("https://relay.test answered 200: not readable as JSON")


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_deeply_nested_json_is_a_bad_response(depth: int) -> None:
    body = b'{"code": 0, "data": ' + b"[" * depth + b"]" * depth + b"}"
    result = err(body, 200)
    assert result.type is ErrorType.BAD_RESPONSE
    assert result.message == "https://relay.test answered 200: JSON nested too deeply to read"


@pytest.mark.parametrize(
    ("body", "what"),
    [(b"[]", "list"), (b'"ok"', "str"), (b"42", "int"), (b"null", "null"), (b"true", "bool")],
)
def test_non_object_json_is_a_bad_response(body: bytes, what: str) -> None:
    result = err(body, 200)
    assert result.type is ErrorType.BAD_RESPONSE
    assert result.message == f"https://relay.test answered a JSON {what}, not an object"


def test_json_with_bom_is_read() -> None:
    body = (
        b"\xef\xbb\xbf" + json.dumps(native({"task_id": "1", "task_status": "submitted"})).encode()
    )
    assert snap(body).status is Status.SUBMITTED


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"code": "success", "data": None}, "(data is null)"),
        ({"code": 0, "data": []}, "(data is list)"),
        ({"code": 0}, "(data is null)"),
        ({"hello": "world"}, "(data is null)"),
        ({"success": False, "message": "nope"}, "(data is null) (server said: nope)"),
    ],
)
def test_answer_without_task_record(body: dict[str, Any], fragment: str) -> None:
    result = err(body, 200)
    assert result.type is ErrorType.BAD_RESPONSE
    assert result.message == f"https://relay.test answered without a task record {fragment}"


# -- error mapping: Kling codes ------------------------------------------------------------

AUTH_MSG = "token rejected by https://relay.test ({sc}): check KLING_API_KEY"
ACCOUNT_TAIL = "top up / check account; retrying will not help"


@pytest.mark.parametrize(
    ("status", "code", "etype", "prefix"),
    [
        (401, 1000, ErrorType.AUTH, AUTH_MSG),
        (401, 1001, ErrorType.AUTH, AUTH_MSG),
        (401, 1002, ErrorType.AUTH, AUTH_MSG),
        (401, 1003, ErrorType.AUTH, AUTH_MSG),
        (401, 1004, ErrorType.AUTH, AUTH_MSG),
        (
            429,
            1100,
            ErrorType.ACCOUNT,
            "account problem on https://relay.test ({sc}): " + ACCOUNT_TAIL,
        ),
        (
            429,
            1101,
            ErrorType.ACCOUNT,
            "account in arrears on https://relay.test ({sc}): " + ACCOUNT_TAIL,
        ),
        (
            429,
            1102,
            ErrorType.ACCOUNT,
            "resource pack used up or expired on https://relay.test ({sc}): " + ACCOUNT_TAIL,
        ),
        (
            403,
            1103,
            ErrorType.ACCOUNT,
            "no permission for this interface or model on https://relay.test ({sc}): "
            + ACCOUNT_TAIL,
        ),
        (400, 1200, ErrorType.BAD_RESPONSE, "https://relay.test refused the request ({sc})"),
        (400, 1201, ErrorType.BAD_RESPONSE, "https://relay.test refused the request ({sc})"),
        (404, 1202, ErrorType.NOT_FOUND, NF),
        (404, 1203, ErrorType.NOT_FOUND, NF),
        (
            400,
            1300,
            ErrorType.BAD_RESPONSE,
            "https://relay.test refused the request by policy ({sc})",
        ),
        (
            400,
            1301,
            ErrorType.BAD_RESPONSE,
            "https://relay.test refused the request by policy ({sc})",
        ),
        (429, 1302, ErrorType.RATE_LIMITED, "rate limited by https://relay.test ({sc})"),
        (429, 1303, ErrorType.RATE_LIMITED, "rate limited by https://relay.test ({sc})"),
        (
            429,
            1304,
            ErrorType.ACCOUNT,
            "https://relay.test refused this machine's IP address ({sc}): fix the IP allow-list"
            " of the account; retrying will not help",
        ),
        (500, 5000, ErrorType.SERVER, "server error on https://relay.test ({sc})"),
        (503, 5001, ErrorType.SERVER, "server error on https://relay.test ({sc})"),
        (504, 5002, ErrorType.SERVER, "server error on https://relay.test ({sc})"),
    ],
)
@pytest.mark.parametrize("as_string", [False, True])
def test_kling_error_codes(
    status: int, code: int, etype: ErrorType, prefix: str, as_string: bool
) -> None:
    body = {
        "code": str(code) if as_string else code,
        "message": "srv [b]msg[/b]",
        "request_id": "x",
    }
    result = err(body, status)
    assert result.type is etype
    assert result.code == str(code)
    detail = f" (server code {code}: srv [b]msg[/b])"
    expected = prefix.format(sc=status)
    if etype is ErrorType.SERVER:
        assert result.message == expected + detail + ": retry later"
    else:
        assert result.message == expected + detail


@pytest.mark.parametrize(
    ("code", "etype"),
    [
        (1004, ErrorType.AUTH),
        (1102, ErrorType.ACCOUNT),
        (1203, ErrorType.NOT_FOUND),
        (1302, ErrorType.RATE_LIMITED),
    ],
)
def test_kling_error_code_wins_even_with_http_200(code: int, etype: ErrorType) -> None:
    result = err({"code": code, "message": "m"}, 200)
    assert result.type is etype
    assert result.code == str(code)


def test_unknown_kling_code_falls_back_to_http_status() -> None:
    result = err({"code": 1999, "message": "strange"}, 500)
    assert result.type is ErrorType.SERVER
    assert result.code == "1999"
    assert result.message == (
        "server error on https://relay.test (500) (server code 1999: strange): retry later"
    )
    unknown = err({"code": 1999, "message": "strange"}, 200)
    assert unknown.type is ErrorType.BAD_RESPONSE
    assert unknown.message == (
        "https://relay.test answered with an error (server code 1999: strange)"
    )


def test_native_1100_on_429_is_not_a_rate_limit() -> None:
    result = err({"code": 1101, "message": "account arrears"}, 429, headers={"Retry-After": "5"})
    assert result.type is ErrorType.ACCOUNT
    assert result.type.policy.needs_operator
    assert result.retry_after is None


# -- error mapping: HTTP status and relay / OpenAI-style bodies ------------------------------


@pytest.mark.parametrize(
    ("status", "etype", "message"),
    [
        (401, ErrorType.AUTH, "token rejected by https://relay.test (401): check KLING_API_KEY"),
        (
            402,
            ErrorType.ACCOUNT,
            "payment required on https://relay.test (402): " + ACCOUNT_TAIL,
        ),
        (403, ErrorType.AUTH, "token rejected by https://relay.test (403): check KLING_API_KEY"),
        (404, ErrorType.NOT_FOUND, NOT_SERVED),  # issue 12: "does not serve", not "not found"
        (408, ErrorType.SERVER, "server error on https://relay.test (408): retry later"),
        (429, ErrorType.RATE_LIMITED, "rate limited by https://relay.test (429)"),
        (500, ErrorType.SERVER, "server error on https://relay.test (500): retry later"),
        (502, ErrorType.SERVER, "server error on https://relay.test (502): retry later"),
        (503, ErrorType.SERVER, "server error on https://relay.test (503): retry later"),
        (504, ErrorType.SERVER, "server error on https://relay.test (504): retry later"),
        (400, ErrorType.BAD_RESPONSE, "https://relay.test refused the request (400)"),
        (418, ErrorType.BAD_RESPONSE, "https://relay.test answered HTTP 418 unexpectedly"),
        (
            100,
            ErrorType.BAD_RESPONSE,
            "https://relay.test answered HTTP 100 unexpectedly",
        ),
    ],
)
def test_http_status_without_a_known_code(status: int, etype: ErrorType, message: str) -> None:
    headers = {"content-type": "application/json", "location": "https://relay.test/login"}
    result = err({"unrelated": True}, status, headers=headers)
    assert result.type is etype
    assert result.message == message
    assert result.code is None


@pytest.mark.parametrize(
    ("status", "message", "etype"),
    [
        (401, "无效的令牌", ErrorType.AUTH),
        (401, "该令牌已过期", ErrorType.AUTH),
        (403, "该令牌已过期", ErrorType.AUTH),
        (403, "该令牌额度已用尽", ErrorType.ACCOUNT),
        (429, "该令牌额度已用尽", ErrorType.ACCOUNT),
        (429, "用户额度不足, 剩余额度: $0.01", ErrorType.ACCOUNT),
        (429, "insufficient_user_quota", ErrorType.ACCOUNT),
        (429, "invalid token", ErrorType.AUTH),
        (429, "当前分组上游负载已饱和，请稍后再试", ErrorType.RATE_LIMITED),
        (402, "payment required", ErrorType.ACCOUNT),
        (200, "无效的令牌", ErrorType.AUTH),
        (200, "something odd", ErrorType.BAD_RESPONSE),
        (500, "upstream error", ErrorType.SERVER),
    ],
)
def test_openai_style_error_bodies(status: int, message: str, etype: ErrorType) -> None:
    body = {"error": {"message": message, "type": "new_api_error"}}
    result = err(body, status)
    assert result.type is etype
    assert message in result.message
    assert result.code is None


def test_openai_error_code_is_kept() -> None:
    body = {"error": {"message": "无效的令牌", "type": "new_api_error", "code": "invalid_api_key"}}
    result = err(body, 401, hint="relay.example token (keyring)")
    assert result.type is ErrorType.AUTH
    assert result.code == "invalid_api_key"
    assert result.message == (
        "token rejected by https://relay.test (401): check relay.example token (keyring)"
        " (server code invalid_api_key: 无效的令牌)"
    )


def test_error_as_a_plain_string() -> None:
    result = err({"error": "unauthorized"}, 401)
    assert result.type is ErrorType.AUTH
    assert result.message.endswith("(server said: unauthorized)")


@pytest.mark.parametrize("status", [400, 404, 200])
def test_relay_task_not_exist(status: int) -> None:
    result = err({"code": "task_not_exist", "message": "task_not_exist", "data": None}, status)
    assert result.type is ErrorType.NOT_FOUND
    assert result.code == "task_not_exist"
    assert result.message == NF + " (server code task_not_exist)"


def test_not_found_message_names_id_kind_and_origin() -> None:
    result = err(
        {"code": 1203, "message": "resource not found"},
        404,
        task_id="order-42",
        kind="image2video",
        origin="https://api-singapore.klingai.com",
    )
    assert result.message == (
        "task order-42 not found on https://api-singapore.klingai.com for kind image2video:"
        " check the id and the kind (server code 1203: resource not found)"
    )


def test_missing_origin_reads_naturally() -> None:
    result = err({"code": 1004, "message": "expired"}, 401, origin="")
    assert result.message.startswith("token rejected by the gateway (401): check KLING_API_KEY")


def test_error_types_needing_a_human_are_not_retryable() -> None:
    assert err({"code": 1004}, 401).type.policy.needs_operator
    assert err({"code": 1102}, 429).type.policy.needs_operator
    assert not err({"code": 1302}, 429).type.policy.needs_operator
    assert not err({"code": 5000}, 500).type.policy.needs_operator


# -- Retry-After -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", 30.0),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        ("99999", RETRY_AFTER_CAP),
        ("9" * 400, RETRY_AFTER_CAP),
        (format_datetime(NOW + timedelta(seconds=120), usegmt=True), 120.0),
        (format_datetime(NOW + timedelta(hours=5), usegmt=True), RETRY_AFTER_CAP),
        (format_datetime(NOW - timedelta(seconds=60), usegmt=True), 0.0),
        ("Sun, 01 Mar 2026 12:01:30 GMT", 90.0),
        ("soon", None),
        ("-5", None),
        ("", None),
    ],
)
@pytest.mark.parametrize("header", ["Retry-After", "retry-after", "RETRY-AFTER"])
def test_retry_after(value: str, expected: float | None, header: str) -> None:
    result = err({"code": 1302, "message": "slow down"}, 429, headers={header: value})
    assert result.type is ErrorType.RATE_LIMITED
    assert result.retry_after == expected
    if expected is not None:
        assert f": retry in {expected:g} s " in result.message


def test_retry_after_on_server_errors() -> None:
    result = err(b"", 503, headers={"Retry-After": "45"})
    assert result.type is ErrorType.SERVER
    assert result.retry_after == 45.0


def test_retry_after_with_httpx_headers() -> None:
    httpx = pytest.importorskip("httpx")
    headers = httpx.Headers({"Retry-After": "3", "Content-Type": "application/json"})
    result = err({"code": 1303, "message": "concurrency"}, 429, headers=headers)
    assert result.retry_after == 3.0


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

T = 1767000000


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


# -- robustness ------------------------------------------------------------------------------


def test_unexpected_exception_becomes_bad_response(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(normalize_module, "shape_b", boom)
    result = err(native({"task_id": "1", "task_status": "submitted"}), 200)
    assert result.type is ErrorType.BAD_RESPONSE
    assert result.message == (
        "https://relay.test sent an answer kling-tui could not read (KeyError); please report it"
    )


class ExplodingHeaders(dict):  # type: ignore[type-arg]
    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bad headers")


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        ("abc", {}, b"{}"),
        (200, ExplodingHeaders(), b'{"code":0,"data":{"task_status":"succeed"}}'),
        (
            200,
            {"content-type": b"application/json"},
            b'{"code":0,"data":{"task_status":"succeed"}}',
        ),
        (200, {}, bytearray(b'{"code":0,"data":{"task_status":"succeed"}}')),
        (200, {}, '{"code":0,"data":{"task_status":"succeed"}}'),
        (200, {}, memoryview(b'{"code":0,"data":{"task_status":"succeed"}}')),
        (200, {}, b"\x00\x00\x00{"),
        (200, {}, b'{"code": 0, "data": {"task_id": ' + b"1" * 5000 + b"}}"),
    ],
)
def test_odd_inputs_never_raise(status: Any, headers: Any, body: Any) -> None:
    result = normalize(status, headers, body, task_id="t", kind="text2video", now=NOW)
    assert isinstance(result, TaskSnapshot | FetchError)
    if isinstance(result, TaskSnapshot):
        assert result.status is Status.SUCCEEDED
        assert result.task_id == "t"


def test_default_now_is_aware_utc() -> None:
    before = datetime.now(UTC)
    result = normalize(
        200,
        JSON_CT,
        b'{"code":0,"data":{"task_status":"submitted"}}',
        task_id="t",
        kind="text2video",
    )
    assert isinstance(result, TaskSnapshot)
    assert result.fetched_at.tzinfo is not None
    assert before <= result.fetched_at <= datetime.now(UTC)


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
