"""normalize, issue 12: every kind's answer, image results, parent video, cost, watermark,
Kling's id inside a relay's answer, the model, the relay's statuses and "does not serve"."""

from __future__ import annotations

from typing import Any

import pytest

from kling_tui.gateway.shapes import MAX_IMAGES, RELAY_TIMEOUT_MESSAGE
from kling_tui.kinds import KIND_SPECS, Kind, Media
from kling_tui.models import ErrorType, Image, Status, Video
from tests.support.normalize import err, native, relay, snap, task_object

KLING_ID = "842318570933727301"
RELAY_ID = "task_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY"


def native_task(kind: Kind, status: str = "succeed", **extra: Any) -> dict[str, Any]:
    """A native task object of ``kind`` as Kling answers it (images for image kinds)."""
    data = task_object(KLING_ID, status, 1767225600000, 1767225660000, final_unit_deduction="10")
    if KIND_SPECS[kind].media is Media.IMAGE:
        data["task_result"] = {
            "images": [{"index": 0, "url": "https://cdn.test/0.png"}, {"index": 1, "url": "u1"}]
        }
    else:
        data["task_result"] = {
            "videos": [{"id": "v1", "url": "https://cdn.test/v.mp4", "duration": "5.1"}]
        }
    if KIND_SPECS[kind].has_parent:
        data["task_info"]["parent_video"] = {
            "id": "p1",
            "url": "https://cdn.test/p.mp4",
            "duration": "5",
        }
    data.update(extra)
    return data


# -- every kind's answer shape ---------------------------------------------------------------


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_native_answer(kind: Kind) -> None:
    spec = KIND_SPECS[kind]
    result = snap(native(native_task(kind)), kind=kind.value)
    assert result.kind == kind.value
    assert result.status is Status.SUCCEEDED
    assert result.final_unit_deduction == 10.0
    if spec.media is Media.IMAGE:
        assert result.videos == ()
        assert result.images == (
            Image(0, "https://cdn.test/0.png"),
            Image(1, "u1"),
        )
        assert result.result_urls == ("https://cdn.test/0.png", "u1")
    else:
        assert result.images == ()
        assert result.videos == (Video("v1", "https://cdn.test/v.mp4", 5.1),)
    if spec.has_parent:
        assert result.parent_video == Video("p1", "https://cdn.test/p.mp4", 5.0)
    else:
        assert result.parent_video is None


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_relay_answer(kind: Kind) -> None:
    """A relay (2026 era) around each kind's native answer: results, parent, cost, Kling id."""
    record = {"task_id": RELAY_ID, "status": "SUCCESS", "progress": "100%"}
    record["data"] = native(native_task(kind))
    result = snap(relay(record), kind=kind.value)
    assert result.task_id == RELAY_ID
    assert result.kling_task_id == KLING_ID
    assert result.final_unit_deduction == 10.0
    assert bool(result.images) is (KIND_SPECS[kind].media is Media.IMAGE)
    assert (result.parent_video is not None) is KIND_SPECS[kind].has_parent


# -- images ----------------------------------------------------------------------------------


def test_images_with_watermarks_and_odd_items() -> None:
    images = [
        {"index": 0, "url": "https://cdn.test/a.png", "watermark_url": "https://cdn.test/a-w.png"},
        {"index": "1", "url": "https://cdn.test/b.png"},
        {"index": True, "url": "https://cdn.test/c.png"},  # a bool is no index
        {"index": 2},  # nothing to show
        "junk",
        {"url": "  ", "watermark_url": "https://cdn.test/d-w.png"},
    ]
    result = snap(native(native_task(Kind.IMAGE, task_result={"images": images})), kind="img")
    assert result.images == (
        Image(0, "https://cdn.test/a.png", "https://cdn.test/a-w.png"),
        Image(1, "https://cdn.test/b.png"),
        Image(None, "https://cdn.test/c.png"),
        Image(None, None, "https://cdn.test/d-w.png"),
    )


def test_images_are_capped() -> None:
    items = [{"index": n, "url": f"https://cdn.test/{n}.png"} for n in range(500)]
    result = snap(native(native_task(Kind.IMAGE, task_result={"images": items})))
    assert len(result.images) == MAX_IMAGES


@pytest.mark.parametrize("status", ["submitted", "processing", "failed"])
def test_images_only_for_finished_tasks(status: str) -> None:
    result = snap(native(native_task(Kind.IMAGE, status)), kind="image-generations")
    assert result.images == ()


def test_image_task_relay_result_url_is_an_image() -> None:
    record = {"task_id": "t", "status": "SUCCESS", "result_url": "https://cdn.test/i.png"}
    result = snap(relay(record), kind="image-generations")
    assert result.videos == ()
    assert result.images == (Image(0, "https://cdn.test/i.png"),)


