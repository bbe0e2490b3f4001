"""``e`` in the dashboard: the rows the filter shows, in the table's order, as CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from kling_tui.export import to_csv, to_jsonl
from kling_tui.ui.screens.export import ExportScreen


async def test_e_exports_the_filtered_rows_and_says_where(make_app, tmp_path: Path) -> None:
    app = make_app()
    app.export_dir = tmp_path / "out"
    app.export_dir.mkdir()
    async with app.run_test(size=(120, 30)) as pilot:
        app.apply_filter("status:failed,error")
        await pilot.pause()
        shown = app.table.shown_entries()
        assert shown and all(e.status is None or e.status.value != "succeeded" for e in shown)
        await pilot.press("e")
        assert isinstance(app.screen, ExportScreen)
        await pilot.press("enter")  # the default path
        await app.workers.wait_for_complete()
        await pilot.pause()
        files = list(app.export_dir.iterdir())
        assert len(files) == 1 and files[0].suffix == ".csv"
        text = files[0].read_bytes().decode()
        assert text == to_csv(shown)
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["task_id"] for r in rows] == [e.task_id for e in shown]
        assert len(rows) < app.table.total_count
        toast = [n.message for n in app._notifications][-1]
        assert toast == f"Exported {len(rows)} tasks to {files[0]}"


async def test_e_with_nothing_shown_writes_no_file(make_app, tmp_path: Path) -> None:
    app = make_app()
    app.export_dir = tmp_path
    async with app.run_test(size=(120, 30)) as pilot:
        app.apply_filter("nothing-matches-this")
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not list(tmp_path.glob("kling-tasks-*"))
        assert "Nothing to export" in [n.message for n in app._notifications][-1]


async def test_the_dialog_takes_a_jsonl_path_and_refuses_a_missing_folder(
    make_app, tmp_path: Path
) -> None:
    app = make_app()
    folder = tmp_path / "exports"
    folder.mkdir()
    app.export_dir = folder
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("e")
        field = app.screen.query_one("#export-path")
        field.value = str(tmp_path / "no-such-dir" / "x.csv")
        await pilot.press("enter")
        assert isinstance(app.screen, ExportScreen), "stays open, says why"
        assert "no such folder" in str(app.screen.query_one("#export-error").render())
        field.value = "tasks.jsonl"  # relative to the export folder
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        written = (folder / "tasks.jsonl").read_text()
        assert written == to_jsonl(app.table.shown_entries())
        await pilot.press("e", "escape")
        await app.workers.wait_for_complete()
        assert [p.name for p in folder.iterdir()] == ["tasks.jsonl"], "Esc writes nothing"
