"""What the normalizer suites share (test_normalize, test_normalize_errors,
test_normalize_fields, test_normalize_kinds, test_normalize_list): one answer normalized at
a fixed now and origin, the envelopes around a task, times as sent and as read, the unsafe
characters no output may hold, hypothesis strategies of hostile JSON bodies, statuses and
headers, and the contract every normalized answer keeps.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from kling_tui.gateway.fields import MAX_ITEMS, MAX_UNITS, WORD_LIMIT
from kling_tui.gateway.normalize import normalize
from kling_tui.models import RETRY_AFTER_CAP, ErrorType, FetchError, Status, TaskSnapshot

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
"""When every normalized answer was fetched."""
ORIGIN = "https://relay.test"
JSON_CT = {"content-type": "application/json"}
HTML_PAGE = b"<!doctype html><html><head><title>New API</title></head><body>app</body></html>"
UNSAFE = re.compile(  # control, bidi, line-separator and surrogate characters
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
UNSAFE_RAW = re.compile(  # the same, but tabs and newlines: the raw body keeps its lines
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029\ud800-\udfff]"
)
NF = "task Q-1 not found on https://relay.test for kind text2video: check the id and the kind"
"""The not-found message of ``run``'s defaults (task ``Q-1``, text2video, ``ORIGIN``)."""
T = 1767000000
"""A moment in Unix seconds (2025-12-29 09:20 UTC), as answers send their times."""


def ts(seconds: float) -> datetime:
    """The aware UTC moment of Unix ``seconds``: a time field as normalize reads it."""
    return datetime.fromtimestamp(seconds, UTC)


def run(
    body: Any,
    status: int = 200,
    headers: Any = None,
    *,
    task_id: str = "Q-1",
    kind: str = "text2video",
    origin: str = ORIGIN,
    hint: str = "KLING_API_KEY",
) -> TaskSnapshot | FetchError:
    """``normalize`` of ``body`` (bytes as they are, anything else as JSON) at ``NOW``."""
    if not isinstance(body, bytes):
        body = json.dumps(body, ensure_ascii=False).encode()
    return normalize(
        status,
        JSON_CT if headers is None else headers,
        body,
        task_id=task_id,
        kind=kind,
        origin=origin,
        credential_hint=hint,
        now=NOW,
    )


def snap(body: Any, status: int = 200, **kwargs: Any) -> TaskSnapshot:
    """``run``, which must give an answer."""
    result = run(body, status, **kwargs)
    assert isinstance(result, TaskSnapshot), result
    return result


def err(body: Any, status: int = 200, **kwargs: Any) -> FetchError:
    """``run``, which must give an error of that moment and HTTP status."""
    result = run(body, status, **kwargs)
    assert isinstance(result, FetchError), result
    assert result.at == NOW
    assert result.status_code == status
    return result


def relay(record: dict[str, Any]) -> dict[str, Any]:
    """Shape A around a relay record."""
    return {"code": "success", "message": "", "data": record}


def native(task: dict[str, Any]) -> dict[str, Any]:
    """Shape B around a native task."""
    return {"code": 0, "message": "SUCCEED", "request_id": "r", "data": task}


