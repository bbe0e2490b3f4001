"""Poll updates, hostile server text and failures: the dashboard shows them and keeps going."""

from __future__ import annotations

from typing import Any

import pytest

from kling_tui.models import ErrorType, Status
from kling_tui.polling.poller import Notice, PollerState, PollUpdate, StateChanged
from kling_tui.ui.app import KlingApp
from kling_tui.ui.messages import PollerBatch
from tests.support.ui_fakes import FakeFetcher, entry, fetch_error, snapshot, wait_for

HOSTILE = "[@click=app.quit]x[/] oops[/] [bold]b[/bold] \x1b]52;c;aGk=\x07 \u202eevil"


def key(task_id: str) -> str:
    return f"main:text2video:{task_id}"


def publish(app: KlingApp, *events: Any) -> None:
    for event in events:
        app.poller._publish(event)


# -- hostile text ---------------------------------------------------------------------------


async def test_markup_in_server_text_is_shown_literally_and_clicking_it_does_nothing(
    make_app,
) -> None:
    message = "[@click=app.quit]x[/] oops[/]"
    app = make_app([entry("t-evil", Status.FAILED, message=message, label="[bold]boom[/]")])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.table.get_cell(key("t-evil"), "label").plain == "[bold]boom[/]"
        assert message in app.detail.plain_text
        # Click all along the message line: a live [@click] there would quit the app.
        lines = app.detail.plain_text.splitlines()
        line = next(i for i, text in enumerate(lines) if message in text)
        start = lines[line].index(message)
        for x in range(start, start + len(message), 5):
            await pilot.click("#detail-body", offset=(x, line))
        await pilot.pause()
        assert app.is_running
        assert app.return_code is None


async def test_control_and_bidi_characters_are_made_visible(make_app) -> None:
    app = make_app([entry("t-ctl", Status.IN_PROGRESS, label="a\x1b[31mred\x07\u202eb")])
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        label = app.table.get_cell(key("t-ctl"), "label").plain
        assert "\x1b" not in label and "\u202e" not in label and "\x07" not in label
        assert "\\x1b" in label


async def test_hostile_text_in_toasts_and_updates_does_not_crash(make_app) -> None:
    failed = snapshot("t-1", Status.FAILED, message=HOSTILE, fetched_ago=0)
    fetcher = FakeFetcher({"t-1": failed})
    app = make_app(
        [entry("t-1", Status.IN_PROGRESS, progress=5.0)], fetcher=fetcher, start_polling=True
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot, lambda: app.table.get_cell(key("t-1"), "status").plain.strip() == "failed"
        )
        await pilot.pause()
        toasts = [n.message for n in app._notifications]
        assert any("[@click=app.quit]x[/]" in t for t in toasts)
        assert all(n.markup is False for n in app._notifications)
        assert app.is_running


# -- updates ---------------------------------------------------------------------------------


async def test_a_poll_changes_only_the_changed_cells(make_app) -> None:
    tracked = entry("t-1", Status.IN_PROGRESS, progress=10.0, label="stay")
    app = make_app([tracked, entry("t-2", Status.SUBMITTED)])
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        calls: list[tuple[str, str]] = []
        original = app.table.update_cell

        def spy(row_key: Any, column_key: Any, value: Any, **kwargs: Any) -> None:
            calls.append((str(row_key), str(column_key)))
            original(row_key, column_key, value, **kwargs)

        app.table.update_cell = spy  # type: ignore[method-assign]
        previous = tracked.status
        tracked.snapshot = snapshot("t-1", Status.IN_PROGRESS, progress=20.0, fetched_ago=10)
        publish(app, PollUpdate(tracked, previous, stale=False))
        await pilot.pause()
        assert calls == [(key("t-1"), "progress")]
        assert "20%" in app.table.get_cell(key("t-1"), "progress").plain


