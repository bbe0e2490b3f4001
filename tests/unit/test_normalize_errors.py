"""normalize: every error a gateway sends, typed: unreadable bodies (content type, sniffing,
broken JSON), Kling's codes, HTTP statuses and relay / OpenAI-style bodies, Retry-After,
and odd inputs that must never raise."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from kling_tui.gateway import normalize as normalize_module
from kling_tui.gateway.normalize import normalize
from kling_tui.models import RETRY_AFTER_CAP, ErrorType, FetchError, Status, TaskSnapshot
from tests.support.normalize import (
    HTML_PAGE,
    JSON_CT,
    NF,
    NOW,
    err,
    native,
    snap,
)

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
