"""``e``: the rows the table shows (filter applied, in its order) written as CSV (or JSON
lines), to a path the export dialog offers (default: ``kling-tasks-DATE-TIME.csv`` in the
directory the dashboard was started in).

The rows come from the core's one row builder (``kling_tui.export``: the columns of
``kling-tui ls --csv`` and ``kling-tui export``); the file is written in a thread (10,000
rows take about 0.1 s) and replaced atomically; a toast gives its path.
"""

from __future__ import annotations

from pathlib import Path

from kling_tui.export import default_export_name, write_export
from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import WatchEntry
from kling_tui.ui.screens.export import ExportScreen


class ExportMixin:
    """KlingApp's export concern (``e``)."""

    export_dir: Path | None = None
    """Where ``e`` writes; None: the directory the dashboard was started in."""

    def action_export_view(self) -> None:
        entries = self.table.shown_entries()
        if not entries:
            self.notify("Nothing to export: no task is shown.", severity="warning", markup=False)
            return
        folder = self.export_dir if self.export_dir is not None else Path.cwd()
        default = folder / default_export_name(self._now())

        def chosen(target: tuple[Path, str] | None) -> None:
            if target is not None:
                path, fmt = target
                self.run_worker(
                    lambda: self._write_export(path, entries, fmt),
                    name="export",
                    group="export",
                    thread=True,
                    exit_on_error=False,
                )

        self.push_screen(ExportScreen(len(entries), default, folder), chosen)

    def _write_export(self, path: Path, entries: list[WatchEntry], fmt: str = "csv") -> None:
        """In a thread: write, then toast from the UI loop."""
        try:
            count = write_export(path, entries, fmt)
        except OSError as exc:
            why = clean_text(f"{exc.strerror or exc}", limit=200)
            message = f"Export failed: {clean_text(str(path), limit=300)}: {why}"
            self.call_from_thread(self.notify, message, severity="error", markup=False)
            return
        noun = "task" if count == 1 else "tasks"
        message = f"Exported {count} {noun} to {clean_text(str(path), limit=300)}"
        self.call_from_thread(self.notify, message, markup=False, timeout=8)
