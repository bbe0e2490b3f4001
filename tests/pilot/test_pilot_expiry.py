"""Expiring results on the dashboard: time left in the row, status:expiring, the header
count, the detail pane, and one reminder toast a day (remembered across restarts)."""

from __future__ import annotations

from typing import Any

from kling_tui.models import LocalFile, Status, Video
from kling_tui.reminder import DailyReminder, reminder_path
from tests.support.ui_fakes import NOW, entry

DAY = 86400.0
VIDEO = [Video("v", "https://cdn.example.com/v.mp4", 5.0)]


def tasks() -> list[Any]:
    old = entry("old-1", Status.SUCCEEDED, label="old", videos=VIDEO, updated_ago=28 * DAY)
    fresh = entry("new-1", Status.SUCCEEDED, label="new", videos=VIDEO, updated_ago=DAY)
    saved = entry("saved-1", Status.SUCCEEDED, label="saved", videos=VIDEO, updated_ago=28 * DAY)
    saved.local_files = (LocalFile("/tmp/x.mp4", 5, "0" * 64, "https://cdn/x", 0, "video"),)
    running = entry("run-1", Status.IN_PROGRESS, progress=40.0)
    return [old, fresh, saved, running]


def toasts(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_time_left_filter_header_and_detail(make_app: Any) -> None:
    app = make_app(tasks())
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.table
        assert table.get_cell("main:text2video:old-1", "eta").plain == "exp 2d"
        assert table.get_cell("main:text2video:new-1", "eta").plain == "exp 29d"
        assert table.get_cell("main:text2video:saved-1", "progress").plain == "✓ saved"
        assert "1 expiring" in app.summary.render().plain
        app.apply_filter("status:expiring")
        await pilot.pause()
        assert table.shown_keys() == ["main:text2video:old-1"]  # not the saved one
        assert "expires\t2025-06-03 12:00:00 UTC  (2d left; 30 days from the finish)" in (
            app.detail.plain_text
        )


async def test_one_reminder_a_day_even_across_restarts(make_app: Any) -> None:
    app = make_app(tasks())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app._remind_expiring()  # the clock tick asks again: still one toast
        await pilot.pause()
        assert sum("within 3 days" in t for t in toasts(app)) == 1
    assert reminder_path().read_text().strip() == NOW.date().isoformat()
    assert not DailyReminder().due(NOW)

    again = make_app(tasks())  # a restart the same day: no toast
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert not any("within 3 days" in t for t in toasts(again))


async def test_no_reminder_without_expiring_results(make_app: Any) -> None:
    app = make_app(tasks()[1:])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert not any("expire" in t for t in toasts(app))
        assert "expiring" not in app.summary.render().plain
    assert not reminder_path().exists()
