"""Issue 14.1-3: marks and bulk actions, the filter language as typed, hide, sort, and the
view remembered across restarts (every key and term through pilot presses)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kling_tui.config import ViewConfig
from kling_tui.models import Status, WatchEntry
from kling_tui.store.view_state import load_view_state, view_state_path
from kling_tui.ui.app import KlingApp
from kling_tui.ui.screens.confirm import ConfirmScreen
from kling_tui.ui.view import SortMode
from kling_tui.ui.widgets.task_table import MARKER
from tests.support.ui_fakes import entry


def key(task_id: str) -> str:
    return f"main:text2video:{task_id}"


def notes_of(app: KlingApp) -> list[str]:
    notes: list[str] = []
    original = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        assert kwargs.get("markup") is False, message
        notes.append(message)
        original(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return notes


def with_model(e: WatchEntry, model: str) -> WatchEntry:
    assert e.snapshot is not None
    e.snapshot = replace(e.snapshot, model=model)
    return e


def status_cell(app: KlingApp, task_id: str) -> str:
    return app.table.get_cell(key(task_id), "status").plain


async def test_space_marks_and_unmarks_with_a_marker_and_a_header_count(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        app.table.select_key(key("task-running-0002"))
        await pilot.press("space")
        assert app.table.marked == {key("task-running-0002")}
        assert status_cell(app, "task-running-0002").startswith(MARKER)
        assert "1 marked" in app.summary.render().plain
        await pilot.press("space")
        assert not app.table.marked
        assert not status_cell(app, "task-running-0002").startswith(MARKER)
        assert "marked" not in app.summary.render().plain


async def test_V_marks_what_the_filter_shows_and_esc_clears_marks_then_filter(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("slash", *"!status:succeeded", "enter")
        await pilot.pause()
        assert app.table.shown_count == 5
        await pilot.press("V")
        assert len(app.table.marked) == 5 and key("task-done-0003") not in app.table.marked
        await pilot.press("escape")  # marks first
        assert not app.table.marked and app._filter_text == "!status:succeeded"
        await pilot.press("escape")  # then the filter
        assert app._filter_text == "" and app.table.shown_count == 6


async def test_marks_survive_sort_filter_and_refresh(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        app.table.select_key(key("task-failed-0004"))
        await pilot.press("space", "s", "S")
        await pilot.press("slash", *"dragon", "enter")
        await pilot.press("escape")  # clears the marks, not the filter
        assert not app.table.marked
        await pilot.press("space", "slash", "ctrl+a", "backspace", "enter")
        await pilot.pause()
        app.table.upsert([e for e in app.poller.entries if e.task_id == "task-failed-0004"])
        assert app.table.marked == {key("task-failed-0004")}
        assert status_cell(app, "task-failed-0004").startswith(MARKER)


async def test_bulk_remove_asks_once_and_u_undoes_it_whole_in_place(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        before = app.table.shown_keys()
        stored = [e.task_id for e in app.poller.store.load()]
        writes = 0
        store = app.poller.store
        original = store._write

        def counting(entries) -> None:
            nonlocal writes
            writes += 1
            original(entries)

        store._write = counting  # type: ignore[method-assign]
        for task_id in ("task-submitted-0001", "task-done-0003", "task-error-0006"):
            app.table.select_key(key(task_id))
            await pilot.press("space")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Remove 3 tasks?" in str(app.screen._question)
        await pilot.press("y")
        await pilot.pause()
        assert writes == 1 and app.table.total_count == 3
        assert not app.table.marked  # removed tasks leave the marks
        await pilot.press("u")
        await pilot.pause()
        assert writes == 2 and app.table.shown_keys() == before
        assert [e.task_id for e in store.load()] == stored  # in place, in the file too


async def test_r_c_y_act_on_the_marks_else_on_the_cursor(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        refreshed: list[object] = []
        app.poller.refresh = refreshed.append  # type: ignore[method-assign]
        app.table.select_key(key("task-failed-0004"))
        await pilot.press("y")
        assert app._copied == ("task-failed-0004", "task id")
        await pilot.press("r")
        assert len(refreshed) == 1
        for task_id in ("task-done-0003", "task-running-0002"):
            app.table.select_key(key(task_id))
            await pilot.press("space")
        await pilot.press("y")
        assert app._copied is not None
        assert app._copied[0].splitlines() == ["task-running-0002", "task-done-0003"]
        await pilot.press("c")
        assert app._copied[0] == "https://cdn.example.com/videos/sunrise.mp4"
        await pilot.press("r")
        assert len(refreshed) == 3
        assert [e.task_id for e in app._target_entries()] == [
            "task-running-0002",
            "task-done-0003",
        ]


async def test_every_filter_term_and_its_negation(make_app) -> None:
    entries = [
        with_model(entry("a-1", Status.SUCCEEDED, label="red fox"), "kling-v2-1"),
        entry("b-2", Status.FAILED, label="blue bird", gateway="other", kind="image2video"),
        with_model(entry("c-3", Status.IN_PROGRESS, label="red bird"), "kling-v1-6"),
    ]
    app = make_app(entries, gateways=("main", "other"))
    cases = {
        "status:succeeded": ["a-1"],
        "!status:succeeded": ["b-2", "c-3"],
        "kind:i2v": ["b-2"],
        "!kind:i2v": ["a-1", "c-3"],
        "gw:other": ["b-2"],
        "gateway:main !label:fox": ["c-3"],
        "label:red": ["a-1", "c-3"],
        "model:v2": ["a-1"],
        "!model:v2": ["b-2", "c-3"],
        "bird !blue": ["c-3"],
        'label:"red fox"': ["a-1"],
        "status:!failed red": ["a-1", "c-3"],
    }
    async with app.run_test(size=(120, 30)) as pilot:
        for text, expected in cases.items():
            await pilot.press("slash", *text, "enter")
            await pilot.pause()
            shown = [app.table.entry(k).task_id for k in app.table.shown_keys()]
            assert shown == expected, text
            await pilot.press("escape")
            assert app.table.shown_count == 3


async def test_slash_reopens_with_the_filter_selected_so_typing_replaces_it(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("slash", *"dragon", "enter")
        await pilot.press("slash")
        assert app.filter_bar.selected_text == "dragon"
        await pilot.press(*"sunrise", "enter")
        assert app._filter_text == "sunrise" and app.table.shown_count == 1


async def test_h_hides_succeeded_tasks_and_says_so(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("h")
        assert key("task-done-0003") not in app.table.shown_keys()
        assert app.table.shown_count == 5 and "hide done" in app.summary.render().plain
        await pilot.press("h")
        assert app.table.shown_count == 6


async def test_h_with_an_age_hides_only_tasks_finished_long_enough_ago(make_app) -> None:
    app = make_app()
    app.config.view = ViewConfig(hide_finished_after=500)  # task-done finished 400 s ago
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("h")
        assert app.table.shown_count == 6
        app.config.view = ViewConfig(hide_finished_after=300)
        app._rehide()
        assert app.table.shown_count == 5


async def test_s_cycles_S_reverses_with_an_arrow_and_a_header_click_sorts(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.press("s")
        assert app.table.sort_mode is SortMode.LABEL
        labels = {k.value: c.label.plain for k, c in app.table.columns.items()}
        assert labels["label"] == "Label ▲"
        first = app.table.shown_keys()
        await pilot.press("S")
        labels = {k.value: c.label.plain for k, c in app.table.columns.items()}
        assert labels["label"] == "Label ▼"
        assert app.table.shown_keys() == first[::-1]
        assert "sort: label ▼" in app.summary.render().plain
        await pilot.click("TaskTable", offset=(1, 0))  # the Status header
        await pilot.pause()
        assert app.table.sort_mode is SortMode.STATUS and not app.table.sort_reverse
        labels = {k.value: c.label.plain for k, c in app.table.columns.items()}
        assert labels["status"] == "Status ▲" and labels["label"] == "Label"


async def test_filter_hide_and_sort_persist_across_restarts(make_app) -> None:
    path = view_state_path()
    app = make_app(view_state_path=path)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("slash", *"!status:failed", "enter", "h", "s", "S")
        await pilot.pause()
    state, note = load_view_state(path, {m.value for m in SortMode})
    assert note is None
    assert (state.filter_text, state.hide_finished, state.sort, state.sort_reverse) == (
        "!status:failed",
        True,
        "label",
        True,
    )
    again = make_app(view_state_path=path)
    async with again.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert again._filter_text == "!status:failed" and again.hide_finished
        assert again.table.sort_mode is SortMode.LABEL and again.table.sort_reverse
        assert again.table.shown_count == 4  # neither the failed nor the succeeded one


async def test_marks_the_filter_hides_still_count_and_the_question_says_so(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        for task_id in ("task-failed-0004", "task-running-0002"):
            app.table.select_key(key(task_id))
            await pilot.press("space")
        await pilot.press("slash", *"!status:failed", "enter")
        await pilot.pause()
        assert "2 marked" in app.summary.render().plain
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "1 of them not shown by the filter" in str(app.screen._question)
        await pilot.press("n")
        assert app.table.total_count == 6
