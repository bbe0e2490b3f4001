"""The DataTable overrides the task table needs to stay fast at 10,000 rows.

They lean on private DataTable members (Textual is pinned in pyproject.toml), so they live
apart from the widget's own logic: ``tests/pilot/test_textual_private_api.py`` checks every
name here against the installed Textual and fails loudly if an upgrade moves one. Each
override says which benchmark figure (bench/run.py) it holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from rich.text import Text
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import Row, RowKey

from kling_tui.ui.widgets.table_cells import ColumnWidths
from kling_tui.ui.widgets.table_layout import MIN_WIDTHS


class StructureCachedTable(DataTable[Text]):
    """A DataTable whose row order and line offsets are cached by structure, not by update.

    Subclasses keep ``_widths`` up to date with every cell they render: the column widths
    come from it instead of DataTable measuring every cell again.
    """

    _widths: ColumnWidths
    """The widest cell per column, kept by the subclass as it renders cells."""

    # DataTable keys its row order and line offsets by an update counter that every
    # ``update_cell`` bumps, so after each cell update the next frame rebuilt both for
    # every row: 25 ms per update at 10,000 rows (bench/run.py, table updates). Rows are
    # one line high and change order only through the methods below, so those are what
    # invalidate the two lists here. (Textual is pinned; these are its private names,
    # checked by tests/pilot/test_textual_private_api.py.)
    #
    # Holds ``table_update_scaling_ratio`` (goal <= 1.5). Measured side by side, without
    # ``ordered_rows`` / ``_y_offsets`` below (and so without the four wrappers that only
    # invalidate them): 2.12 and 1.71 against 1.34 and 1.07 with them (issue 11.5).

    _structure: int = 0
    _ordered_rows_cached: tuple[tuple[int, int], list[Row]] | None = None
    _y_offsets_cached: tuple[tuple[int, int], list[tuple[RowKey, int]]] | None = None

    def add_row(self, *args: object, **kwargs: object) -> RowKey:  # type: ignore[override]
        self._structure += 1
        return super().add_row(*args, **kwargs)  # type: ignore[arg-type]

    def remove_row(self, row_key: RowKey | str) -> None:
        self._structure += 1
        super().remove_row(row_key)

    def sort(self, *args: object, **kwargs: object) -> Self:  # type: ignore[override]
        self._structure += 1
        super().sort(*args, **kwargs)  # type: ignore[arg-type]
        self._structure += 1
        return self

    def clear(self, columns: bool = False) -> Self:
        self._structure += 1
        super().clear(columns)
        return self

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Column widths from what ``_render_row`` measured while building the cells.

        DataTable measures every cell of every new row again on idle (0.8 s for 10,000
        rows at start-up); rows here are always one line high, so the widths are all
        that is needed, and the virtual size that follows from them.

        Holds ``all_10k_rows_in_table_s`` (DataTable's own took 1.1-1.3 s longer for
        10,000 rows, issue 11.5) and some of the margin of ``startup_ratio_10k`` (1.79-1.83
        without against 1.60-1.76 with, goal <= 2.0); it also gives the time columns their
        ``MIN_WIDTHS`` from the first frame (DataTable's own only grows columns to cells).
        """
        for column_key, column in self.columns.items():
            name = column_key.value or ""
            widest = max(self._widths.widest(name), MIN_WIDTHS.get(name, 0))
            column.content_width = max(column.label.cell_len, widest)
        self._new_rows.clear()
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header_height = self.header_height if self.show_header else 0
        self.virtual_size = Size(
            width + self._row_label_column_width, self._total_row_height + header_height
        )

    @property
    def ordered_rows(self) -> list[Row]:
        key = (self.row_count, self._structure)
        cached = self._ordered_rows_cached
        if cached is None or cached[0] != key:
            cached = self._ordered_rows_cached = (key, DataTable.ordered_rows.fget(self))  # type: ignore[attr-defined]
        return cached[1]

    @property
    def _y_offsets(self) -> list[tuple[RowKey, int]]:
        key = (self.row_count, self._structure)
        cached = self._y_offsets_cached
        if cached is None or cached[0] != key:
            cached = self._y_offsets_cached = (key, DataTable._y_offsets.fget(self))  # type: ignore[attr-defined]
        return cached[1]
