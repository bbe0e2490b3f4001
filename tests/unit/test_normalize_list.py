"""normalize_list: one native list page (``data`` = an array of task objects) into a ListPage."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kling_tui.gateway.normalize import MAX_PAGE_ITEMS, ListPage, normalize, normalize_list
from kling_tui.models import ErrorType, Status, TaskSnapshot
from tests.support.normalize import (
    HTML_PAGE,
    JSON_CT,
    NOW,
    ORIGIN,
    PROPERTY_SETTINGS,
    UNSAFE,
    assert_well_formed,
    headers_strategy,
    json_values,
    native_task,
    statuses,
    task_object,
)


def task(task_id: str, status: str = "processing", **extra: Any) -> dict[str, Any]:
    """A list page's task object, created a minute before its last update."""
    return task_object(task_id, status, 1_772_366_400_000, 1_772_366_460_000, **extra)


def page_body(data: Any, **envelope: Any) -> bytes:
    body = {"code": 0, "message": "SUCCEED", "request_id": "r-1", "data": data, **envelope}
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


def read(body: bytes, status: int = 200, *, kind: str = "text2video", size: int = 30) -> ListPage:
    return normalize_list(
        status,
        JSON_CT,
        body,
        kind=kind,
        page_num=2,
        page_size=size,
        origin=ORIGIN,
        now=NOW,
    )


def assert_page_well_formed(page: ListPage) -> None:
    """The contract the import and the refresh rely on."""
    assert isinstance(page, ListPage)
    assert page.unreadable >= 0
    assert len(page.snapshots) <= MAX_PAGE_ITEMS
    if page.error is not None:
        assert page.snapshots == ()
        assert_well_formed(page.error)
        assert not page.full
    for snap in page.snapshots:
        assert_well_formed(snap)


def test_a_good_page_reads_every_task_as_a_single_query_would() -> None:
    done = task(
        "860000000000000001",
        "succeed",
        task_result={"videos": [{"id": "v1", "url": "https://cdn.test/v1.mp4", "duration": "5.1"}]},
        task_info={"external_task_id": "order-7"},
    )
    items = [task("860000000000000002"), done, task("860000000000000003", "submitted")]
    page = read(page_body(items), kind="image2video")
    assert page.error is None and page.unreadable == 0
    assert (page.kind, page.page_num, page.page_size) == ("image2video", 2, 30)
    assert [s.task_id for s in page.snapshots] == [i["task_id"] for i in items]
    assert [s.status for s in page.snapshots] == [
        Status.IN_PROGRESS,
        Status.SUCCEEDED,
        Status.SUBMITTED,
    ]
    assert all(s.kind == "image2video" and s.fetched_at == NOW for s in page.snapshots)
    # each item is read exactly like the same object in a single answer's ``data``
    single = normalize(
        200, JSON_CT, page_body(done), task_id=done["task_id"], kind="image2video", now=NOW
    )
    assert isinstance(single, TaskSnapshot)
    listed = page.snapshots[1]
    assert (listed.videos, listed.external_task_id, listed.created_at, listed.updated_at) == (
        single.videos,
        single.external_task_id,
        single.created_at,
        single.updated_at,
    )
    assert listed.raw and "860000000000000001" in listed.raw
    assert not page.full  # 3 items on a page of 30: nothing older on the next one


def test_a_full_page_says_more_may_follow() -> None:
    page = read(page_body([task(f"86000000000000000{i}") for i in range(3)]), size=3)
    assert page.items == 3 and page.full


def test_an_empty_page_and_a_null_data_are_no_tasks() -> None:
    for data in ([], None):
        page = read(page_body(data))
        assert page.error is None and page.snapshots == () and page.unreadable == 0
        assert not page.full


def test_garbage_items_are_counted_not_fatal() -> None:
    good = task("860000000000000009", "failed", task_status_msg="risk control \x1b[31m")
    items: list[Any] = [
        None,
        42,
        "860000000000000001",
        [task("860000000000000002")],
        {"task_status": "processing"},  # no id: cannot be matched to a watched task
        {"task_id": "860000000000000003"},  # no status at all
        {"task_id": {"nested": 1}, "task_status": "succeed"},
        good,
        task("860000000000000004", status="brand-new-word"),  # readable: UNKNOWN, as single
    ]
    page = read(page_body(items))
    assert page.error is None
    assert page.unreadable == 7
    assert [s.task_id for s in page.snapshots] == ["860000000000000009", "860000000000000004"]
    assert page.snapshots[0].status is Status.FAILED
    assert "\x1b" not in page.snapshots[0].message  # cleaned like every server string
    assert page.snapshots[1].status is Status.UNKNOWN
    assert_page_well_formed(page)


def test_a_page_is_capped_at_500_items() -> None:
    items = [task(str(860_000_000_000_000_000 + i)) for i in range(MAX_PAGE_ITEMS + 20)]
    page = read(page_body(items), size=500)
    assert len(page.snapshots) == MAX_PAGE_ITEMS
    assert page.unreadable == 20


def test_error_envelopes_fail_the_whole_page() -> None:
    cases = [
        (429, {"code": 1302, "message": "API request rate limit exceeded"}, ErrorType.RATE_LIMITED),
        (401, {"code": 1004, "message": "token expired"}, ErrorType.AUTH),
        (400, {"code": 1201, "message": "parameter pageSize is invalid"}, ErrorType.BAD_RESPONSE),
        (200, {"code": 1102, "message": "resource pack exhausted"}, ErrorType.ACCOUNT),
        (500, {"code": 5000, "message": "Internal server error"}, ErrorType.SERVER),
    ]
    for status, body, etype in cases:
        page = read(json.dumps(body).encode(), status)
        assert page.error is not None and page.error.type is etype, (status, body, page)
        assert page.snapshots == () and not page.full
    limited = read(json.dumps(cases[0][1]).encode(), 429)
    assert limited.error is not None and limited.error.type.policy.retried_by_fetcher