def test_hostile_image_url_is_cleaned() -> None:
    items = [{"index": 0, "url": "https://cdn.test/\x1b[2Ja\u202e.png"}]
    result = snap(native(native_task(Kind.IMAGE, task_result={"images": items})))
    assert result.images[0].url is not None
    assert "\x1b" not in result.images[0].url and "\u202e" not in result.images[0].url


# -- watermark, parent, cost ---------------------------------------------------------------


def test_video_watermark_url() -> None:
    videos = [{"id": "v", "url": "https://x/v.mp4", "watermark_url": "https://x/v-w.mp4"}]
    result = snap(native(native_task(Kind.TEXT2VIDEO, task_result={"videos": videos})))
    assert result.videos == (Video("v", "https://x/v.mp4", None, "https://x/v-w.mp4"),)


@pytest.mark.parametrize(
    ("parent", "expected"),
    [
        ({"id": 7, "url": "https://x/p.mp4", "duration": 5}, Video("7", "https://x/p.mp4", 5.0)),
        ({"id": "p"}, Video("p", None, None)),
        ({"duration": "5"}, None),
        ("https://x/p.mp4", None),
        (None, None),
    ],
)
def test_parent_video(parent: Any, expected: Video | None) -> None:
    data = native_task(Kind.VIDEO_EXTEND, "processing")
    data["task_info"] = {"parent_video": parent}
    assert snap(native(data), kind="ext").parent_video == expected


@pytest.mark.parametrize(
    ("cost", "expected"),
    [
        ("10", 10.0),
        ("2.5", 2.5),
        (" 35 ", 35.0),
        (0, 0.0),
        (12, 12.0),
        (7.5, 7.5),
        ("-1", None),
        (-3, None),
        ("1e12", None),
        ("NaN", None),
        ("inf", None),
        ("", None),
        ("ten", None),
        (True, None),
        (None, None),
        ([1], None),
    ],
)
def test_final_unit_deduction(cost: Any, expected: float | None) -> None:
    data = native_task(Kind.TEXT2VIDEO, final_unit_deduction=cost)
    assert snap(native(data)).final_unit_deduction == expected


# -- Kling's id and the model ----------------------------------------------------------------


def test_relay_era_2026_id_carries_klings_id_inside() -> None:
    record = {"task_id": RELAY_ID, "status": "IN_PROGRESS", "progress": "30%"}
    record["data"] = native(native_task(Kind.TEXT2VIDEO, "processing"))
    result = snap(relay(record))
    assert result.task_id == RELAY_ID
    assert result.kling_task_id == KLING_ID


def test_relay_behind_relay_still_gives_images_cost_and_klings_id() -> None:
    inner = {"task_id": "task_" + "b" * 32, "status": "SUCCESS"}
    inner["data"] = native(native_task(Kind.IMAGE))
    outer = {"task_id": RELAY_ID, "status": "SUCCESS", "data": relay(inner)}
    result = snap(relay(outer), kind="img")
    assert result.task_id == RELAY_ID
    assert result.kling_task_id == KLING_ID
    assert [i.index for i in result.images] == [0, 1]
    assert result.final_unit_deduction == 10.0


def test_relay_era_2025_id_is_klings_own() -> None:
    record = {"task_id": KLING_ID, "status": "IN_PROGRESS"}
    record["data"] = native(native_task(Kind.TEXT2VIDEO, "processing"))
    assert snap(relay(record)).kling_task_id is None


def test_native_answer_has_no_separate_kling_id() -> None:
    assert snap(native(native_task(Kind.TEXT2VIDEO))).kling_task_id is None


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"properties": {"upstream_model_name": "kling-v2-1", "origin_model_name": "x"}},
         "kling-v2-1"),
        ({"properties": {"origin_model_name": "kling-v1-6"}}, "kling-v1-6"),
        ({"data": native({"task_status": "processing", "model_name": "kling-v2-master"})},
         "kling-v2-master"),
        ({"model": "kling-v3"}, "kling-v3"),
        ({"properties": {"upstream_model_name": 5}}, None),
        ({"properties": "kling"}, None),
        ({}, None),
    ],
)  # fmt: skip
def test_model_from_a_relay(record: dict[str, Any], expected: str | None) -> None:
    record = {"task_id": "t", "status": "IN_PROGRESS", **record}
    assert snap(relay(record)).model == expected


def test_model_from_native_and_openai_shapes() -> None:
    data = native_task(Kind.TEXT2VIDEO, model_name="kling-v2-1-master")
    assert snap(native(data)).model == "kling-v2-1-master"
    obj = {"id": "v", "object": "video", "status": "in_progress", "model": "kling-v2\x1b[2J"}
    model = snap(obj).model
    assert model is not None and model.startswith("kling-v2") and "\x1b" not in model


