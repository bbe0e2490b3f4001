"""Review of ``ChoiceScreen`` (the shared modal of ConfirmScreen and OpenFailedScreen):
each keeps its own keys, Escape declines, the yes button is focused (Enter takes it), and a
server's string is shown as it is, never read as markup."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App
from textual.containers import Vertical
from textual.widgets import Button, Static

from kling_tui.ui.screens.confirm import ConfirmScreen
from kling_tui.ui.screens.videos import OpenFailedScreen

HOSTILE = "[bold]x[/bold] [@click=app.quit]quit[/] [red]r"


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.answers: list[bool] = []


def confirm() -> ConfirmScreen:
    return ConfirmScreen(Text(f"Remove {HOSTILE}?"))


def open_failed() -> OpenFailedScreen:
    return OpenFailedScreen(f"https://cdn.example.com/{HOSTILE}", HOSTILE)


@pytest.mark.parametrize(
    ("make", "key", "answer"),
    [
        (confirm, "y", True),
        (confirm, "n", False),
        (confirm, "escape", False),
        (confirm, "enter", True),
        (confirm, "c", None),  # OpenFailedScreen's key: not this screen's
        (open_failed, "c", True),
        (open_failed, "escape", False),
        (open_failed, "enter", True),
        (open_failed, "y", None),  # ConfirmScreen's keys: not this screen's
        (open_failed, "n", None),
    ],
)
async def test_keys_answer_as_before(make, key: str, answer: bool | None) -> None:
    app = Host()
    async with app.run_test() as pilot:
        screen = make()
        app.push_screen(screen, app.answers.append)
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "confirm-yes"
        await pilot.press(key)
        await pilot.pause()
        assert app.answers == ([] if answer is None else [answer])
        assert (app.screen is screen) == (answer is None)


@pytest.mark.parametrize("make", [confirm, open_failed])
async def test_server_strings_are_shown_literally(make) -> None:
    app = Host()
    async with app.run_test(size=(120, 30)) as pilot:
        screen = make()
        app.push_screen(screen)
        await pilot.pause()
        shown = screen.query_one("#confirm-question", Static)
        rendered = shown.render()
        plain = rendered.plain if hasattr(rendered, "plain") else str(rendered)
        assert HOSTILE in plain.replace("\n", "")
        buttons = [b.label.plain for b in screen.query(Button)]
        assert buttons == (["No", "Yes"] if make is confirm else ["Close", "Copy URL"])
        yes = screen.query_one("#confirm-yes", Button)
        assert yes.variant == ("error" if make is confirm else "primary")
        box = screen.query_one(Vertical)
        assert box.outer_size.width == (64 if make is confirm else 80)  # each its own width
        await pilot.press("q")  # no markup link was made to quit the app
        await pilot.pause()
        assert app.is_running and app.screen is screen
