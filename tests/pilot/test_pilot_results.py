"""Image tasks and the issue-12 result fields in the dashboard: the detail pane, the table's
results column, and ``o`` / ``c`` acting on images like on videos."""

from __future__ import annotations

import dataclasses
from typing import Any

from kling_tui.models import ErrorType, Image, Status, Video, WatchEntry
from kling_tui.ui.screens.videos import VideoChooserScreen
from tests.support.pilot import key, record_notes
from tests.support.ui_fakes import Opener, entry, fetch_error, wait_for

IMG_A = "https://cdn.example.com/images/a.png"
IMG_B = "https://cdn.example.com/images/b.png"


def select(app: Any, task_id: str, kind: str) -> None:
    assert app.table.select_key(key(task_id, kind=kind))


def image_task(task_id: str = "img-1", images: int = 2) -> WatchEntry:
    item = entry(task_id, Status.SUCCEEDED, kind="image-generations", progress=100)
    assert item.snapshot is not None
    shown = (
        Image(0, IMG_A, "https://cdn.example.com/images/a-wm.png"),
        Image(1, IMG_B),
    )[:images]
    item.snapshot = dataclasses.replace(
        item.snapshot,
        images=shown,
        final_unit_deduction=8.0,
        # one Kling id per task: two entries sharing one are one task (refused twice)
        kling_task_id=f"8423185709337273{len(task_id):02d}{task_id[-1]}",
        model="kling-v2-1",
    )
    return item


def extend_task() -> WatchEntry:
    video = Video("v1", "https://cdn.example.com/v/ext.mp4", 9.0, "https://cdn.example.com/w.mp4")
    item = entry("ext-1", Status.SUCCEEDED, kind="video-extend", videos=[video])
    assert item.snapshot is not None
    item.snapshot = dataclasses.replace(
        item.snapshot, parent_video=Video("p7", "https://cdn.example.com/v/parent.mp4", 5.0)
    )
    return item


async def test_detail_pane_shows_an_image_tasks_images(make_app: Any) -> None:
    app = make_app([image_task()])
    async with app.run_test(size=(120, 40)) as pilot:
        select(app, "img-1", "image-generations")
        await pilot.pause()
        lines = app.detail.plain_text.splitlines()
        assert f"image 1\t#0  {IMG_A}" in lines
        assert "  watermark\thttps://cdn.example.com/images/a-wm.png" in lines
        assert f"image 2\t#1  {IMG_B}" in lines
        assert "cost\t8 units" in lines
        assert "Kling id\t8423185709337273051" in lines
        assert "model\tkling-v2-1" in lines
        assert not any(line.startswith("videos\t") for line in lines)
        # the table's results column counts the images
        cell = app.table.get_cell(key("img-1", kind="image-generations"), "duration")
        assert cell.plain.strip() == "2 img"


async def test_detail_pane_shows_parent_video_and_watermark(make_app: Any) -> None:
    app = make_app([extend_task()])
    async with app.run_test(size=(120, 40)) as pilot:
        select(app, "ext-1", "video-extend")
        await pilot.pause()
        lines = app.detail.plain_text.splitlines()
        assert any(line.startswith("video\t") and "ext.mp4  id v1" in line for line in lines)
        assert "  watermark\thttps://cdn.example.com/w.mp4" in lines
        assert any(
            line.startswith("parent video\t") and "parent.mp4" in line and "id p7" in line
            for line in lines
        )


async def test_image_task_without_results_says_images(make_app: Any) -> None:
    item = entry("img-run", Status.IN_PROGRESS, kind="omni-image", progress=30)
    app = make_app([item])
    async with app.run_test(size=(120, 40)) as pilot:
        select(app, "img-run", "omni-image")
        await pilot.pause()
        assert "images\t—" in app.detail.plain_text.splitlines()
        notes = record_notes(app)
        await pilot.press("o")
        assert notes[-1] == ("No image URL for img-run: still rendering 30%.", "warning")


async def test_open_and_copy_act_on_images(make_app: Any) -> None:
    opener = Opener()
    app = make_app([image_task("img-2", images=1), image_task("img-3")], opener=opener)
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notes(app)
        select(app, "img-2", "image-generations")
        await pilot.press("o")
        await wait_for(pilot, lambda: opener.urls == [IMG_A])
        await wait_for(pilot, lambda: bool(notes) and "Opened the image" in notes[-1][0])
        await pilot.press("c")
        assert app.clipboard == IMG_A
        assert "image URL" in notes[-1][0]
        select(app, "img-3", "image-generations")
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, VideoChooserScreen)
        await pilot.press("2")
        await pilot.pause()
        assert app.clipboard == IMG_B


async def test_open_on_a_kind_the_gateway_does_not_serve_says_so(make_app: Any) -> None:
    error = fetch_error(
        ErrorType.NOT_FOUND,
        "this gateway does not serve lip sync: http://relay.test answered 404 for its path; "
        "watch the task on a gateway that serves it, or check the path prefix",
        status_code=404,
    )
    item = entry("lip-1", None, kind="advanced-lip-sync", error=error)
    app = make_app([item])
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notes(app)
        select(app, "lip-1", "advanced-lip-sync")
        await pilot.press("o")
        assert notes[-1] == (
            "No video URL for lip-1: the gateway main does not serve lip sync (HTTP 404).",
            "warning",
        )
