"""The task table's cells: one ``rich.text.Text`` per column of a task, and what it looks like.

Every cell is built from plain strings (server text such as ``[@click=app.quit]`` is shown,
never interpreted) and cut to the layout's widths once, here. The widget compares a cell's
``cell_signature`` with the last one it sent and updates only the cells that changed;
``ColumnWidths`` keeps each column as wide as its widest cell without measuring again.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from rich.text import Text

from kling_tui.expiry import EXPIRING_WITHIN, downloaded, fmt_left, seconds_left
from kling_tui.kinds import KIND_SPECS
from kling_tui.models import Status, WatchEntry
from kling_tui.ui.download_state import TaskDownload
from kling_tui.ui.format import (
    DASH,
    clip,
    fmt_ago,
    fmt_span,
    fmt_video_duration,
    shorten_middle,
    truncate_text,
)
from kling_tui.ui.view import EtaEstimator, elapsed_seconds, is_stale, row_state
from kling_tui.ui.widgets.badge import render_badge
from kling_tui.ui.widgets.palette import Palette
from kling_tui.ui.widgets.progress import render_download, render_progress
from kling_tui.ui.widgets.table_layout import TableLayout

CellSignature = tuple[object, ...]
SHORT_KINDS = {spec.kind.value: spec.short for spec in KIND_SPECS.values()}


class RowKeyedText(Text):
    """The status cell, carrying its row key.

    ``DataTable.sort`` hands the key function cell values only, never the row key; sorting
    by the task's own attributes (added time, status rank) needs to know which task a row is.
    """

    def __init__(self, text: Text, row_key: str) -> None:
        super().__init__()
        self.append_text(text)
        self.row_key = row_key


def cell_signature(text: Text) -> CellSignature:
    """What a cell looks like, cheaply comparable: plain text, base style and spans."""
    return (text.plain, text.style, tuple(text.spans))


class ColumnWidths:
    """How many shown cells of each column have each width.

    A column is as wide as its widest cell; kept this way it grows *and shrinks* as cells
    change without measuring any cell again. (DataTable re-measures the whole column when a
    cell narrows: 100 ms per update at 10,000 rows; never shrinking instead let a passing
    wide value push the table past the screen edge.)
    """

    def __init__(self) -> None:
        self._counts: dict[str, Counter[int]] = {}

    def clear(self) -> None:
        self._counts.clear()

    def add(self, column: str, width: int) -> None:
        self._counts.setdefault(column, Counter())[width] += 1

    def remove(self, column: str, width: int) -> None:
        counts = self._counts.get(column)
        if counts is not None:
            counts[width] -= 1
            if counts[width] <= 0:
                del counts[width]

    def widest(self, column: str) -> int:
        counts = self._counts.get(column)
        return max(counts) if counts else 0


def cell_text(
    column: str,
    entry: WatchEntry,
    now: datetime,
    layout: TableLayout,
    palette: Palette,
    eta: EtaEstimator,
    download: TaskDownload | None = None,
) -> Text:
    """One cell of a task's row, cut to the layout's widths (raises KeyError for no column).

    A plain function the widget calls once per cell (the per-update hot path of
    ``table_update_scaling_ratio``): the widget reads layout, palette and ETA reader once
    per row and passes them in. ``download``: the task's downloads of this session, if any
    (the progress cell shows them; a task saved earlier shows ``✓ saved`` from its entry).
    """
    snap = entry.snapshot
    muted = palette.muted_style
    if column == "status":
        return render_badge(
            row_state(entry), is_stale(entry), palette, compact=layout.compact_badge
        )
    if column == "progress":
        if download is not None:
            return render_download(
                download.state, download.fraction, palette, width=layout.bar_width
            )
        if snap is not None and snap.status is Status.SUCCEEDED:
            if downloaded(entry):
                return render_download("done", 1.0, palette, width=layout.bar_width)
            if getattr(entry, "download_error", None):
                return render_download("failed", None, palette, width=layout.bar_width)
        return render_progress(snap, palette, width=layout.bar_width)
    if column == "duration":
        if snap is not None and snap.images and not snap.videos:
            return Text(f"{len(snap.images)} img")  # an image task's results
        if snap is None or not snap.videos:
            return Text(DASH, style=muted)
        text = Text(fmt_video_duration(snap.videos[0].duration))
        if len(snap.videos) > 1:
            text.append(f" ×{len(snap.videos)}", style=muted)
        return text
    if column == "label":
        if not entry.label:
            return Text(DASH, style=muted)
        return truncate_text(Text(clip(entry.label, 200)), layout.label_width)
    if column == "id":
        return Text(shorten_middle(clip(entry.task_id, 200), layout.id_width))
    if column == "kind":
        kind = clip(entry.kind, 40)
        return Text(SHORT_KINDS.get(kind, kind) if layout.short_kind else kind)
    if column == "gateway":
        return truncate_text(Text(clip(entry.gateway, 60)), 16)
    if column == "elapsed":
        return Text(fmt_span(elapsed_seconds(entry, now)))
    if column == "eta":
        if snap is not None and snap.status is Status.SUCCEEDED:
            return expiry_text(entry, now, palette)
        seconds = eta.eta_seconds(entry, now)
        if seconds is None:
            return Text(DASH, style=muted)
        return Text("~" + fmt_span(seconds))
    if column == "checked":
        text = Text(
            fmt_ago(entry.last_checked, now), style=muted if entry.last_error is None else ""
        )
        error = entry.last_error
        if error is not None:
            warn = palette.badge_fg("stale" if snap is not None else "error", bold=True)
            text.append(" ⚠", style=warn)
            if layout.checked_detail:
                text.append(f" {error.type.value.replace('_', ' ')}", style=warn)
        return text
    raise KeyError(column)


def expiry_text(entry: WatchEntry, now: datetime, palette: Palette) -> Text:
    """A succeeded task's ETA cell: how long its result URL has left (``exp 29d``), in the
    warning colour under three days unless downloaded, ``expired`` after (``expiry``)."""
    left = seconds_left(entry.snapshot, now)
    if left is None:
        return Text(DASH, style=palette.muted_style)
    if left <= 0:
        return Text("expired", style=palette.muted_style)
    text = f"exp {fmt_left(left)}"
    if left < EXPIRING_WITHIN.total_seconds() and not downloaded(entry):
        return Text(text, style=palette.badge_fg("stale", bold=True))
    return Text(text, style=palette.muted_style)
