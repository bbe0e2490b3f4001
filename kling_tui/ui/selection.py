"""The view the operator shapes: marks (``space``, ``V``, ``esc``), the filter, the ``h``
toggle and the sort (``s``, ``S``, a click on a column header), remembered across restarts.

Marks live in the table (``TaskTable.marked``, by task key); the actions that act on them
read ``_target_entries`` (task_actions). The filter, the toggle and the sort are saved in
the state directory (``store/view_state.py``) whenever one of them is committed, never on
every keystroke.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.widgets import DataTable

from kling_tui.gateway.sanitize import clean_text
from kling_tui.store.view_state import ViewState, load_view_state, save_view_state
from kling_tui.ui.view import SortMode, TaskFilter, parse_filter

HIDE_ALL = datetime.max.replace(tzinfo=UTC)
"""The ``h`` cut-off when ``view.hide_finished_after`` is 0: every succeeded task."""
REHIDE_EVERY = 30.0
"""Seconds between re-checks of which succeeded tasks have aged past the cut-off."""


class SelectionMixin:
    """KlingApp's view concern: marks, filter, hide toggle, sort and their persistence."""

    _view_state_path: Path | None
    _typed_filter: TaskFilter
    hide_finished: bool

    # -- persistence ---------------------------------------------------------------------

    def _load_view_state(self) -> None:
        """Read the remembered view (before the table is filled: one build, not two)."""
        path = self._view_state_path
        if path is None:
            return
        state, note = load_view_state(path, {m.value for m in SortMode})
        if note:
            self._startup_notes.append((clean_text(note, limit=300), "warning"))
        self.hide_finished = state.hide_finished
        self.table.sort_mode = SortMode(state.sort)
        self.table.sort_reverse = state.sort_reverse
        self._typed_filter = parse_filter(state.filter_text)
        self._filter_text = self._typed_filter.text if self._typed_filter.active else ""
        self.table.task_filter = self._effective_filter()

    def _save_view_state(self) -> None:
        path = self._view_state_path
        if path is None:
            return
        state = ViewState(
            filter_text=self._filter_text,
            hide_finished=self.hide_finished,
            sort=self.table.sort_mode.value,
            sort_reverse=self.table.sort_reverse,
        )
        try:
            save_view_state(path, state)
        except OSError as exc:
            self.notify(
                f"Could not remember the view: {clean_text(str(exc), limit=200)}",
                severity="warning",
                markup=False,
            )

    # -- filter and the h toggle ---------------------------------------------------------

    def _effective_filter(self) -> TaskFilter:
        """What was typed, and the ``h`` cut-off when the toggle is on."""
        if not self.hide_finished:
            return self._typed_filter
        after = self.config.view.hide_finished_after
        cutoff = HIDE_ALL if after <= 0 else self._now() - timedelta(seconds=after)
        return replace(self._typed_filter, hide_finished_before=cutoff)

    def apply_filter(self, text: str) -> TaskFilter:
        task_filter = parse_filter(text)
        self._typed_filter = task_filter
        self._filter_text = task_filter.text if task_filter.active else ""
        self.table.set_filter(self._effective_filter())
        self._refresh_chrome()
        return task_filter

    def action_toggle_hide(self) -> None:
        self.hide_finished = not self.hide_finished
        self.table.set_filter(self._effective_filter())
        self._refresh_chrome()
        self._save_view_state()
        after = self.config.view.hide_finished_after
        age = f" over {after:g} s ago" if after > 0 else ""
        word = f"Hiding tasks that succeeded{age}." if self.hide_finished else "Showing all."
        self.notify(word, markup=False, timeout=2)

    def _rehide(self) -> None:
        """With an age, more tasks pass the cut-off as time goes by: filter again."""
        if self.hide_finished and self.config.view.hide_finished_after > 0:
            self.table.set_filter(self._effective_filter())
            self._refresh_chrome()

    def action_clear_view(self) -> None:
        """``esc`` in the table: clear the marks if any, else the typed filter."""
        if self.screen is not self.screen_stack[0]:
            return
        if self.table.marked:
            count = self.table.clear_marks()
            self._refresh_chrome()
            self.notify(
                f"Cleared {count} mark{'s' if count != 1 else ''}.", markup=False, timeout=2
            )
        elif self._filter_text:
            self.apply_filter("")
            self._save_view_state()
            self.notify("Filter cleared.", markup=False, timeout=2)

    # -- marks ---------------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        key = self.table.current_key()
        if key is None:
            return
        self.table.set_marked([key], key not in self.table.marked)
        self._refresh_chrome()

    def action_mark_all(self) -> None:
        keys = self.table.matching_keys()
        added = self.table.set_marked(keys, True)
        self._refresh_chrome()
        self.notify(
            f"Marked {added} more ({len(self.table.marked)} marked). Esc clears the marks.",
            markup=False,
            timeout=3,
        )

    # -- sort ----------------------------------------------------------------------------

    def set_sort(self, mode: SortMode, reverse: bool | None = None) -> None:
        self.table.set_sort(mode, reverse)
        self._refresh_chrome()
        self._save_view_state()

    def action_cycle_sort(self) -> None:
        mode = self.table.sort_mode.next()
        self.set_sort(mode)
        self.notify(f"Sorted by {mode.value}.", markup=False, timeout=2)

    def action_reverse_sort(self) -> None:
        self.set_sort(self.table.sort_mode, not self.table.sort_reverse)
        way = "reversed" if self.table.sort_reverse else "ascending"
        self.notify(f"Sorted by {self.table.sort_mode.value}, {way}.", markup=False, timeout=2)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a column header sorts by it; a second click reverses."""
        event.stop()
        mode = SortMode.for_column(event.column_key.value or "")
        if mode is None:
            sorts = ", ".join(COLUMN_NAMES[m] for m in SortMode)
            self.notify(f"Sorts by {sorts} only.", markup=False, timeout=3)
            return
        if mode is self.table.sort_mode:
            self.set_sort(mode, not self.table.sort_reverse)
        else:
            self.set_sort(mode, False)


COLUMN_NAMES = {mode: mode.column for mode in SortMode}