async def test_new_rows_are_added_by_key_and_selection_stays(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.table.select_key(key("task-failed-0004"))
        app.poller.add([entry("t-new", Status.SUBMITTED, added_ago=0)])
        await pilot.pause()
        assert app.table.shown_keys()[-1] == key("t-new")
        assert app.table.current_key() == key("task-failed-0004")
        # a status change that moves rows under status sort keeps the cursor on the task
        await pilot.press("s", "s")
        running = app.table.entry(key("task-running-0002"))
        assert running is not None
        running.snapshot = snapshot("task-running-0002", Status.SUCCEEDED, fetched_ago=0)
        publish(app, PollUpdate(running, Status.IN_PROGRESS, stale=False))
        await pilot.pause()
        assert app.table.current_key() == key("task-failed-0004")
        assert app.table.shown_keys()[-1] in (key("task-running-0002"), key("task-done-0003"))


async def test_a_flood_of_updates_is_one_batch(make_app) -> None:
    entries = [entry(f"t-{i}", Status.IN_PROGRESS, progress=1.0) for i in range(200)]
    app = make_app(entries)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        batches: list[PollerBatch] = []
        original = app.apply_batch

        def count(batch: PollerBatch) -> None:
            batches.append(batch)
            original(batch)

        app.apply_batch = count  # type: ignore[method-assign]
        for item in entries:
            item.snapshot = snapshot(item.task_id, Status.IN_PROGRESS, progress=50.0)
            publish(app, PollUpdate(item, Status.IN_PROGRESS, stale=False))
        publish(app, StateChanged(PollerState.RUNNING, "polling"))
        await pilot.pause()
        assert len(batches) == 1
        assert len(batches[0].updates) == 200
        assert all("50%" in app.table.get_cell(key(e.task_id), "progress").plain for e in entries)


async def test_finishing_tasks_toast_and_ring_the_bell(make_app) -> None:
    first = entry("t-ok", Status.IN_PROGRESS, progress=90.0, label="good one")
    second = entry("t-bad", Status.IN_PROGRESS, progress=30.0)
    app = make_app([first, second], bell=True)
    async with app.run_test(size=(100, 30)) as pilot:
        bells: list[int] = []
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        first.snapshot = snapshot("t-ok", Status.SUCCEEDED, fetched_ago=0)
        second.snapshot = snapshot("t-bad", Status.FAILED, message="quota exceeded", fetched_ago=0)
        publish(
            app,
            PollUpdate(first, Status.IN_PROGRESS, False),
            PollUpdate(second, Status.IN_PROGRESS, False),
        )
        await pilot.pause()
        toasts = [(n.message, n.severity) for n in app._notifications]
        # one toast per batch (issue 9, item 15), naming the few tasks
        assert toasts == [("2 tasks finished: 1 succeeded, 1 failed\n✓ good one  ✗ t-bad", "error")]
        assert bells == [1]  # once per batch, not per task


async def test_one_task_finishing_gets_its_own_toast_with_the_reason(make_app) -> None:
    item = entry("t-bad", Status.IN_PROGRESS, progress=30.0)
    app = make_app([item])
    async with app.run_test(size=(100, 30)) as pilot:
        item.snapshot = snapshot("t-bad", Status.FAILED, message="quota exceeded", fetched_ago=0)
        publish(app, PollUpdate(item, Status.IN_PROGRESS, False))
        await pilot.pause()
        toasts = [(n.message, n.severity) for n in app._notifications]
        assert toasts == [("✗ Failed: t-bad — quota exceeded", "error")]


async def test_no_bell_unless_configured(make_app) -> None:
    item = entry("t-ok", Status.IN_PROGRESS)
    app = make_app([item], bell=False)
    async with app.run_test(size=(100, 30)) as pilot:
        bells: list[int] = []
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        item.snapshot = snapshot("t-ok", Status.SUCCEEDED, fetched_ago=0)
        publish(app, PollUpdate(item, Status.IN_PROGRESS, False))
        await pilot.pause()
        assert bells == []
        assert any("Succeeded" in n.message for n in app._notifications)


async def test_many_finishing_at_once_is_one_toast(make_app) -> None:
    entries = [entry(f"t-{i}", Status.IN_PROGRESS) for i in range(10)]
    app = make_app(entries)
    async with app.run_test(size=(100, 30)) as pilot:
        for i, item in enumerate(entries):
            status = Status.SUCCEEDED if i % 2 else Status.FAILED
            item.snapshot = snapshot(item.task_id, status, fetched_ago=0)
            publish(app, PollUpdate(item, Status.IN_PROGRESS, False))
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert messages == ["10 tasks finished: 5 succeeded, 5 failed"]


@pytest.mark.parametrize("batches", ["one batch", "a batch each"])
async def test_three_finishing_in_one_round_is_one_toast(make_app, batches: str) -> None:
    """In one batch, or (over HTTP) the answers of one poll round a few loop ticks apart,
    one batch each: one toast per batch stacked three toasts (seen 1 run in 6 against the
    simulator); the next batches merge into the toast on screen."""
    entries = [entry(f"t-{i}", Status.IN_PROGRESS, label=f"clip {i}") for i in range(3)]
    app = make_app(entries)
    async with app.run_test(size=(80, 24)) as pilot:
        for i, item in enumerate(entries):
            status = Status.FAILED if i == 2 else Status.SUCCEEDED
            item.snapshot = snapshot(item.task_id, status, message="nope", fetched_ago=0)
            publish(app, PollUpdate(item, Status.IN_PROGRESS, False))
            if batches == "a batch each":
                await pilot.pause()
        if batches == "one batch":
            await pilot.pause()
        toasts = [(n.message, n.severity) for n in app._notifications]
        assert toasts == [
            ("3 tasks finished: 2 succeeded, 1 failed\n✓ clip 0  ✓ clip 1  ✗ clip 2", "error")
        ]


async def test_a_task_finishing_after_the_toast_is_gone_gets_a_new_one(make_app) -> None:
    entries = [entry(f"t-{i}", Status.IN_PROGRESS, label=f"clip {i}") for i in range(2)]
    app = make_app(entries)
    async with app.run_test(size=(80, 24)) as pilot:
        entries[0].snapshot = snapshot("t-0", Status.SUCCEEDED, fetched_ago=0)
        publish(app, PollUpdate(entries[0], Status.IN_PROGRESS, False))
        await pilot.pause()
        app.clear_notifications()  # dismissed (or timed out)
        entries[1].snapshot = snapshot("t-1", Status.SUCCEEDED, fetched_ago=0)
        publish(app, PollUpdate(entries[1], Status.IN_PROGRESS, False))
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["✓ Succeeded: clip 1"]


# -- failures never end the app ---------------------------------------------------------------


async def test_fetcher_exceptions_and_garbage_show_on_the_row(make_app) -> None:
    class Exploding(FakeFetcher):
        async def fetch(self, item: Any) -> Any:
            self.calls.append(item.task_id)
            if item.task_id == "t-boom":
                raise RuntimeError("connection reset by peer")
            return fetch_error(ErrorType.BAD_RESPONSE, "gateway answered garbage: <html>", ago=0)

    fetcher = Exploding()
    app = make_app(
        [entry("t-boom", Status.IN_PROGRESS, progress=10.0), entry("t-junk", None)],
        fetcher=fetcher,
        start_polling=True,
    )
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: {"t-boom", "t-junk"} <= set(fetcher.calls))
        await wait_for(pilot, lambda: "stale" in app.table.get_cell(key("t-boom"), "status").plain)
        await wait_for(
            pilot, lambda: app.table.get_cell(key("t-junk"), "status").plain.strip() == "error"
        )
        assert "bad response" in app.table.get_cell(key("t-junk"), "checked").plain
        app.table.select_key(key("t-junk"))
        await pilot.pause()
        assert "gateway answered garbage: <html>" in app.detail.plain_text
        assert app.is_running


