"""TaskTable leans on private DataTable members: fail loudly when a Textual upgrade moves them.

Each override in ``kling_tui/ui/widgets/table_overrides.py`` (``StructureCachedTable``, which
TaskTable subclasses) holds a benchmark figure (see the comments there). Textual is pinned in
pyproject.toml; these tests fail when the installed version differs from the pin, or when a
private member the table overrides or reads is gone or has another shape, so an upgrade
re-checks them instead of slowing silently.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path

import pytest
import textual
from textual.widgets import DataTable

from kling_tui.ui.widgets.table_overrides import StructureCachedTable
from kling_tui.ui.widgets.task_table import TaskTable

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_textual_is_the_pinned_version() -> None:
    deps = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = [m.group(1) for d in deps if (m := re.fullmatch(r"textual==(\S+)", d.strip()))]
    assert pins == [textual.__version__], (
        f"textual {textual.__version__} installed, pyproject pins {pins}: re-check the "
        "private DataTable members TaskTable overrides (tests in this file)"
    )


OVERRIDDEN_METHODS = {
    # name: the parameters (after self) DataTable has and TaskTable's override relies on
    "_update_dimensions": ["new_rows"],
}
OVERRIDDEN_PROPERTIES = ("ordered_rows", "_y_offsets")
"""Cached by an update counter that every ``update_cell`` bumps; TaskTable keys them by
structure instead (and calls DataTable's own getter through ``fget``)."""
READ_PROPERTIES = ("_total_row_height", "_row_label_column_width")
SET_ATTRIBUTES = ("_new_rows", "_require_update_dimensions", "_update_count")


@pytest.mark.parametrize("name", sorted(OVERRIDDEN_METHODS))
def test_overridden_private_methods_keep_their_signature(name: str) -> None:
    original = inspect.getattr_static(DataTable, name)
    params = list(inspect.signature(original).parameters)[1:]
    assert params == OVERRIDDEN_METHODS[name], f"DataTable.{name} changed: {params}"
    assert name in StructureCachedTable.__dict__


@pytest.mark.parametrize("name", OVERRIDDEN_PROPERTIES + READ_PROPERTIES)
def test_private_properties_still_exist(name: str) -> None:
    assert isinstance(inspect.getattr_static(DataTable, name), property), name


@pytest.mark.parametrize("name", OVERRIDDEN_PROPERTIES)
def test_the_cached_properties_are_still_keyed_by_the_update_count(name: str) -> None:
    """If Textual stops keying these by ``_update_count``, the override may be unneeded."""
    source = inspect.getsource(inspect.getattr_static(DataTable, name).fget)
    assert "self._update_count" in source, f"DataTable.{name} no longer caches per update"
    assert name in StructureCachedTable.__dict__


def test_the_task_table_is_the_structure_cached_table() -> None:
    """The overrides checked here are the ones the task table actually runs."""
    assert issubclass(TaskTable, StructureCachedTable)
    for name in (*OVERRIDDEN_METHODS, *OVERRIDDEN_PROPERTIES, "add_row", "remove_row"):
        assert getattr(TaskTable, name) is getattr(StructureCachedTable, name), name


def test_private_attributes_the_table_sets_are_still_set_by_datatable() -> None:
    source = inspect.getsource(DataTable.__init__)
    for name in SET_ATTRIBUTES:
        assert f"self.{name}" in source, f"DataTable no longer has {name}"


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("add_row", ["cells", "height", "key", "label"]),
        ("remove_row", ["row_key"]),
        ("sort", ["columns", "key", "reverse"]),
        ("clear", ["columns"]),
    ],
)
def test_structure_changing_methods_keep_their_signature(name: str, params: list[str]) -> None:
    """TaskTable wraps these to invalidate its caches; a new way to reorder rows would not."""
    assert list(inspect.signature(getattr(DataTable, name)).parameters)[1:] == params


@pytest.mark.parametrize(
    ("name", "params"), [("_on_notify", ["event"]), ("_unnotify", ["notification", "refresh"])]
)
def test_the_app_private_toast_members_the_finish_toast_uses(name: str, params: list) -> None:
    """KlingApp._announce shows its toast through ``App._on_notify`` (so the next batch finds
    it) and takes it back with ``App._unnotify`` to merge the next finishing tasks in."""
    from textual.app import App

    method = inspect.getattr_static(App, name)
    assert list(inspect.signature(method).parameters)[1:] == params, name
    assert "_notifications" in inspect.getsource(App._on_notify)
