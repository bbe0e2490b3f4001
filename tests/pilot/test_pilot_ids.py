"""Issue 12 item 2 in the dashboard: the add dialog's "external ids" box, the refusal of a
task already watched under another id, the filter's ``id:`` and the detail pane's ids."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.widgets import Checkbox

from kling_tui.models import Status
from kling_tui.ui.screens.add import AddTasksScreen
from kling_tui.ui.screens.confirm import ConfirmScreen
from tests.support.pilot import record_notes
from tests.support.ui_fakes import entry

RELAY_ID = "task_" + "Mn4o" * 8
KLING_ID = "866889456698785801"


def rendered(widget: Any) -> str:
    return str(widget.render())


def _relay_task():  # -> WatchEntry
    e = entry(RELAY_ID, Status.IN_PROGRESS, external_task_id="order-42")
    assert e.snapshot is not None
    e.snapshot = replace(e.snapshot, kling_task_id=KLING_ID)
    return e


async def test_the_external_box_watches_tasks_by_their_external_id(make_app) -> None:
    app = make_app([])
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("a", *"order-7")
        dialog = app.screen
        assert isinstance(dialog, AddTasksScreen)
        await pilot.pause()
        assert dialog.query_one("#add-hints").display  # "order-7" matches no id form...
        await pilot.click("#add-external")
        await pilot.pause()
        assert dialog.query_one("#add-external", Checkbox).value is True
        assert not dialog.query_one("#add-hints").display  # ...but external ids are free text
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, AddTasksScreen)
        [added] = app.poller.store.load()
        assert (added.task_id, added.external) == ("order-7", True)


async def test_a_task_watched_under_another_id_is_refused_and_named(make_app) -> None:
    app = make_app([_relay_task()])
    notes = record_notes(app)
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("a", *KLING_ID, "ctrl+s")
        await pilot.pause()
        assert len(app.poller.store.load()) == 1
        [(message, _)] = [n for n in notes if "already watched" in n[0]]
        assert f"{KLING_ID} is the Kling id of {RELAY_ID} (text2video on main)" in message


async def test_filter_id_and_detail_pane_know_every_id(make_app) -> None:
    app = make_app([_relay_task(), entry("866889456698785802", Status.SUBMITTED)])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *f"id:{KLING_ID}", "enter")
        await pilot.pause()
        assert app.table.row_count == 1
        lines = app.detail.plain_text.splitlines()
        assert any("task id" in line and RELAY_ID in line for line in lines)
        assert any("Kling id" in line and KLING_ID in line for line in lines)
        assert any("external id" in line and "order-42" in line for line in lines)


async def test_another_id_of_a_task_watched_as_another_kind_asks_first(make_app) -> None:
    e = _relay_task()
    e.kind = "image2video"
    assert e.snapshot is not None
    e.snapshot = replace(e.snapshot, kind="image2video")
    app = make_app([e])
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("a", *"order-42", "ctrl+s")  # the dialog's default: text2video
        await pilot.pause()
        question = app.screen
        assert isinstance(question, ConfirmScreen)
        text = rendered(question.query_one("#confirm-question"))
        assert "order-42 is already watched as image2video on main." in text