async def test_a_crashing_poll_loop_is_shown_and_restarted(make_app, monkeypatch) -> None:
    app = make_app([entry("t-1")], start_polling=True)
    runs: list[int] = []
    real_run = app.poller.run

    async def flaky_run() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise OSError("disk on fire")
        await real_run()

    monkeypatch.setattr(app.poller, "run", flaky_run)
    app.restart_delay = 1.0  # long enough to see the crashed state even on a loaded machine
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "disk on fire" in str(app.alert.render()))
        header = str(app.summary.render())
        assert len(runs) == 1, "not restarted yet"
        assert "crashed" in header or "disk on fire" in header
        await wait_for(pilot, lambda: len(runs) >= 2)
        await wait_for(pilot, lambda: "crashed" not in str(app.summary.render()))
        assert app.is_running


async def test_auth_failure_is_in_the_header(make_app) -> None:
    app = make_app([entry("t-1")])
    async with app.run_test(size=(100, 30)) as pilot:
        publish(
            app,
            StateChanged(
                PollerState.AUTH_FAILED, "HTTP 401 from https://main.gateway.example: bad key"
            ),
        )
        await pilot.pause()
        assert "auth failed" in str(app.summary.render())
        alert = str(app.alert.render())
        assert "Authentication failed" in alert and "bad key" in alert
        assert app.alert.display


async def test_updates_while_a_dialog_is_open(make_app) -> None:
    item = entry("t-1", Status.IN_PROGRESS, progress=10.0)
    app = make_app([item])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        item.snapshot = snapshot("t-1", Status.IN_PROGRESS, progress=60.0)
        publish(
            app,
            PollUpdate(item, Status.IN_PROGRESS, False),
            StateChanged(PollerState.RUNNING, "polling"),
        )
        await pilot.pause()
        assert "60%" in app.table.get_cell(key("t-1"), "progress").plain
        await pilot.press("escape")


