"""Helpers the Pilot suites share: a row's key, the notifications an app shows, selecting a
row. Kept here so that no pilot test module imports another's."""

from __future__ import annotations

from typing import Any

from kling_tui.ui.app import KlingApp


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
