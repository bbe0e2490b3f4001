"""The config's ``[keys]`` applied to the dashboard with ``App.set_keymap``.

The grammar was checked at load (``config.keymap.read_keymap``); here, where the binding
table is known, unknown ids and colliding keys are dropped (``resolve_keymap``) and each
is reported once at start with the config file's path. Textual's own ``apply_keymap``
would silently take a clashing key away from the other binding: we never hand it one.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App
from textual.binding import Binding, BindingType
from textual.keys import _normalize_key_list
from textual.widgets import DataTable

from kling_tui.config import AppConfig
from kling_tui.config.keymap import resolve_keymap
from kling_tui.ui.bindings import APP_BINDINGS
from kling_tui.ui.widgets.task_table import TaskTable


def _bindings(items: Iterable[BindingType]) -> list[Binding]:
    return [b for b in items if isinstance(b, Binding)]


def keymap_bindings() -> list[Binding]:
    """Every binding a ``[keys]`` entry may name: the app's and the task table's."""
    return _bindings(APP_BINDINGS) + _bindings(TaskTable.BINDINGS)


def binding_defaults() -> tuple[dict[str, str], dict[str, str]]:
    """(id -> default keys in long form, id -> action) of :func:`keymap_bindings`."""
    defaults: dict[str, str] = {}
    actions: dict[str, str] = {}
    for binding in keymap_bindings():
        if binding.id is not None:
            defaults[binding.id] = _normalize_key_list(binding.key)
            actions[binding.id] = binding.action.removeprefix("app.")
    return defaults, actions


def reserved_keys() -> dict[str, str]:
    """Keys bound without an id (the table's cursor keys, Textual's quit and palette): a
    ``[keys]`` entry taking one would be shadowed or would shadow them."""
    reserved: dict[str, str] = {"ctrl+p": "the command palette"}
    owned = {k for keys in binding_defaults()[0].values() for k in keys.split(",")}
    for owner, items in (("the app's", App.BINDINGS), ("the table's", DataTable.BINDINGS)):
        for binding in _bindings(items):
            if binding.id is not None:
                continue
            for key in _normalize_key_list(binding.key).split(","):
                if key not in owned:
                    what = binding.description.lower() or binding.action.replace("_", " ")
                    reserved.setdefault(key, f"{owner} {what}")
    return reserved


def keymap_for(config: AppConfig) -> tuple[dict[str, str], list[str]]:
    """The keymap to apply and the messages to show (each naming the file and the key)."""
    defaults, actions = binding_defaults()
    keymap, problems = resolve_keymap(config.keys, defaults, reserved_keys(), actions)
    where = f"config {config.path}: " if config.path is not None else "config: "
    messages = [where + p for p in (*config.key_problems, *problems)]
    return keymap, messages
