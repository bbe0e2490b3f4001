"""Issue 12 item 3: a stuck task has its badge, its header count and its filter term."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kling_tui.models import Status
from tests.support.ui_fakes import FakeFetcher, at, entry, snapshot


def key(task_id: str) -> str:
    return f"main:text2video:{task_id}"


def status_cells(app: Any) -> list[str]:
    return [str(c).strip() for c in app.table.get_column("status")]


async def test_a_stuck_task_shows_its_badge_is_counted_and_filtered(make_app: Any) -> None:
    stuck = entry("stuck-1", Status.IN_PROGRESS, progress=30.0, label="frozen at 30")
    stuck.state_since = at(2 * 3600)  # unmoved for 2 h: a video is stuck after 30 min
    moving = entry("moving-2", Status.IN_PROGRESS, progress=42.0, label="rendering")
    moving.state_since = at(60)
    queued = entry("queued-3", Status.SUBMITTED, progress=0.0, label="queued")
    queued.state_since = at(120)
    same = replace(snapshot("stuck-1", progress=30.0, fetched_ago=0), progress_synthetic=True)
    moved = replace(snapshot("stuck-1", progress=100.0, fetched_ago=0), status=Status.SUCCEEDED)
    fetcher = FakeFetcher(
        {
            "stuck-1": [same, moved],
            "moving-2": snapshot("moving-2", progress=50.0, fetched_ago=0),
            "queued-3": snapshot("queued-3", Status.SUBMITTED, progress=0.0, fetched_ago=0),
        }
    )
    app = make_app([stuck, moving, queued], fetcher=fetcher)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        # stuck as of its stored state, before any poll
        header = str(app.summary.render())
        assert "1 stuck" in header and "1 in progress" in header, header
        await app.poller.poll_once()  # the same 30 %: still stuck, still polled
        await pilot.pause()
        assert fetcher.calls.count("stuck-1") == 1
        assert sorted(status_cells(app)) == ["in progress", "stuck", "submitted"]
        header = str(app.summary.render())
        assert "1 stuck" in header and "1 in progress" in header, header
        app.apply_filter("status:stuck")
        await pilot.pause()
        assert app.table.shown_keys() == [key("stuck-1")]
        app.apply_filter("status:running")  # a stuck task is still in progress too
        await pilot.pause()
        assert sorted(app.table.shown_keys()) == [key("moving-2"), key("stuck-1")]
        app.apply_filter("")
        await app.poller.poll_once()  # it moved (finished): un-stuck at once
        await pilot.pause()
        assert "stuck" not in status_cells(app)
        assert "stuck" not in str(app.summary.render())
        assert app.view.state_counts.get("stuck", 0) == 0