def task_object(
    task_id: str, status: str, created_at: int, updated_at: int, **extra: Any
) -> dict[str, Any]:
    """A native task object, as in a status answer's ``data`` or a list page's items:
    no message, no task info, the two times in milliseconds; ``extra`` adds fields."""
    item: dict[str, Any] = {
        "task_id": task_id,
        "task_status": status,
        "task_status_msg": "",
        "task_info": {},
        "created_at": created_at,
        "updated_at": updated_at,
    }
    item.update(extra)
    return item


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**17, max_value=10**19)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(
        alphabet=st.characters(exclude_categories=())
        | st.sampled_from(["\x1b", "\x9b", "\u202e", "\ud800", "\n", "[", "]", "/", "😀"])
    )
    | st.sampled_from(["", "45%", "100%", "SUCCESS", "succeed", "https://x.test/a.mp4", "0"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)
words = (
    st.sampled_from(
        [
            "NOT_START",
            "SUBMITTED",
            "QUEUED",
            "IN_PROGRESS",
            "SUCCESS",
            "FAILURE",
            "UNKNOWN",
            "submitted",
            "processing",
            "succeed",
            "failed",
            "queued",
            "succeeded",
            "completed",
            "in_progress",
            "weird",
        ]
    )
    | json_values
)
video_item = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "url": json_values,
        "duration": json_values,
        "watermark_url": json_values,
    },
)
video_items = st.lists(video_item | json_values, max_size=4)
# issue 12: image results, the parent video, the cost, the model
image_items = st.lists(
    st.fixed_dictionaries(
        {}, optional={"index": json_values, "url": json_values, "watermark_url": json_values}
    )
    | json_values,
    max_size=4,
)
units = (
    st.sampled_from(["10", "2.5", "-1", "1e12", "NaN", "inf", "", " 7 "])
    | st.floats(allow_nan=True, allow_infinity=True)
    | json_values
)
native_task = st.fixed_dictionaries(
    {},
    optional={
        "task_id": json_values,
        "task_status": words,
        "task_status_msg": json_values,
        "task_info": st.fixed_dictionaries(
            {}, optional={"external_task_id": json_values, "parent_video": video_item | json_values}
        )
        | json_values,
        "created_at": json_values,
        "updated_at": json_values,
        "task_result": st.fixed_dictionaries(
            {}, optional={"videos": video_items, "images": image_items}
        )
        | json_values,
        "progress": json_values,
        "final_unit_deduction": units,
        "model_name": json_values,
    },
)
native_body = st.fixed_dictionaries(
    {"data": native_task | json_values},
    optional={
        "code": st.sampled_from([0, "0", 1004, 1102, 1203, 1302, 5000, True]) | json_values,
        "message": json_values,
    },
)
relay_record = st.deferred(
    lambda: st.fixed_dictionaries(
        {},
        optional={
            "task_id": json_values,
            "status": words,
            "progress": json_values,
            "fail_reason": json_values,
            "result_url": json_values,
            "url": json_values,
            "error": json_values,
            "submit_time": json_values,
            "start_time": json_values,
            "finish_time": json_values,
            "created_at": json_values,
            "updated_at": json_values,
            "external_task_id": json_values,
            "metadata": json_values,
            "properties": st.fixed_dictionaries(
                {}, optional={"upstream_model_name": json_values, "origin_model_name": json_values}
            )
            | json_values,
            "data": native_body | relay_body | json_values,
        },
    )
)
relay_body = st.fixed_dictionaries(
    {"data": relay_record},
    optional={
        "code": st.sampled_from(["success", "task_not_exist"]) | json_values,
        "message": json_values,
    },
)
video_object = st.fixed_dictionaries(
    {"object": st.just("video") | json_values},
    optional={
        "id": json_values,
        "status": words,
        "progress": json_values,
        "created_at": json_values,
        "completed_at": json_values,
        "seconds": json_values,
        "metadata": st.fixed_dictionaries({}, optional={"url": json_values}) | json_values,
        "error": json_values,
    },
)
error_body = st.fixed_dictionaries(
    {},
    optional={
        "code": json_values,
        "message": json_values,
        "error": st.fixed_dictionaries(
            {}, optional={"message": json_values, "type": json_values, "code": json_values}
        )
        | json_values,
    },
)
any_body = native_body | relay_body | video_object | error_body | json_values
statuses = st.sampled_from(
    [200, 201, 204, 301, 400, 401, 402, 403, 404, 408, 418, 429, 500, 502, 503, 504]
) | st.integers(min_value=0, max_value=999)
headers_strategy = st.dictionaries(
    st.sampled_from(["content-type", "Content-Type", "Retry-After", "retry-after", "location"]),
    st.text(max_size=40)
    | st.sampled_from(["application/json", "text/html", "30", "Sun, 01 Mar 2026 12:01:30 GMT"]),
    max_size=3,
)


def assert_well_formed(result: TaskSnapshot | FetchError) -> None:
    """The contract the rest of the program relies on."""
    assert isinstance(result, TaskSnapshot | FetchError)
    if isinstance(result, FetchError):
        assert isinstance(result.type, ErrorType)
        assert result.message
        assert "could not read" not in result.message  # the last-resort catch was not needed
        assert UNSAFE.search(result.message) is None
        assert result.code is None or UNSAFE.search(result.code) is None
        assert result.retry_after is None or 0 <= result.retry_after <= RETRY_AFTER_CAP
        assert result.at == NOW
        return
    assert isinstance(result.status, Status)
    assert result.fetched_at == NOW
    assert result.progress is None or (
        math.isfinite(result.progress) and 0 <= result.progress <= 100
    )
    texts = [result.task_id, result.status_raw, result.message, result.external_task_id]
    texts += [result.kling_task_id, result.model]
    parent = (result.parent_video,) if result.parent_video is not None else ()
    for video in (*result.videos, *parent):
        assert video.duration is None or (math.isfinite(video.duration) and video.duration >= 0)
        assert video.id is not None or video.url is not None
        texts += [video.id, video.url, video.watermark_url]
    for image in result.images:
        assert image.index is None or (type(image.index) is int and image.index >= 0)
        assert image.url is not None or image.watermark_url is not None
        texts += [image.url, image.watermark_url]
    assert len(result.videos) <= MAX_ITEMS and len(result.images) <= MAX_ITEMS
    cost = result.final_unit_deduction
    assert cost is None or (math.isfinite(cost) and 0 <= cost <= MAX_UNITS)
    assert result.model is None or 0 < len(result.model) <= WORD_LIMIT
    assert result.kling_task_id is None or result.kling_task_id != result.task_id
    assert "任务超时" not in result.message
    assert result.message.strip().lower() not in ("succeed", "success")
    for text in texts:
        assert text is None or (isinstance(text, str) and UNSAFE.search(text) is None)
    assert result.task_id
    assert len(result.message) <= 2000
    assert result.raw is not None and UNSAFE_RAW.search(result.raw) is None
    for moment in (result.created_at, result.updated_at):
        assert moment is None or moment.tzinfo is not None
    if result.status in (Status.SUBMITTED, Status.IN_PROGRESS, Status.FAILED):
        assert result.videos == ()
        assert result.images == ()


PROPERTY_SETTINGS = settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
