"""Every key of the dashboard, driven through Pilot with the real Poller and a fake fetcher."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Any

import pytest

from kling_tui.config import AppConfig
from kling_tui.models import Status, Video
from kling_tui.ui.screens.add import AddTasksScreen
from kling_tui.ui.screens.confirm import ConfirmScreen
from kling_tui.ui.screens.help import HelpScreen
from kling_tui.ui.screens.videos import OpenFailedScreen, VideoChooserScreen
from kling_tui.ui.view import SortMode
from tests.support.pilot import copy_after_a_failed_open, key, record_notes, select
from tests.support.ui_fakes import NOW, FakeFetcher, Opener, entry, snapshot, wait_for

# -- start -------------------------------------------------------------------------------


async def test_last_known_state_is_shown_at_once(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        table = app.table
        assert table.row_count == 6
        assert table.get_cell(key("task-done-0003"), "status").plain.strip() == "succeeded"
        assert "stale" in table.get_cell(key("task-stale-0005"), "status").plain
        assert table.get_cell(key("task-error-0006"), "status").plain.strip() == "error"
        assert "42%" in table.get_cell(key("task-running-0002"), "progress").plain
        assert "⚠" in table.get_cell(key("task-stale-0005"), "checked").plain


# -- a: add ------------------------------------------------------------------------------


async def test_add_one_id(make_app) -> None:
    app = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        assert isinstance(app.screen, AddTasksScreen)
        await pilot.press(*"task-new-1")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, AddTasksScreen)
        assert app.table.shown_keys() == [key("task-new-1")]
        assert [e.task_id for e in app.poller.store.load()] == ["task-new-1"]


async def test_add_without_config_uses_the_gateway_the_list_remembers(make_app) -> None:
    """A list started with `kling-tui add --base-url URL` and no config file at all."""
    old = entry("task-old", gateway="default")
    old.base_url, old.path_prefix = "https://relay.example", "/kling/v1"
    app = make_app([old])
    app.config = AppConfig(gateways={}, default_gateway="default")  # as with no config file
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a", *"task-new-2", "ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, AddTasksScreen)
        saved = {e.task_id: e for e in app.poller.store.load()}
        assert saved["task-new-2"].gateway == "default"
        assert saved["task-new-2"].base_url == "https://relay.example"
        assert saved["task-new-2"].path_prefix == "/kling/v1"


async def test_add_many_pasted_ids_with_kind_gateway_label(make_app) -> None:
    app = make_app([], gateways=("main", "relay"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        screen = app.screen
        assert isinstance(screen, AddTasksScreen)
        await pilot.pause()
        screen.query_one("#add-ids").text = "t-1, t-2\nt-3   t-1"
        screen.query_one("#add-kind").value = "image2video"
        screen.query_one("#add-gateway").value = "relay"
        screen.query_one("#add-label").value = "batch"
        await pilot.click("#add-ok")
        await pilot.pause()
        added = app.poller.store.load()
        assert [e.task_id for e in added] == ["t-1", "t-2", "t-3"]
        assert {(e.kind, e.gateway, e.label) for e in added} == {("image2video", "relay", "batch")}
        assert app.table.total_count == 3


async def test_add_invalid_ids_reported_inline_and_nothing_added(make_app) -> None:
    app = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        screen = app.screen
        assert isinstance(screen, AddTasksScreen)
        screen.query_one("#add-ids").text = "good-1 ../etc bad/id good-2"
        await pilot.click("#add-ok")
        await pilot.pause()
        assert app.screen is screen  # still open
        errors = str(screen.query_one("#add-errors").render())
        assert "2 ids are not valid" in errors
        assert "bad/id" in errors and "../etc" in errors
        assert app.poller.store.load() == []
        assert app.table.total_count == 0
        drop = screen.query_one("#add-drop")
        assert drop.display
        await pilot.click("#add-drop")
        await pilot.pause()
        assert screen.query_one("#add-ids").text == "good-1\ngood-2"
        await pilot.click("#add-ok")
        await pilot.pause()
        assert [e.task_id for e in app.poller.store.load()] == ["good-1", "good-2"]


async def test_add_empty_and_cancel(make_app) -> None:
    app = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a", "ctrl+s")
        screen = app.screen
        assert isinstance(screen, AddTasksScreen)
        assert "at least one task id" in str(screen.query_one("#add-errors").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, AddTasksScreen)
        assert app.table.total_count == 0


async def test_add_duplicate_is_reported(make_app) -> None:
    app = make_app([entry("dup-1")])
    notes = []
    async with app.run_test(size=(100, 30)) as pilot:
        notes = record_notes(app)
        await pilot.press("a", *"dup-1 dup-2", "ctrl+s")
        await pilot.pause()
        assert app.table.total_count == 2
        assert any("1 new task" in m and "1 already watched" in m for m, _ in notes)


# -- d / u: remove and undo ----------------------------------------------------------------


async def test_remove_asks_then_undo_restores_in_place(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        select(app, "task-done-0003")
        before = app.table.shown_keys()
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert key("task-done-0003") not in app.table.shown_keys()
        assert "task-done-0003" not in [e.task_id for e in app.poller.store.load()]
        await pilot.press("u")
        await pilot.pause()
        assert app.table.shown_keys() == before
        assert "task-done-0003" in [e.task_id for e in app.poller.store.load()]
        restored = app.table.entry(key("task-done-0003"))
        assert restored is not None and restored.status is Status.SUCCEEDED


async def test_remove_declined_keeps_task_and_undo_with_nothing(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        notes = record_notes(app)
        await pilot.press("d", "n")
        await pilot.pause()
        assert app.table.total_count == 6
        await pilot.press("u")
        assert ("Nothing to undo.", "warning") in notes


# -- o / Enter: open ------------------------------------------------------------------------


@pytest.mark.parametrize("press", ["o", "enter"])
async def test_open_uses_the_injected_opener_in_a_thread(make_app, press: str) -> None:
    opener = Opener()
    app = make_app(opener=opener)
    async with app.run_test(size=(100, 30)) as pilot:
        select(app, "task-done-0003")
        await pilot.press(press)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert opener.urls == ["https://cdn.example.com/videos/sunrise.mp4"]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("javascript:alert(1)", "scheme is 'javascript'"),
        ("file:///etc/passwd", "scheme is 'file'"),
        ("-new-window", "starts with '-'"),
        ("https://user:pw@evil.example/v.mp4", "user name or password"),
    ],
)
async def test_open_refuses_non_http_urls(make_app, url: str, why: str) -> None:
    opener = Opener()
    video = Video("v", url, 5.0)
    app = make_app([entry("t-1", Status.SUCCEEDED, videos=[video])], opener=opener)
    async with app.run_test(size=(100, 30)) as pilot:
        notes = record_notes(app)
        await pilot.press("o")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert opener.urls == []
        assert any(m.startswith("Not opening this link") and why in m for m, _ in notes)


async def test_open_without_video_says_why(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        notes = record_notes(app)
        select(app, "task-running-0002")
        await pilot.press("o")
        assert ("No video URL for city at night: still rendering 42%.", "warning") in notes


@pytest.mark.parametrize(
    "result", [False, webbrowser.Error("could not locate runnable browser"), ValueError("bad")]
)
async def test_browser_failure_offers_to_copy(make_app, result: Any) -> None:
    app = make_app(opener=Opener(result))
    async with app.run_test(size=(100, 30)) as pilot:
        await copy_after_a_failed_open(app, pilot, "task-done-0003")
        assert app.clipboard == "https://cdn.example.com/videos/sunrise.mp4"
        assert not isinstance(app.screen, OpenFailedScreen)


async def test_several_videos_choose_one(make_app) -> None:
    opener = Opener()
    videos = [
        Video("a", "https://cdn.example.com/a.mp4", 5),
        Video("b", "https://cdn.example.com/b.mp4", 10),
    ]
    app = make_app([entry("multi", Status.SUCCEEDED, videos=videos)], opener=opener)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("o")
        assert isinstance(app.screen, VideoChooserScreen)
        await pilot.press("2")
        await app.workers.wait_for_complete()
        assert opener.urls == ["https://cdn.example.com/b.mp4"]
        await pilot.press("o")
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        assert opener.urls == ["https://cdn.example.com/b.mp4"]


# -- c / y: copy ----------------------------------------------------------------------------


async def test_copy_url_and_id(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        select(app, "task-done-0003")
        await pilot.press("c")
        assert app.clipboard == "https://cdn.example.com/videos/sunrise.mp4"
        await pilot.press("y")
        assert app.clipboard == "task-done-0003"


# -- r / R / p: refresh and pause -------------------------------------------------------------


async def test_refresh_selected_polls_it_now(make_app) -> None:
    done = snapshot("task-running-0002", Status.SUCCEEDED, progress=100.0, fetched_ago=0)
    fetcher = FakeFetcher({"task-running-0002": done})
    app = make_app(fetcher=fetcher, start_polling=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        fetcher.calls.clear()
        select(app, "task-running-0002")
        await pilot.press("r")
        await wait_for(pilot, lambda: "task-running-0002" in fetcher.calls)
        cell = key("task-running-0002")
        await wait_for(
            pilot, lambda: app.table.get_cell(cell, "status").plain.strip() == "succeeded"
        )


async def test_refresh_all(make_app) -> None:
    fetcher = FakeFetcher()
    fetcher.default = lambda e: snapshot(e.task_id, Status.SUCCEEDED, fetched_ago=0)
    app = make_app(fetcher=fetcher, start_polling=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("R")
        ids = {e.task_id for e in app.table.all_entries()}
        await wait_for(pilot, lambda: ids <= set(fetcher.calls))  # finished ones too


async def test_pause_and_resume(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("p")
        assert app.poller.paused
        await pilot.pause()
        assert "paused" in str(app.query_one("#summary").render())
        await pilot.press("p")
        assert not app.poller.paused
        await pilot.pause()
        assert "paused" not in str(app.query_one("#summary").render())


# -- / and s: filter and sort ------------------------------------------------------------------


async def test_filter_by_status_and_text_keeps_selection(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        select(app, "task-failed-0004")
        await pilot.press("slash", *"is:fail,err")
        await pilot.pause()
        # "error" means "the last poll failed": the stale row matches too
        assert app.table.shown_keys() == [
            key("task-failed-0004"),
            key("task-stale-0005"),
            key("task-error-0006"),
        ]
        assert app.table.current_key() == key("task-failed-0004")
        await pilot.press("enter")
        assert app.focused is app.table
        assert "filter 3/6" in str(app.query_one("#summary").render())
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert app.table.shown_count == 6
        assert app.table.current_key() == key("task-failed-0004")
        await pilot.press("slash")
        app.filter_bar.value = "sunrise"
        await pilot.press("enter")
        assert app.table.shown_keys() == [key("task-done-0003")]
        await pilot.press("slash")
        app.filter_bar.value = "sunrise moderation"  # every word must match
        await pilot.press("enter")
        assert app.table.shown_keys() == []
        assert "No task matches" in str(app.query_one("#empty").render())


async def test_selection_hidden_by_a_filter_comes_back(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        select(app, "task-failed-0004")
        app.apply_filter("sunrise")
        assert app.table.current_key() == key("task-done-0003")
        app.apply_filter("")
        assert app.table.current_key() == key("task-failed-0004")
        # ...unless the user picked another task meanwhile
        app.apply_filter("status:in_progress")
        await pilot.press("up")
        moved = app.table.current_key()
        app.apply_filter("")
        assert app.table.current_key() == moved != key("task-failed-0004")


async def test_sort_cycles_and_keeps_selection(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        select(app, "task-running-0002")
        order = [app.table.sort_mode]
        for _ in range(4):
            await pilot.press("s")
            order.append(app.table.sort_mode)
            assert app.table.current_key() == key("task-running-0002")
        assert order == [
            SortMode.ADDED,
            SortMode.LABEL,
            SortMode.STATUS,
            SortMode.PROGRESS,
            SortMode.ADDED,
        ]
        app.set_sort(SortMode.STATUS)
        assert app.table.shown_keys()[0] == key("task-failed-0004")
        assert app.table.shown_keys()[-1] == key("task-done-0003")
        app.set_sort(SortMode.LABEL)
        labels = [app.table.entry(k).label for k in app.table.shown_keys()]
        assert labels == sorted(labels, key=str.casefold)


# -- ? / j / i / q ----------------------------------------------------------------------------


async def test_help_lists_every_key(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.plain_text()
        for expected in (
            "a ",
            "d ",
            "u ",
            "o",
            "enter",
            "c ",
            "y ",
            "r ",
            "R ",
            "p ",
            "/",
            "s ",
            "j ",
            "?",
            "q ",
        ):
            assert expected in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_raw_json_and_detail_toggles(make_app) -> None:
    raw = '{"code": 0, "data": {"task_status": "succeed"}}'
    app = make_app([entry("t-raw", Status.SUCCEEDED, raw=raw)])
    async with app.run_test(size=(100, 40)) as pilot:
        raw_view = app.query_one("#detail-raw")
        assert "press j" in str(raw_view.render())
        await pilot.press("j")
        shown = str(raw_view.render())
        assert '"data": {\n    "task_status": "succeed"\n  }' in shown  # pretty-printed
        await pilot.press("j")
        assert "task_status" not in str(raw_view.render())
        await pilot.press("i")
        assert not app.detail.display or app.detail.has_class("-hidden")
        await pilot.press("i")
        assert not app.detail.has_class("-hidden")


async def test_quit_stops_the_poller_and_saves(make_app) -> None:
    fetcher = FakeFetcher()
    fetcher.default = lambda e: snapshot(
        e.task_id, Status.IN_PROGRESS, progress=55.0, fetched_ago=0
    )
    app = make_app(
        [entry("t-q", Status.IN_PROGRESS, progress=10.0)], fetcher=fetcher, start_polling=True
    )
    app._close_fetcher = True
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "t-q" in fetcher.calls)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert fetcher.closed
    [saved] = app.poller.store.load()
    assert saved.snapshot is not None and saved.snapshot.progress == 55.0


# -- palette and keymap ------------------------------------------------------------------------


async def test_command_palette_offers_every_action_and_themes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in (
            "Add tasks",
            "Remove the selected task from the watch list",
            "Undo the last removal",
            "Open the selected task's video in the web browser",
            "Copy the selected task's video URL",
            "Copy the selected task's id",
            "Refresh the selected task now",
            "Refresh every task now",
            "Pause or resume polling",
            "Filter by text or status",
            "Cycle the sort order",
            "Show keys and filter syntax",
            "Quit",
            "Theme",
            "Theme: kling-light",
            "Theme: kling-high-contrast",
        ):
            assert title in titles


async def test_bindings_can_be_rebound_by_id(make_app) -> None:
    app = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        app.set_keymap({"add": "n"})
        await pilot.press("n")
        assert isinstance(app.screen, AddTasksScreen)


async def test_theme_switch_is_remembered(make_app, tmp_path: Path, monkeypatch) -> None:
    saved: list[tuple[Path, str]] = []
    monkeypatch.setattr(
        "kling_tui.ui.theming.remember_theme", lambda path, name: saved.append((path, name))
    )
    config_path = tmp_path / "config.toml"
    app = make_app(config_path=config_path, theme="kling-high-contrast")
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.theme == "kling-high-contrast"
        app.theme = "kling-light"
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert saved == [(config_path, "kling-high-contrast"), (config_path, "kling-light")]
        badge = app.table.get_cell(key("task-done-0003"), "status")
        assert "#1e7b45" in str(badge.spans[0].style if badge.spans else badge.style)


async def test_unknown_theme_falls_back_with_a_warning(make_app) -> None:
    app = make_app(theme="no-such-theme")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "kling-dark"
        assert any("Unknown theme" in n.message for n in app._notifications)


async def test_now_is_injected(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(160, 40)):
        assert app._now() == NOW
        assert app.table.get_cell(key("task-done-0003"), "elapsed").plain == "5m00s"


async def test_command_palette_runs_actions_and_switches_theme(make_app) -> None:
    app = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p", *"Add tasks")
        await wait_for(pilot, lambda: app.screen.query_one("CommandList").option_count > 0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AddTasksScreen))
        await pilot.press("escape")
        await pilot.press("ctrl+p", *"Theme: kling-light")
        await wait_for(pilot, lambda: app.screen.query_one("CommandList").option_count > 0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.theme == "kling-light")
