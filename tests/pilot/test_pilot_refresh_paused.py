"""``r`` / ``R`` while paused (issue 9): the toast said "Refreshing…" and nothing happened
until resume. The refresh asked for runs; the regular schedule stays paused."""

from __future__ import annotations

from typing import Any

from kling_tui.models import Status
from kling_tui.ui.app import KlingApp
from tests.support.ui_fakes import FakeFetcher, snapshot, wait_for


def _notes(app: KlingApp) -> list[str]:
    notes: list[str] = []
    original = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        notes.append(message)
        original(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return notes


def _answer_all(fetcher: FakeFetcher) -> None:
    fetcher.default = lambda e: snapshot(e.task_id, Status.IN_PROGRESS, progress=50, fetched_ago=0)


async def _first_round_done(pilot: Any, app: KlingApp, fetcher: FakeFetcher) -> None:
    """Every unfinished task polled once and none in flight (a refresh skips those)."""
    unfinished = {e.task_id for e in app.table.all_entries() if not e.finished}
    scheduler = app.poller.scheduler

    def settled() -> bool:
        states = [scheduler.task_state(e.key) for e in app.poller.entries]
        return unfinished <= set(fetcher.calls) and not any(s and s.in_flight for s in states)

    await wait_for(pilot, settled)


async def test_r_while_paused_fetches_the_selected_task(make_app) -> None:
    fetcher = FakeFetcher()
    _answer_all(fetcher)
    app = make_app(fetcher=fetcher, start_polling=True)
    notes = _notes(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await _first_round_done(pilot, app, fetcher)
        await pilot.press("p")
        assert app.poller.paused
        fetcher.calls.clear()
        assert app.table.select_key("main:text2video:task-running-0002")
        await pilot.press("r")
        await wait_for(pilot, lambda: "task-running-0002" in fetcher.calls)
        await pilot.pause()
        assert fetcher.calls == ["task-running-0002"], "only the task asked for is polled"
        assert app.poller.paused
        assert any(n.startswith("Refreshing") and "stays paused" in n for n in notes), notes


async def test_shift_r_while_paused_fetches_every_task_once(make_app) -> None:
    fetcher = FakeFetcher()
    _answer_all(fetcher)
    app = make_app(fetcher=fetcher, start_polling=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await _first_round_done(pilot, app, fetcher)
        await pilot.press("p")
        fetcher.calls.clear()
        await pilot.press("R")
        ids = [e.task_id for e in app.table.all_entries()]
        await wait_for(pilot, lambda: set(ids) <= set(fetcher.calls))  # finished ones too
        await pilot.pause()
        assert sorted(fetcher.calls) == sorted(ids)
        assert app.poller.paused