async def test_eta_from_progress_rate(make_app) -> None:
    item = entry("t-1", Status.IN_PROGRESS, progress=20.0, fetched_ago=60)
    app = make_app([item])
    async with app.run_test(size=(160, 40)) as pilot:
        assert app.table.get_cell(key("t-1"), "eta").plain == "—"  # no movement seen yet
        item.snapshot = snapshot("t-1", Status.IN_PROGRESS, progress=50.0, fetched_ago=0)
        publish(app, PollUpdate(item, Status.IN_PROGRESS, False))
        await pilot.pause()
        # 30 % in 60 s -> the remaining 50 % take 100 s
        assert app.table.get_cell(key("t-1"), "eta").plain == "~1m40s"


async def test_narrow_and_wide_layouts(make_app) -> None:
    app = make_app(gateways=("main", "relay"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        columns = [c.key.value for c in app.table.ordered_columns]
        assert columns == ["status", "progress", "label", "id", "elapsed", "eta"]
        assert "…" in app.table.get_cell(key("task-submitted-0001"), "id").plain
        await pilot.resize_terminal(240, 50)
        await pilot.pause()
        columns = [c.key.value for c in app.table.ordered_columns]
        assert "gateway" in columns and "checked" in columns and "kind" in columns
        assert app.main_area.has_class("-beside")
        assert app.table.get_cell(key("task-submitted-0001"), "id").plain == "task-submitted-0001"


async def test_poller_notices_become_toasts(make_app) -> None:
    app = make_app([entry("t-1")])
    async with app.run_test(size=(100, 30)) as pilot:
        publish(app, Notice("could not save the watch list: [bold]disk full[/]", "error"))
        await pilot.pause()
        [note] = list(app._notifications)
        assert note.message == "could not save the watch list: [bold]disk full[/]"
        assert note.severity == "error" and note.markup is False


async def test_several_notices_in_one_batch_share_one_toast(make_app) -> None:
    app = make_app([entry("t-1")])
    async with app.run_test(size=(100, 30)) as pilot:
        publish(app, *(Notice(f"note {i}", "warning") for i in range(4)), Notice("bad", "error"))
        await pilot.pause()
        [note] = list(app._notifications)
        assert note.message == "note 0\nnote 1\nnote 2\n… and 2 more"
        assert note.severity == "error" and note.markup is False


# -- column widths follow the cells ---------------------------------------------------------


async def test_a_column_grows_for_a_wide_cell_and_shrinks_back_after_it(make_app) -> None:
    """Widths are kept per cell, not re-measured: they must still follow the content both
    ways, or one passing long value pushes the table past the screen edge for good."""
    app = make_app([entry("t-1", label="short"), entry("t-2", label="tiny")])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        label = app.table.columns[next(k for k in app.table.columns if k.value == "label")]
        narrow = label.content_width
        wide = app.poller.entry(app.poller.entries[0].key)
        assert wide is not None
        wide.label = "a much longer label than before"
        publish(app, PollUpdate(wide, wide.status, stale=False))
        await pilot.pause()
        assert label.content_width > narrow
        wide.label = "short"
        publish(app, PollUpdate(wide, wide.status, stale=False))
        await pilot.pause()
        assert label.content_width == narrow
        app.table.remove_keys([key("t-1")])
        await pilot.pause()
        assert label.content_width == max(len("Label"), len("tiny"))


async def test_escapes_stored_in_the_watch_list_file_show_literally(make_app, tmp_path) -> None:
    """Loaded through the real loader (issue 10, item 3): cleaned once, at load, then shown
    as plain text: visible escapes (not doubled), markup-like text kept, nothing raw."""
    import tomli_w

    from kling_tui.store.watchlist import WatchList
    from tests.support.ui_fakes import NOW

    evil = "x\x1b]52;c;cHduZWQ=\x07 \x9b2J \u202eevil [@click=app.quit]"
    table = {
        "id": "t-file",
        "kind": "text2video",
        "gateway": "main",
        "label": evil,
        "added_at": NOW,
        "last": {"status": "failed", "status_raw": evil, "message": evil, "fetched_at": NOW},
    }
    path = tmp_path / "hostile.toml"
    path.write_text(tomli_w.dumps({"version": 1, "tasks": [table]}))
    path.chmod(0o600)
    entries = WatchList(path).load()
    shown = "x\\x1b]52;c;cHduZWQ=\\x07 \\x9b2J \\u202eevil [@click=app.quit]"
    app = make_app(entries)
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        label = app.table.get_cell(key("t-file"), "label").plain
        assert label.rstrip("…") and shown.startswith(label.rstrip("…"))  # the column is narrow
        detail = app.detail.plain_text
        assert shown in detail and "\\\\x1b" not in detail
        for text in (label, detail):
            assert not any(c in text for c in "\x1b\x07\x9b\u202e")
        assert app.is_running
