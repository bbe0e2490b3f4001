"""The kind table: every Kling kind once, every spelling resolves, results round-trip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kling_tui.gateway.fetcher import Fetcher
from kling_tui.kinds import KIND_ALIASES, KIND_SPECS, Kind, Media, kind_spec, parse_kind
from kling_tui.models import Image, Status, TaskSnapshot, Video, WatchEntry, snapshot_json
from kling_tui.store.codec import entry_to_table, read_entry
from kling_tui.store.errors import EntryInvalid

ISSUE_SHORTS = (
    "t2v i2v mi2v omni ext lip fx mc avatar elem img omni-img mi2i expand tryon t2a v2a".split()
)
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_every_kind_of_the_issue_has_its_short_label() -> None:
    assert [s.short for s in KIND_SPECS.values()] == ISSUE_SHORTS
    assert set(KIND_SPECS) == set(Kind)
    assert len({s.path for s in KIND_SPECS.values()}) == len(KIND_SPECS)


@pytest.mark.parametrize("spec", list(KIND_SPECS.values()), ids=lambda s: s.short)
def test_each_spelling_resolves(spec) -> None:
    for text in (spec.kind.value, spec.short, spec.path, spec.short.upper(), f" {spec.short} "):
        assert parse_kind(text) is spec.kind
    assert kind_spec(spec.kind.value) is spec


def test_aliases_never_collide_and_unknown_is_none() -> None:
    for name, kind in KIND_ALIASES.items():
        assert parse_kind(name) is kind
    assert parse_kind("multi-i2v") is Kind.MULTI_IMAGE2VIDEO  # the label of earlier releases
    for bad in ("", "video", "nope", None, 3, "t2v/../x"):
        assert parse_kind(bad) is None


def test_media_of_the_kind_groups() -> None:
    assert {k for k, s in KIND_SPECS.items() if s.media is Media.IMAGE} == {
        Kind.IMAGE,
        Kind.OMNI_IMAGE,
        Kind.MULTI_IMAGE2IMAGE,
        Kind.EXPAND,
        Kind.TRY_ON,
    }
    assert {k for k, s in KIND_SPECS.items() if s.stock_relay} == {
        Kind.TEXT2VIDEO,
        Kind.IMAGE2VIDEO,
    }


def test_url_for_routes_each_kind_to_its_path() -> None:
    from kling_tui.config import GatewayConfig

    gw = GatewayConfig("n", "https://api-singapore.klingai.com", "/v1", None)
    fetcher = Fetcher.__new__(Fetcher)
    assert (
        Fetcher.url_for(fetcher, gw, "avatar-image2video", "123")
        == "https://api-singapore.klingai.com/v1/videos/avatar/image2video/123"
    )
    assert (
        Fetcher.url_for(fetcher, gw, "image-expand", "9")
        == "https://api-singapore.klingai.com/v1/images/editing/expand/9"
    )
    assert Fetcher.url_for(fetcher, gw, "text-to-audio", "9").endswith("/v1/audio/text-to-audio/9")


def _snap() -> TaskSnapshot:
    return TaskSnapshot(
        task_id="task_" + "a" * 32,
        kind="image-generations",
        status=Status.SUCCEEDED,
        status_raw="SUCCESS",
        progress=100.0,
        videos=(Video("v1", "https://cdn.example/v.mp4", 5.0, "https://cdn.example/w.mp4"),),
        message="",
        external_task_id="my-job-1",
        created_at=T0,
        updated_at=T0,
        fetched_at=T0,
        images=(Image(0, "https://cdn.example/0.png"), Image(1, "https://cdn.example/1.png")),
        parent_video=Video("p1", "https://cdn.example/p.mp4", 10.0),
        final_unit_deduction=2.5,
        kling_task_id="860123456789012345678",
        model="kling-v2-1",
    )


def test_new_result_fields_round_trip_through_the_watch_list() -> None:
    entry = WatchEntry("task_" + "a" * 32, "image-generations", "relay", T0, snapshot=_snap())
    back = read_entry(entry_to_table(entry))
    assert back.snapshot == entry.snapshot
    assert back.known_ids == ("task_" + "a" * 32, "860123456789012345678", "my-job-1")
    assert back.snapshot.result_urls == (
        "https://cdn.example/v.mp4",
        "https://cdn.example/0.png",
        "https://cdn.example/1.png",
    )


def test_json_keeps_the_new_fields() -> None:
    record = snapshot_json("x", "image-generations", _snap(), None)
    assert record["final_unit_deduction"] == 2.5
    assert record["images"][1] == {
        "index": 1,
        "url": "https://cdn.example/1.png",
        "watermark_url": None,
    }
    assert record["parent_video"]["id"] == "p1"
    assert record["videos"][0]["watermark_url"] == "https://cdn.example/w.mp4"
    assert record["kling_task_id"] == "860123456789012345678"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("final_unit_deduction", -1),
        ("final_unit_deduction", 1e12),
        ("final_unit_deduction", "3"),
        ("images", "x"),
        ("images", [{"index": -1}]),
        ("images", [{"index": True}]),
        ("images", [{}] * 65),
        ("parent_video", "x"),
    ],
)
def test_bad_new_fields_in_the_file_are_refused(field: str, value: object) -> None:
    table = entry_to_table(WatchEntry("1" * 19, "text2video", "relay", T0, snapshot=_snap()))
    table["last"][field] = value
    with pytest.raises(EntryInvalid):
        read_entry(table)


def test_a_hand_written_short_kind_is_stored_by_its_name() -> None:
    table = entry_to_table(WatchEntry("1" * 19, "text2video", "relay", T0))
    table["kind"] = "lip"
    assert read_entry(table).kind == "advanced-lip-sync"


# Written out from the API README ("Every native task kind"), not from kinds.py: the
# client and the simulator share kinds.KIND_SPECS, so this is where a typo in a path shows.
README_PATHS = {
    "text2video": "videos/text2video",
    "image2video": "videos/image2video",
    "multi-image2video": "videos/multi-image2video",
    "omni-video": "videos/omni-video",
    "video-extend": "videos/video-extend",
    "effects": "videos/effects",
    "motion-control": "videos/motion-control",
    "avatar-image2video": "videos/avatar/image2video",
    "multi-elements": "videos/multi-elements",
    "advanced-lip-sync": "videos/advanced-lip-sync",
    "image-generations": "images/generations",
    "omni-image": "images/omni-image",
    "multi-image2image": "images/multi-image2image",
    "image-expand": "images/editing/expand",
    "kolors-virtual-try-on": "images/kolors-virtual-try-on",
    "text-to-audio": "audio/text-to-audio",
    "video-to-audio": "audio/video-to-audio",
}


def test_every_path_is_the_api_readmes() -> None:
    assert {s.kind.value: s.path for s in KIND_SPECS.values()} == README_PATHS
