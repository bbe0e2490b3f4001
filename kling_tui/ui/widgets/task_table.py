"""The task table: one row per watched task, updated cell by cell.

Rules this widget keeps, because a DataTable makes each of them easy to break:

* A poll never rebuilds the table. Each row's rendered cells are remembered and only the
  cells whose text or colour changed go to ``update_cell`` (about 9 µs each at any size);
  new tasks are appended by key.
* Every cell is a ``rich.text.Text`` built from plain strings: server text such as
  ``[@click=app.quit]`` is shown, never interpreted.
* The selection is the task under the cursor, by key. ``sort()`` and filtering keep the row
  *index*, so the key is read before and the cursor moved back to it afterwards.
* Time-dependent cells (elapsed, ETA, last checked) are refreshed on a timer for the rows on
  screen only.

The columns shown at each width are in ``table_layout``, the cells and their signatures in
``table_cells``, the DataTable overrides that keep it fast in ``table_overrides``; this
module is the widget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.widgets.data_table import ColumnKey

from kling_tui.bulk import collector_paused
from kling_tui.models import WatchEntry
from kling_tui.ui.download_state import DownloadBoard
from kling_tui.ui.view import EtaEstimator, SortMode, TaskFilter, sort_key
from kling_tui.ui.widgets.palette import Palette
from kling_tui.ui.widgets.table_cells import (
    CellSignature,
    ColumnWidths,
    RowKeyedText,
    cell_signature,
    cell_text,
)
from kling_tui.ui.widgets.table_layout import (
    COLUMN_LABELS,
    MIN_WIDTHS,
    TIME_COLUMNS,
    layout_for_width,
)
from kling_tui.ui.widgets.table_overrides import StructureCachedTable

MARKER = "● "
"""What a marked row shows before its status (``space`` marks, ``esc`` clears)."""
ARROWS = {False: " ▲", True: " ▼"}
"""The sorted column's header: ascending, reversed (``S``)."""

FIRST_ROWS = 50
"""Rows a rebuild adds before the first frame, or the terminal's height if taller: more
than the screen shows. Each row costs 0.1 ms before the first frame; 200 of them were
0.02 s of a 0.65 s cold start at 10,000 tasks (``startup_cold_ratio_10k``, bench/run.py)."""
ROWS_PER_STEP = 1000
"""Rows added per step after that (about 0.1 s of work: keys stay responsive)."""