def test_a_missing_list_endpoint_is_named_as_such_not_a_missing_task() -> None:
    relay_404 = {"error": {"message": "Invalid URL (GET /kling/v1/videos/text2video)"}}
    for status, body in ((404, relay_404), (404, {"code": 1203, "message": "not found"})):
        page = read(json.dumps(body).encode(), status)
        assert page.error is not None
        assert page.error.type is ErrorType.BAD_RESPONSE  # not "task not found": stops nothing
        assert "no list endpoint for text2video" in page.error.message


def test_no_list_tells_a_missing_endpoint_from_a_garbled_page() -> None:
    """List refresh is turned off for good only when the gateway has no list endpoint (a
    404, an HTML page with 200: a relay's dashboard); a garbled page or a 5xx is passing."""
    relay_404 = json.dumps({"error": {"message": "Invalid URL (GET /v1/videos/text2video)"}})
    missing = [(404, relay_404.encode()), (404, HTML_PAGE), (200, HTML_PAGE)]
    for status, body in missing:
        page = read(body, status)
        assert page.error is not None and page.no_list, (status, body)
    passing = [
        (200, b'{"code": 0, "data": ['),  # cut short
        (200, b'{"code": 0, "data": [}'),  # invalid JSON
        (200, b""),
        (500, json.dumps({"code": 5000, "message": "Internal server error"}).encode()),
        (502, HTML_PAGE),  # a proxy's error page
        (429, json.dumps({"code": 1302, "message": "rate limit"}).encode()),
    ]
    for status, body in passing:
        page = read(body, status)
        assert page.error is not None and not page.no_list, (status, body)
    assert not read(page_body([task("860000000000000001")])).no_list


def test_raw_false_keeps_no_raw_text_and_reads_the_same() -> None:
    items = [task("860000000000000001"), task("860000000000000002", "succeed")]
    body = page_body(items)
    kept = read(body)
    bare = normalize_list(200, JSON_CT, body, kind="text2video", page_num=2, page_size=30,
                          origin=ORIGIN, now=NOW, raw=False)  # fmt: skip
    assert all(s.raw for s in kept.snapshots)
    assert all(s.raw is None for s in bare.snapshots)
    assert bare.snapshots == kept.snapshots  # raw is not part of a snapshot's equality


def test_unreadable_answers_fail_the_page_with_a_reason() -> None:
    cases = {
        b"": "empty body",
        HTML_PAGE: "HTML page",
        b'{"code": 0, "data": [': "cut short",
        b"[1, 2]": "not an object",
        page_body("tasks"): "not a task list",
        page_body(task("860000000000000001")): "a single task",
        page_body({"total": 3}): "an object without a list",
    }
    for body, said in cases.items():
        page = read(body)
        assert page.error is not None and said in page.error.message, (body, page.error)
        assert page.error.type is ErrorType.BAD_RESPONSE


def test_a_list_wrapped_in_an_object_is_still_read() -> None:
    items = [task("860000000000000001"), task("860000000000000002")]
    for key in ("items", "list"):
        page = read(page_body({key: items, "total": 2}))
        assert page.error is None and len(page.snapshots) == 2


def test_hostile_text_in_items_is_cleaned() -> None:
    evil = "\x1b]52;c;cHduZWQ=\x07 \u202egnp \u200b [bold]x[/]"
    item = task("860000000000000001", "failed", task_status_msg=evil)
    item["task_info"] = {"external_task_id": evil}
    page = read(page_body([item]))
    snap = page.snapshots[0]
    for text in (snap.message, snap.external_task_id or ""):
        assert UNSAFE.search(text) is None


page_items = st.lists(native_task | json_values, max_size=8)


@PROPERTY_SETTINGS
@given(statuses, headers_strategy, st.binary(max_size=300))
def test_property_arbitrary_bytes_never_raise(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    page = normalize_list(status, headers, body, kind="text2video", origin=ORIGIN, now=NOW)
    assert_page_well_formed(page)


@PROPERTY_SETTINGS
@given(
    statuses,
    page_items | json_values,
    st.sampled_from([0, "0", "success", 1302, 1201, None]) | json_values,
    st.booleans(),
)
def test_property_list_answers_never_raise(
    status: int, data: Any, code: Any, truncate: bool
) -> None:
    body = json.dumps({"code": code, "data": data}, ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )
    if truncate:
        body = body[: len(body) // 2]
    page = normalize_list(status, JSON_CT, body, kind="image-generations", now=NOW, origin=ORIGIN)
    assert_page_well_formed(page)
    assert all(s.kind == "image-generations" for s in page.snapshots)
    if page.error is None and isinstance(data, list) and not truncate:
        assert page.items == len(data)  # every item is either read or counted


@PROPERTY_SETTINGS
@given(st.lists(native_task, max_size=6))
def test_property_items_with_an_id_and_a_status_are_read(items: list[dict[str, Any]]) -> None:
    page = read(page_body(items))
    assert page.error is None
    readable = [
        i
        for i in items
        if "task_status" in i
        and isinstance(i.get("task_id"), str | int)
        and type(i.get("task_id")) is not bool
    ]
    assert len(page.snapshots) <= len(readable)
    assert page.items == len(items)
