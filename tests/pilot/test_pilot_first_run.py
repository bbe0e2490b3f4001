"""A first run with no config: the empty screen shows the way in, the setup writes a working
config and the new gateway is usable at once; the add dialog's warnings and questions."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest

from kling_tui.config import AppConfig, load_config
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.models import Status
from kling_tui.polling.poller import Poller
from kling_tui.store.watchlist import WatchList
from kling_tui.ui.app import KlingApp
from kling_tui.ui.screens.add import AddTasksScreen, elsewhere_question, watched_elsewhere
from kling_tui.ui.screens.confirm import ConfirmScreen
from kling_tui.ui.screens.setup import GatewaySetupScreen
from tests.support.pilot import record_notes
from tests.support.ui_fakes import NOW, Opener, entry, wait_for

TOKEN = "sk-FirstRunToken1234"
KLING_ID = "866889456698785800"


def first_run_app(tmp_path: Path) -> tuple[KlingApp, Fetcher, Path]:
    """The app as `kling-tui` starts it with no config file: the real Fetcher shares the
    config object, an empty watch list, no gateway at all."""
    config = load_config(env={})  # the default location, in the test's own temporary home
    path = config.path
    assert path is not None and not path.exists() and config.gateways == {}
    fetcher = Fetcher(config)
    store = WatchList(tmp_path / "watchlist.toml")
    store.load()
    poller = Poller(store, fetcher, entries=store.entries, save_interval=0.05)
    app = KlingApp(
        poller,
        config,
        now=lambda: NOW,
        start_polling=False,
        open_browser=Opener(),
        tick_interval=0,
    )
    return app, fetcher, path


def rendered(widget: Any) -> str:
    return str(widget.render())


async def fill_setup(pilot: Any, url: str) -> GatewaySetupScreen:
    screen = pilot.app.screen
    assert isinstance(screen, GatewaySetupScreen)
    assert screen.focused is screen.query_one("#setup-url")
    await pilot.press(*url)
    return screen


# -- the empty screen -------------------------------------------------------------------


async def test_first_run_empty_screen_names_the_config_file_and_the_ways_in(
    tmp_path: Path,
) -> None:
    app, _, path = first_run_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        text = rendered(app.empty_notice)
        assert str(path) in text and "(not found)" in text
        assert "kling-tui --demo" in text
        assert "kling-tui --base-url URL" in text and "$KLING_API_KEY" in text
        assert "Press n to set up a gateway" in text


async def test_with_a_gateway_the_empty_screen_just_says_press_a(make_app) -> None:
    app = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        text = rendered(app.empty_notice)
        assert "Press a to add task ids" in text and "--demo" not in text


# -- the setup screen -------------------------------------------------------------------


async def test_setup_writes_a_private_config_and_a_works_without_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KLING_API_KEY", TOKEN)
    app, fetcher, path = first_run_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        notes = record_notes(app)
        await pilot.press("n")
        await fill_setup(pilot, "https://relay.example")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, GatewaySetupScreen)
        assert any(f"Gateway relay written to {path}. Press a" in m for m, _ in notes), notes

        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert TOKEN not in path.read_text(encoding="utf-8")
        loaded = load_config(config_flag=path, env={"KLING_API_KEY": TOKEN})
        gateway = loaded.gateway("relay")
        assert (gateway.base_url, gateway.path_prefix) == ("https://relay.example", "/kling/v1")
        assert "No tasks watched yet." in rendered(app.empty_notice)
        assert "--demo" not in rendered(app.empty_notice)  # the first-run text is gone

        await pilot.press("a")
        assert isinstance(app.screen, AddTasksScreen)
        assert app.screen.query_one("#add-gateway").value == "relay"
        await pilot.press(*KLING_ID, "ctrl+s")
        await pilot.pause()
        [added] = app.poller.store.load()
        assert (added.task_id, added.gateway) == (KLING_ID, "relay")
        # The running fetcher knows the new gateway and its token: no restart needed.
        used = fetcher.gateway_for(added)
        assert fetcher.url_for(used, added.kind, added.task_id) == (
            f"https://relay.example/kling/v1/videos/text2video/{KLING_ID}"
        )
        assert used.credential is not None and used.credential.bearer().reveal() == TOKEN


async def test_setup_is_in_the_command_palette(tmp_path: Path) -> None:
    app, _, _ = first_run_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p", *"Set up a gateway")
        await wait_for(pilot, lambda: app.screen.query_one("CommandList").option_count > 0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GatewaySetupScreen))


async def test_setup_refuses_what_load_config_refuses_and_writes_nothing(
    tmp_path: Path,
) -> None:
    app, _, path = first_run_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        screen = await fill_setup(pilot, "https://relay.example/kling/v1")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        errors = rendered(screen.query_one("#setup-errors"))
        assert "Base URL: expected an http(s) URL without a path" in errors
        assert "put '/kling/v1' in path_prefix" in errors
        assert not path.exists()
        assert screen.focused is screen.query_one("#setup-url")
        await pilot.press("escape")
        assert not isinstance(app.screen, GatewaySetupScreen)
        assert app.config.gateways == {}


async def test_setup_native_preset_uses_the_key_pair_variables(tmp_path: Path) -> None:
    app, _, path = first_run_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        screen = await fill_setup(pilot, "https://api-singapore.klingai.com")
        screen.query_one("#setup-preset").value = "native"
        await pilot.pause()
        assert screen.query_one("#setup-auth").value == "keys"
        assert screen.query_one("#setup-name").value == "kling"
        state = rendered(screen.query_one("#setup-env-state"))
        assert "not set here: KLING_ACCESS_KEY, KLING_SECRET_KEY" in state
        await pilot.press("ctrl+s")
        await pilot.pause()
        table = tomllib.loads(path.read_text(encoding="utf-8"))["gateways"]["kling"]
        assert table == {
            "base_url": "https://api-singapore.klingai.com",
            "path_prefix": "/v1",
            "access_key_env": "KLING_ACCESS_KEY",
            "secret_key_env": "KLING_SECRET_KEY",
        }
        assert app.config.gateway("kling").path_prefix == "/v1"


async def test_setup_never_echoes_a_token_pasted_as_a_variable_name(tmp_path: Path) -> None:
    app, _, path = first_run_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        screen = await fill_setup(pilot, "https://relay.example")
        screen.query_one("#setup-token-env").value = TOKEN
        await pilot.press("ctrl+s")
        await pilot.pause()
        errors = rendered(screen.query_one("#setup-errors"))
        assert "Token variable: expected an environment variable name" in errors
        assert TOKEN not in errors
        assert not path.exists()


async def test_add_dialog_without_a_gateway_leads_to_the_setup_and_back(
    tmp_path: Path,
) -> None:
    app, _, path = first_run_app(tmp_path)
    async with app.run_test(size=(100, 36)) as pilot:
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, AddTasksScreen)
        note = rendered(dialog.query_one("#add-nogw"))
        assert "No gateway is configured yet" in note and str(path) in note
        assert "--base-url URL" in note and "KLING_API_KEY" in note and "--demo" in note
        assert dialog.query_one("#add-setup").display
        await pilot.press(*KLING_ID, "ctrl+g")
        await fill_setup(pilot, "https://relay.example")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # back in the dialog, the typed id still there
        assert dialog.query_one("#add-ids").text == KLING_ID
        assert dialog.query_one("#add-gateway").value == "relay"
        assert not dialog.query_one("#add-nogw").display
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert [(e.task_id, e.gateway) for e in app.poller.store.load()] == [(KLING_ID, "relay")]


# -- the add dialog: warnings, grammar, the same id under another kind ------------------


async def test_ids_of_no_known_form_are_warned_about_and_kept(make_app) -> None:
    app = make_app([])
    odd = ["abc-not-an-id", "12", "1" * 32]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        dialog = app.screen
        await pilot.press(*KLING_ID)
        await pilot.pause()
        assert not dialog.query_one("#add-hints").display  # a Kling id: no warning
        dialog.query_one("#add-ids").text = " ".join([KLING_ID, *odd])
        await pilot.pause()
        hints = rendered(dialog.query_one("#add-hints"))
        assert "3 ids match no Kling or relay id form: abc-not-an-id, 12, " + "1" * 32 in hints
        assert "18-19 digits" in hints and KLING_ID not in hints
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert [e.task_id for e in app.poller.store.load()] == [KLING_ID, *odd]


async def test_one_invalid_id_is_spoken_of_in_the_singular(make_app) -> None:
    app = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a", *"good-1 bad/id", "ctrl+s")
        errors = rendered(app.screen.query_one("#add-errors"))
        assert "1 id is not valid; fix or drop it:" in errors
        assert "them" not in errors


async def test_same_id_under_another_kind_asks_first(make_app) -> None:
    app = make_app([entry(KLING_ID, Status.IN_PROGRESS, kind="image2video")])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        dialog = app.screen
        await pilot.press(*KLING_ID, "ctrl+s")  # the dialog's default kind: text2video
        await pilot.pause()
        question = app.screen
        assert isinstance(question, ConfirmScreen)
        text = rendered(question.query_one("#confirm-question"))
        assert f"{KLING_ID} is already watched as image2video on main." in text
        assert "Add it as text2video on main too?" in text
        await pilot.press("n")  # go back: nothing added, the dialog keeps the id
        await pilot.pause()
        assert app.screen is dialog
        assert "Nothing added yet" in rendered(dialog.query_one("#add-errors"))
        assert len(app.poller.store.load()) == 1
        await pilot.press("ctrl+s", "y")
        await pilot.pause()
        assert not isinstance(app.screen, (AddTasksScreen, ConfirmScreen))
        kinds = sorted(e.kind for e in app.poller.store.load())
        assert kinds == ["image2video", "text2video"]


async def test_same_id_same_kind_is_still_a_plain_duplicate(make_app) -> None:
    app = make_app([entry(KLING_ID, Status.IN_PROGRESS)])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a", *KLING_ID, "ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, (AddTasksScreen, ConfirmScreen))
        assert len(app.poller.store.load()) == 1


def test_first_run_app_has_no_config(tmp_path: Path) -> None:
    app, _, _ = first_run_app(tmp_path)
    assert isinstance(app.config, AppConfig) and not app.gateway_names


def test_another_gateway_counts_as_elsewhere_too() -> None:
    watched = {"a1": [("image2video", "relay")], "b2": [("text2video", "main")], "c3": []}
    found = watched_elsewhere(["a1", "b2", "c3", "d4"], watched, "text2video", "main")
    assert found == [("a1", [("image2video", "relay")])]  # b2 is a plain duplicate
    found = watched_elsewhere(["a1", "b2"], watched, "text2video", "relay")
    assert [task_id for task_id, _ in found] == ["a1", "b2"]
    text = elsewhere_question(found, "text2video", "relay").plain
    assert text.startswith("2 ids are already watched as another kind or on another gateway:")
    assert "• a1: image2video on relay" in text and "• b2: text2video on main" in text
    assert text.endswith("Add them as text2video on relay too?")
