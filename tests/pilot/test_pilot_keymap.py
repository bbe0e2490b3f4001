"""``[keys]`` in a config file: the rebound key works, the old one no longer does, help and
footer show the keys in force, and bad entries are reported at start with file and key."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual.keys import _character_to_key
from textual.widgets import Footer

from kling_tui.config import load_config
from kling_tui.config.keymap import _PRINTABLE, char_key
from kling_tui.ui.app import KlingApp
from kling_tui.ui.keymap import binding_defaults
from kling_tui.ui.screens.add import AddTasksScreen
from kling_tui.ui.screens.confirm import ConfirmScreen
from kling_tui.ui.screens.help import HelpScreen
from tests.support.ui_fakes import NOW, Opener, make_config, make_poller, mixed_entries


def app_with_keys(tmp_path: Path, keys_toml: str) -> tuple[KlingApp, Path]:
    path = tmp_path / "config.toml"
    path.write_text("[keys]\n" + keys_toml)
    loaded = load_config(config_flag=path, env={})
    config = replace(
        make_config("main", path=path), keys=loaded.keys, key_problems=loaded.key_problems
    )
    poller = make_poller(tmp_path, mixed_entries())
    app = KlingApp(
        poller, config, now=lambda: NOW, start_polling=False, open_browser=Opener(), tick_interval=0
    )
    return app, path


def test_the_core_spells_single_keys_as_textual_does() -> None:
    for char in _PRINTABLE:
        assert char_key(char) == _character_to_key(char), char


def test_default_bindings_never_collide() -> None:
    defaults, actions = binding_defaults()
    owners: dict[str, set[str]] = {}
    for binding_id, keys in defaults.items():
        for key in keys.split(","):
            owners.setdefault(key, set()).add(actions[binding_id])
    assert all(len(a) == 1 for a in owners.values()), owners


async def test_help_shows_the_rebound_key_from_a_config_file(tmp_path: Path) -> None:
    app, _ = app_with_keys(tmp_path, 'remove = "x"\nhelp = "f1,question_mark"\n')
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        lines = app.screen.plain_text().splitlines()
        remove = next(line for line in lines if "Remove the selected task" in line)
        assert remove.split()[0] == "x"
        help_line = next(line for line in lines if "Show keys and filter" in line)
        assert help_line.split()[0] == "f1/?"
        await pilot.press("escape")
        footer = app.screen.query_one(Footer)
        shown = {b.binding.key for b in footer.screen.active_bindings.values() if b.binding.show}
        assert "x" in shown and "d" not in shown


async def test_the_rebound_key_works_and_the_old_one_does_not(tmp_path: Path) -> None:
    app, _ = app_with_keys(tmp_path, 'remove = "x"\nopen = "enter,O"\n')
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("d")
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert set(app._keys_for("open_video").split("/")) == {"enter", "O"}


async def test_unknown_ids_and_collisions_are_reported_with_file_and_key(tmp_path: Path) -> None:
    app, path = app_with_keys(
        tmp_path, 'remove = "a"\nremvoe = "z"\nundo = "down"\nrefresh = "\\u001b[2J"\npause = "P"\n'
    )
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        report = next(m for m in messages if m.startswith("Key map:"))
        assert report.count(f"config {path}: ") == 4
        assert "keys.remove: a is already the key of add; remove keeps d" in report
        assert "keys.remvoe: unknown binding id" in report
        assert "keys.undo: down is already taken" in report
        assert "keys.refresh:" in report and "\x1b" not in report
        # the bad entries keep their defaults; the good one applies
        await pilot.press("a")
        assert isinstance(app.screen, AddTasksScreen)
        await pilot.press("escape")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert app._keys_for("toggle_pause") == "P"


async def test_enter_adds_one_line_but_not_a_pasted_list(tmp_path: Path) -> None:
    app, _ = app_with_keys(tmp_path, "")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        assert isinstance(app.screen, AddTasksScreen)
        await pilot.press(*"task_enter_one", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, AddTasksScreen)
        assert any(e.task_id == "task_enter_one" for e in app.poller.entries)
        await pilot.press("a")
        area = app.screen.query_one("#add-ids")
        area.text = "task_list_one\ntask_list_two"
        await pilot.press("enter")
        assert isinstance(app.screen, AddTasksScreen)
        assert area.text.count("\n") == 2
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, AddTasksScreen)
        ids = {e.task_id for e in app.poller.entries}
        assert {"task_list_one", "task_list_two"} <= ids
