"""Helpers the Pilot suites share: a row's key, the notifications an app shows, selecting a
row, copying a URL the browser could not open. Kept here so that no pilot test module
imports another's."""

from __future__ import annotations

from typing import Any

from kling_tui.ui.app import KlingApp
from kling_tui.ui.screens.videos import OpenFailedScreen

from .ui_fakes import wait_for


def key(task_id: str, gateway: str = "main", kind: str = "text2video") -> str:
    """The table's row key of a task."""
    return f"{gateway}:{kind}:{task_id}"


def record_notes(app: KlingApp) -> list[tuple[str, str]]:
    """Wrap ``app.notify`` to collect (message, severity); checks markup stays off."""
    notes: list[tuple[str, str]] = []
    original = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        assert kwargs.get("markup") is False, f"notify without markup=False: {message!r}"
        notes.append((message, kwargs.get("severity", "information")))
        original(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return notes


def select(app: KlingApp, task_id: str) -> None:
    """Put the cursor on the task's row (it must be shown)."""
    assert app.table.select_key(key(task_id))


async def copy_after_a_failed_open(app: KlingApp, pilot: Any, task_id: str) -> None:
    """Open the task's video (``o``) with a browser that fails, wait for the dialog that
    says so and take its copy choice (``c``): where the open-failed tests start checking."""
    select(app, task_id)
    await pilot.press("o")
    await app.workers.wait_for_complete()
    await wait_for(pilot, lambda: isinstance(app.screen, OpenFailedScreen))
    await pilot.press("c")
    await pilot.pause()
