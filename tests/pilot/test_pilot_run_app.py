"""``run_app``: the entry point the CLI uses, run headless end to end."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from textual.app import App

from kling_tui.models import Status
from kling_tui.ui import app as app_module
from tests.support.ui_fakes import FakeFetcher, entry, make_config, make_poller, snapshot, wait_for


def test_run_app_polls_saves_and_closes_the_fetcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetcher = FakeFetcher()
    fetcher.default = lambda e: snapshot(e.task_id, Status.SUCCEEDED, progress=100.0, fetched_ago=0)
    poller = make_poller(tmp_path, [entry("t-run", Status.IN_PROGRESS, progress=10.0)], fetcher)
    seen: dict[str, Any] = {}

    async def drive(pilot: Any) -> None:
        app = pilot.app
        seen["theme"] = app.theme
        seen["note"] = str(app.query_one("#demo-note").render())
        await wait_for(pilot, lambda: "t-run" in fetcher.calls)
        cell = "main:text2video:t-run"
        await wait_for(
            pilot, lambda: app.table.get_cell(cell, "status").plain.strip() == "succeeded"
        )
        await pilot.press("q")

    def headless_run(self: App[int], **_kwargs: Any) -> int | None:
        return App.run(self, headless=True, size=(100, 30), auto_pilot=drive)

    monkeypatch.setattr(app_module.KlingApp, "run", headless_run)
    code = app_module.run_app(poller, make_config(), theme="kling-light", demo_note="demo: fake")
    assert code == 0
    assert seen == {"theme": "kling-light", "note": "demo: fake"}
    assert fetcher.closed
    [saved] = poller.store.load()
    assert saved.status is Status.SUCCEEDED


def test_what_is_loaded_at_launch_stays_out_of_the_collectors_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app freezes what is alive when it starts (the watch list just loaded) and thaws
    it on exit: one generation-1 and one full collection walked 10,000 loaded tasks before
    the first frame (``startup_cold_ratio_10k`` in bench/run.py)."""
    poller = make_poller(tmp_path, [entry("t-old", Status.SUCCEEDED, progress=100.0)])
    [watched] = poller.entries
    before = gc.get_freeze_count()
    seen: dict[str, Any] = {}

    async def drive(pilot: Any) -> None:
        seen["frozen"] = gc.get_freeze_count() - before
        # The permanent generation is not among the objects the collector walks.
        seen["walked"] = any(o is watched for o in gc.get_objects())
        await pilot.press("q")

    def headless_run(self: App[int], **_kwargs: Any) -> int | None:
        return App.run(self, headless=True, size=(100, 30), auto_pilot=drive)

    monkeypatch.setattr(app_module.KlingApp, "run", headless_run)
    assert app_module.run_app(poller, make_config()) == 0
    assert seen["frozen"] > 0
    assert seen["walked"] is False
    assert gc.get_freeze_count() == before  # thawed again on exit
    assert any(o is watched for o in gc.get_objects())