# -- statuses as relays send them ------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "status", "label"),
    [
        ("NOT_START", Status.SUBMITTED, "submitted"),
        ("SUBMITTED", Status.SUBMITTED, "submitted"),
        ("QUEUED", Status.SUBMITTED, "submitted"),
        ("IN_PROGRESS", Status.IN_PROGRESS, "in_progress"),
        ("SUCCESS", Status.SUCCEEDED, "succeeded"),
        ("FAILURE", Status.FAILED, "failed"),
        ("UNKNOWN", Status.UNKNOWN, "unknown (UNKNOWN)"),  # visible, still polled
        ("PAUSED", Status.UNKNOWN, "unknown (PAUSED)"),
    ],
)
def test_relay_statuses(word: str, status: Status, label: str) -> None:
    result = snap(relay({"task_id": "t", "status": word, "progress": "0%"}))
    assert result.status is status
    assert result.status_raw == word
    assert result.status_label == label
    assert not result.status.terminal or word in ("SUCCESS", "FAILURE")  # UNKNOWN keeps polling


def test_native_failure_reason_is_task_status_msg_never_succeed() -> None:
    data = native_task(Kind.TEXT2VIDEO, "failed", task_status_msg="Failure to pass the risk")
    result = snap(native(data))
    assert result.status is Status.FAILED
    assert result.message == "Failure to pass the risk"


@pytest.mark.parametrize("said", ["SUCCEED", "success", " Succeeded "])
def test_a_success_word_is_never_a_reason(said: str) -> None:
    data = native_task(Kind.TEXT2VIDEO, "failed", task_status_msg=said)
    assert snap(native(data)).message == ""
    record = {"task_id": "t", "status": "FAILURE", "fail_reason": said}
    record["data"] = native(native_task(Kind.TEXT2VIDEO, "failed", task_status_msg="bad image"))
    assert snap(relay(record)).message == "bad image"


@pytest.mark.parametrize(
    "reason",
    ["任务超时（1440分钟）", "任务超时", "任务超时(1440分钟)", " 任务超时 (1440分钟) "],
)
def test_relay_24_hour_timeout(reason: str) -> None:
    result = snap(relay({"task_id": "t", "status": "FAILURE", "fail_reason": reason}))
    assert result.status is Status.FAILED
    assert result.message == RELAY_TIMEOUT_MESSAGE == "timed out on the relay (refunded)"
    assert result.raw is not None and "任务超时" in result.raw


# -- a gateway that does not serve a kind ----------------------------------------------------

ROUTE_404_BODIES = [
    b'{"error":{"message":"Invalid URL (GET /kling/v1/videos/advanced-lip-sync/1)",'
    b'"type":"invalid_request_error"}}',
    b"404 page not found",
    b"",
    b"<html><body>Not Found</body></html>",
]


@pytest.mark.parametrize("body", ROUTE_404_BODIES)
def test_404_without_task_not_exist_says_the_kind_is_not_served(body: bytes) -> None:
    result = err(body, 404, kind="advanced-lip-sync", headers={})
    assert result.type is ErrorType.NOT_FOUND
    assert result.message.startswith("this gateway does not serve lip sync: ")
    assert "not found on" not in result.message


def test_html_200_says_the_kind_is_not_served() -> None:
    page = b"<!doctype html><html><title>New API</title></html>"
    result = err(page, 200, kind="omni-image", headers={"content-type": "text/html"})
    assert result.type is ErrorType.BAD_RESPONSE
    assert "this gateway does not serve omni image" in result.message


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"code": "task_not_exist", "message": "task_not_exist", "data": None}),
        (404, {"code": "task_not_exist", "message": "task_not_exist", "data": None}),
        (404, {"code": 1203, "message": "resource not found"}),
        (404, {"error": {"message": "task not found", "type": "x"}}),
        (404, {"message": "任务不存在 task"}),
    ],
)
def test_a_genuine_task_not_found_still_says_so(status: int, body: dict[str, Any]) -> None:
    result = err(body, status, kind="video-extend")
    assert result.type is ErrorType.NOT_FOUND
    assert result.message.startswith("task Q-1 not found on https://relay.test for kind")
    assert "does not serve" not in result.message


@pytest.mark.parametrize("kind", [Kind.TEXT2AUDIO, Kind.VIDEO2AUDIO])
def test_an_audio_task_s_audios_are_its_results(kind: Kind) -> None:
    data = native_task(kind)
    data["task_result"] = {"audios": [{"id": "a1", "url": "https://cdn.test/a.mp3", "duration": 3}]}
    result = snap(native(data), kind=kind.value)
    assert result.videos == (Video("a1", "https://cdn.test/a.mp3", 3.0),)
    assert result.result_urls == ("https://cdn.test/a.mp3",)
