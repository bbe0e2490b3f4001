"""Changes reach the screen one way: store -> poller -> ListChanged -> batch -> view.

Before, add / remove / undo updated the table directly *and* through the poller's
``ListChanged``: every change was applied twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kling_tui.models import Status
from kling_tui.ui.app import KlingApp
from kling_tui.ui.screens.add import AddRequest
from tests.support.ui_fakes import entry


def _count_calls(app: KlingApp, name: str) -> list[Any]:
    calls: list[Any] = []
    original: Callable[..., Any] = getattr(app.table, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    setattr(app.table, name, spy)
    return calls


async def test_add_remove_undo_each_reach_the_table_once(make_app) -> None:
    app = make_app([entry("t-1", Status.IN_PROGRESS), entry("t-2", Status.SUBMITTED)])
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        upserts = _count_calls(app, "upsert")
        removals = _count_calls(app, "remove_keys")

        app._add_requested(AddRequest(("t-3",), "text2video", "main", "new one"))
        await pilot.pause()
        assert len(upserts) == 1
        assert app.table.current_key() == "main:text2video:t-3"  # the cursor on the new task
        assert app.view.total == 3 and app.view.state_counts["pending"] == 1

        entry_1 = app.table.entry("main:text2video:t-1")
        assert entry_1 is not None
        app._remove(entry_1)
        await pilot.pause()
        assert len(removals) == 1
        assert app.table.shown_keys() == ["main:text2video:t-2", "main:text2video:t-3"]
        assert app.view.total == 2 and "in_progress" not in app.view.state_counts

        await pilot.press("u")
        await pilot.pause()
        assert len(upserts) == 2
        assert app.table.shown_keys()[0] == "main:text2video:t-1"  # back in place
        assert app.view.state_counts["in_progress"] == 1