class TaskTable(StructureCachedTable):
    """The table of watched tasks. The app feeds it entries; it decides what to draw.

    It only draws: the figures over all tasks (header counts, ETA readings) live in the
    view model (``kling_tui.ui.viewmodel``), fed from the same poller batches; ``eta`` is
    read here for the ETA cells, never fed.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Enter opens the video (DataTable's own Enter would only post RowSelected, which a
        # mouse click also posts: opening a browser on a click would be a surprise).
        Binding("enter", "app.open_video", "Open", show=False, id="open-enter"),
        # First / last row. DataTable binds Home/End to sideways scrolling (which a row
        # cursor never needs) and only ctrl+Home/End to the rows.
        Binding("home", "scroll_top", "First row", show=False, id="first-row"),
        Binding("end,G", "scroll_bottom", "Last row", show=False, id="last-row"),
    ]

    DEFAULT_CSS = """
    TaskTable {
        height: 1fr;
    }
    """

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        eta: EtaEstimator,
        palette: Palette,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._now = now
        self.eta = eta
        self.palette = palette
        self.layout_spec = layout_for_width(80)
        self.show_gateway = False
        self.task_filter = TaskFilter()
        self.sort_mode = SortMode.ADDED
        self.sort_reverse = False
        self.marked: set[str] = set()
        """Keys of the marked tasks: they survive refreshes, sorting and filtering (a
        marked task the filter hides stays marked); a removed task leaves the set."""
        self._entries: dict[str, WatchEntry] = {}
        self._cells: dict[str, dict[str, CellSignature]] = {}
        self._sort_keys: dict[str, tuple[object, ...]] = {}
        self._positions: dict[str, int] = {}
        self._sticky: str | None = None
        self._placed: str | None = None
        self._widths = ColumnWidths()
        self._pending: list[str] = []
        """Keys still to be added after a rebuild, in order (see _load_more)."""
        self._loading = 0
        self._order_dirty = False
        self.downloads = DownloadBoard()
        """This session's downloads per task (the app reports into it; rows read it)."""

    # -- queries -------------------------------------------------------------------------

    @property
    def total_count(self) -> int:
        return len(self._entries)

    @property
    def shown_count(self) -> int:
        return len(self._cells) + len(self._pending)

    def entry(self, key: str) -> WatchEntry | None:
        return self._entries.get(key)

    def all_entries(self) -> list[WatchEntry]:
        return list(self._entries.values())

    def current_key(self) -> str | None:
        """Row key under the cursor, read now (not from a possibly stale message)."""
        if self.row_count == 0:
            return None
        row = min(max(self.cursor_row, 0), self.row_count - 1)
        try:
            return self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
        except Exception:  # the cursor may point past the end for a moment
            return None

    def current_entry(self) -> WatchEntry | None:
        key = self.current_key()
        return self._entries.get(key) if key is not None else None

    def shown_entries(self) -> list[WatchEntry]:
        """The tasks the filter shows, in the table's order (rows still being added after
        a rebuild included): what ``e`` exports."""
        matching = [(k, e) for k, e in self._entries.items() if self.task_filter.matches(e)]
        matching.sort(key=lambda item: self._sort_key(*item))
        return [e for _, e in matching]

    def shown_keys(self) -> list[str]:
        return [row.key.value for row in self.ordered_rows if row.key.value is not None]

    # -- rendering -----------------------------------------------------------------------

    def _columns(self) -> tuple[str, ...]:
        columns = self.layout_spec.columns
        if not self.show_gateway:
            columns = tuple(c for c in columns if c != "gateway")
        return columns

    def _render_row(self, key: str, entry: WatchEntry, now: datetime) -> list[Text]:
        cells: list[Text] = []
        signatures: dict[str, CellSignature] = {}
        widths = self._widths
        layout, palette, eta = self.layout_spec, self.palette, self.eta
        download = self.downloads.tasks.get(key)
        for column in self._columns():
            text = cell_text(column, entry, now, layout, palette, eta, download)
            if column == "status" and key in self.marked:
                text = self._marked(text)
            signatures[column] = cell_signature(text)
            widths.add(column, text.cell_len)
            cells.append(RowKeyedText(text, key) if column == "status" else text)
        self._cells[key] = signatures
        return cells

    def _update_row(
        self, key: str, entry: WatchEntry, now: datetime, columns: Iterable[str]
    ) -> int:
        """Send only the changed cells of one shown row to the DataTable. Returns how many."""
        cached = self._cells[key]
        changed = 0
        layout, palette, eta = self.layout_spec, self.palette, self.eta
        download = self.downloads.tasks.get(key)
        for column in columns:
            if column not in cached:
                continue
            text = cell_text(column, entry, now, layout, palette, eta, download)
            if column == "status" and key in self.marked:
                text = self._marked(text)
            new = cell_signature(text)
            old = cached[column]
            if old != new:
                cached[column] = new
                old_width, width = cell_len(old[0]), text.cell_len  # type: ignore[arg-type]
                if old_width != width:
                    self._widths.remove(column, old_width)
                    self._widths.add(column, width)
                    self._fit_column(column)
                if column == "status":
                    text = RowKeyedText(text, key)
                self.update_cell(key, column, text)
                changed += 1
        return changed

    def _marked(self, text: Text) -> Text:
        """A marked row's status cell: the marker, then the badge."""
        marked = Text(MARKER, style=Style(color=self.palette.warning, bold=True))
        marked.append_text(text)
        return marked

    def _fit_column(self, column: str) -> None:
        """Make a column as wide as its widest cell (or label) now; sizes follow on idle."""
        col = self.columns.get(ColumnKey(column))
        if col is None:
            return
        want = max(col.label.cell_len, self._widths.widest(column), MIN_WIDTHS.get(column, 0))
        if col.content_width != want:
            col.content_width = want
            self._require_update_dimensions = True

    def _drop_row(self, key: str) -> None:
        """Remove a shown row and its cells' widths."""
        self.remove_row(key)
        for column, signature in self._cells.pop(key).items():
            self._widths.remove(column, cell_len(signature[0]))  # type: ignore[arg-type]
            self._fit_column(column)

    def _add_row(self, key: str, entry: WatchEntry, now: datetime) -> None:
        self.add_row(*self._render_row(key, entry, now), key=key)

    # -- keys ----------------------------------------------------------------------------

    def action_scroll_bottom(self) -> None:
        """The last row: rows a rebuild still has to add come in first (End means the end)."""
        if self._pending:
            self._load_more(self._loading, everything=True)
        super().action_scroll_bottom()

    # -- structure -----------------------------------------------------------------------

    def _resort(self) -> None:
        """Reorder rows by the sort mode, by task rather than by cell text."""
        if self._pending:
            self._order_dirty = True  # rows still to come: sort once more when all are in
        if self.row_count < 2:
            return
        keys = self._sort_keys
        self.sort("status", key=lambda cell: keys[cell.row_key], reverse=self.sort_reverse)

    def _keep_cursor_on(self, key: str | None) -> None:
        if key is not None and key in self._cells:
            index = self.get_row_index(key)
            if index != self.cursor_row:
                self.move_cursor(row=index, animate=False)
        elif self.row_count and self.cursor_row >= self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def select_key(self, key: str) -> bool:
        """Move the cursor to a task if it is shown. Returns whether it is."""
        if key not in self._cells:
            return False
        self._keep_cursor_on(key)
        return True

    def rebuild(self) -> None:
        """Redraw every column and row: only for a layout, palette-wide or filter change."""
        selected = self.current_key()
        now = self._now()
        self.clear(columns=True)
        self._cells.clear()
        self._widths.clear()
        for column in self._columns():
            self.add_column(self._label(column), key=column)
        task_filter = self.task_filter
        if task_filter.active:
            matching = [(k, e) for k, e in self._entries.items() if task_filter.matches(e, now)]
        else:
            matching = list(self._entries.items())
        matching.sort(key=lambda item: self._sort_keys[item[0]], reverse=self.sort_reverse)
        # The rows on screen (and around the selected task) now; the rest after the first
        # frame, a step at a time, so 10,000 tasks show as fast as 100 and keys still work.
        upto = max(FIRST_ROWS, self.app.size.height)
        if selected is not None:
            at = next((i for i, (k, _) in enumerate(matching) if k == selected), 0)
            upto = max(upto, at + FIRST_ROWS)
        for key, entry in matching[:upto]:
            self._add_row(key, entry, now)
        self._pending = [key for key, _ in matching[upto:]]
        self._order_dirty = False
        self._loading += 1
        if self._pending:
            self.call_after_refresh(self._load_more, self._loading)
        self._keep_cursor_on(selected)

    def _load_more(self, loading: int, *, everything: bool = False) -> None:
        """Add the next step of rows left by ``rebuild`` (unless a newer rebuild began)."""
        if loading != self._loading or not self._pending:
            return
        size = len(self._pending) if everything else ROWS_PER_STEP
        step, self._pending = self._pending[:size], self._pending[size:]
        now = self._now()
        for key in step:
            entry = self._entries.get(key)
            if (
                entry is not None
                and key not in self._cells
                and self.task_filter.matches(entry, now)
            ):
                self._add_row(key, entry, now)
        if self._pending:
            self.call_later(self._load_more, loading)
        elif self._order_dirty:
            selected = self.current_key()
            self._order_dirty = False
            self._resort()
            self._keep_cursor_on(selected)

    @property
    def rows_pending(self) -> int:
        """Rows still to be added after a rebuild."""
        return len(self._pending)

    def set_layout_for_width(self, width: int, *, show_gateway: bool | None = None) -> bool:
        """Switch column set when the width crosses a band. Returns True when it rebuilt."""
        gateway = self.show_gateway if show_gateway is None else show_gateway
        layout = layout_for_width(width, gateway=gateway)
        if layout == self.layout_spec and gateway == self.show_gateway and self.columns:
            return False
        self.layout_spec = layout
        self.show_gateway = gateway
        self.rebuild()
        return True

    def on_resize(self, event: events.Resize) -> None:
        """Columns follow the table's own width (it shrinks when the detail pane is beside)."""
        if event.size.width > 0:
            self.set_layout_for_width(event.size.width)

    def set_palette(self, palette: Palette) -> None:
        """New theme colours: repaint the cells whose colours changed."""
        self.palette = palette
        self.repaint_all()

    def repaint_all(self) -> None:
        now = self._now()
        with self.app.batch_update():
            for key in list(self._cells):
                self._update_row(key, self._entries[key], now, self._columns())

    def set_filter(self, task_filter: TaskFilter) -> None:
        """Show only matching rows, keeping the selected task selected.

        When the filter hides the selected task, it is remembered: clearing or widening the
        filter brings the cursor back to it, unless the user moved the cursor meanwhile.
        """
        self.task_filter = task_filter
        current = self.current_key()
        if self._sticky is not None and current == self._placed:
            selected: str | None = self._sticky
        else:
            selected = current
        now = self._now()
        wanted = {k for k, e in self._entries.items() if task_filter.matches(e, now)}
        shown = set(self._cells)
        removing, adding = shown - wanted, wanted - shown
        if len(removing) > 200:
            self.rebuild()  # cost grows with what stays; remove_row one by one is O(n) each
        else:
            for key in removing:
                self._drop_row(key)
            for key in sorted(adding, key=lambda k: self._sort_keys[k], reverse=self.sort_reverse):
                self._add_row(key, self._entries[key], now)
            self._pending = []  # every matching row is in now, rows a rebuild left included
            if adding:
                self._resort()
        if selected is not None and selected in self._cells:
            self._keep_cursor_on(selected)
            self._sticky = self._placed = None
        else:
            self._keep_cursor_on(None)
            self._sticky = selected
            self._placed = self.current_key()

    def set_sort(self, mode: SortMode, reverse: bool | None = None) -> None:
        """Sort by ``mode`` (``reverse``: the other way round; None keeps the direction)."""
        selected = self.current_key()
        same_mode = mode is self.sort_mode
        self.sort_mode = mode
        if reverse is not None:
            self.sort_reverse = reverse
        if not same_mode:  # the keys depend on the mode only; a reversal reuses them
            self._sort_keys = {k: self._sort_key(k, e) for k, e in self._entries.items()}
        self._resort()
        self._relabel()
        self._keep_cursor_on(selected)

    def _label(self, column: str) -> str:
        """A column's header: its name, and the arrow when the rows sort by it (none for
        the default order, oldest added first)."""
        label = COLUMN_LABELS[column]
        if self.sort_mode is SortMode.ADDED and not self.sort_reverse:
            return label  # the default order, as the header leaves it unsaid
        return label + ARROWS[self.sort_reverse] if self.sort_mode.column == column else label

    def _relabel(self) -> None:
        """Move the sort arrow to the sorted column's header."""
        for column_key, column in self.columns.items():
            label = Text(self._label(column_key.value or ""))
            if column.label.plain != label.plain:
                column.label = label
                self._fit_column(column_key.value or "")
        self._require_update_dimensions = True
        self.refresh()

    # -- marks ---------------------------------------------------------------------------

    def set_marked(self, keys: Iterable[str], marked: bool) -> int:
        """Mark or unmark tasks; redraws the status cell of the shown ones. Returns how
        many changed."""
        now = self._now()
        changed = 0
        for key in keys:
            if key not in self._entries or (key in self.marked) == marked:
                continue
            if marked:
                self.marked.add(key)
            else:
                self.marked.discard(key)
            changed += 1
            if key in self._cells:
                self._update_row(key, self._entries[key], now, ("status",))
        return changed

    def clear_marks(self) -> int:
        return self.set_marked(list(self.marked), False)

    def matching_keys(self) -> list[str]:
        """Every task the filter shows, in table order (rows a rebuild still has to add
        included): what ``V`` marks."""
        return self.shown_keys() + [k for k in self._pending if k not in self._cells]

    # -- feeding -------------------------------------------------------------------------

    def _sort_key(self, key: str, entry: WatchEntry) -> tuple[object, ...]:
        """The row's sort key; its position is fixed the first time the table sees it."""
        position = self._positions.setdefault(key, len(self._positions))
        return sort_key(entry, self.sort_mode, position)

    def load(self, entries: Iterable[WatchEntry]) -> None:
        """Initial fill: the last known state from the watch list, shown at once."""
        with collector_paused():
            self._load(entries)

    def _load(self, entries: Iterable[WatchEntry]) -> None:
        # One pass per task: this runs for every task before the first frame (10,000 at
        # start-up in bench/run.py).
        self._entries = {}
        sort_keys = self._sort_keys
        for entry in entries:
            key = str(entry.key)
            self._entries[key] = entry
            sort_keys[key] = self._sort_key(key, entry)
        self.rebuild()

    def upsert(self, entries: Iterable[WatchEntry]) -> int:
        """Add new tasks and update changed cells of known ones. Returns cells touched."""
        selected = self.current_key()
        now = self._now()
        touched = 0
        need_sort = False
        for entry in entries:
            key = str(entry.key)
            self._entries[key] = entry
            new_sort_key = self._sort_key(key, entry)
            if self._sort_keys.get(key) != new_sort_key:
                need_sort = True
                self._sort_keys[key] = new_sort_key
            matches = self.task_filter.matches(entry, now)
            if key in self._cells:
                if matches:
                    touched += self._update_row(key, entry, now, self._columns())
                else:
                    self._drop_row(key)
                    touched += 1
            elif matches:
                self._add_row(key, entry, now)
                touched += 1
                need_sort = True
        if need_sort:
            self._resort()
        self._keep_cursor_on(selected)
        return touched

    def refresh_downloads(self, keys: Iterable[str]) -> int:
        """Redraw the progress cells of these tasks (their downloads moved). Returns how
        many cells changed; rows filtered out or not added yet are skipped."""
        now = self._now()
        changed = 0
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None and key in self._cells:
                changed += self._update_row(key, entry, now, ("progress",))
        return changed

    def remove_keys(self, keys: Iterable[str]) -> None:
        selected = self.current_key()
        for key in keys:
            self._entries.pop(key, None)
            self._sort_keys.pop(key, None)
            self.marked.discard(key)
            if key in self._cells:
                self._drop_row(key)
        self._keep_cursor_on(selected)

    def refresh_times(self) -> int:
        """Re-render the elapsed / ETA / checked cells of the rows on screen."""
        if not self._cells:
            return 0
        now = self._now()
        first = max(0, int(self.scroll_offset.y) - 5)
        last = min(self.row_count, first + self.size.height + 10)
        changed = 0
        for index in range(first, last):
            key = self.coordinate_to_cell_key(Coordinate(index, 0)).row_key.value
            if key is not None and key in self._cells:
                changed += self._update_row(key, self._entries[key], now, TIME_COLUMNS)
        return changed
