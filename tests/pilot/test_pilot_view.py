"""The dashboard's pure rules (filter, sort, ETA, formatting), without an app."""

from __future__ import annotations

from datetime import timedelta

from kling_tui.models import Status
from kling_tui.polling.poller import ListChanged, PollUpdate
from kling_tui.ui.format import fmt_ago, fmt_span, fmt_video_duration, shorten_middle
from kling_tui.ui.messages import PollerBatch
from kling_tui.ui.view import (
    EtaEstimator,
    RowState,
    SortMode,
    elapsed_seconds,
    is_stale,
    parse_filter,
    row_state,
    sort_key,
)
from tests.support.ui_fakes import NOW, entry, fetch_error, mixed_entries, snapshot


def ids(entries, text):
    task_filter = parse_filter(text)
    return [e.task_id for e in entries if task_filter.matches(e)]


def test_filter_syntax() -> None:
    entries = mixed_entries()
    assert ids(entries, "status:failed") == ["task-failed-0004"]
    assert ids(entries, "is:stale") == ["task-stale-0005"]
    assert ids(entries, "status:running,done") == [
        "task-running-0002",
        "task-done-0003",
        "task-stale-0005",
    ]
    assert ids(entries, "moderation") == ["task-failed-0004"]  # the message
    assert ids(entries, "NOT FOUND") == ["task-error-0006"]  # the last error
    assert ids(entries, "city night") == ["task-running-0002"]
    assert ids(entries, "kind:image2video") == []
    assert ids(entries, "gw:main status:pending") == []
    assert ids(entries, "") == [e.task_id for e in entries]
    assert parse_filter("status:bogus").problems == ("unknown status 'bogus'",)
    assert not parse_filter("  ").active


def test_row_state_and_stale() -> None:
    assert row_state(entry("a", None)) is RowState.PENDING
    assert row_state(entry("a", None, error=fetch_error())) is RowState.ERROR
    stale = entry("a", Status.IN_PROGRESS, error=fetch_error())
    assert row_state(stale) is RowState.IN_PROGRESS and is_stale(stale)


def test_sort_keys() -> None:
    entries = mixed_entries()
    by_status = sorted(entries, key=lambda e: sort_key(e, SortMode.STATUS))
    assert [e.task_id for e in by_status][:2] == ["task-failed-0004", "task-error-0006"]
    assert by_status[-1].task_id == "task-done-0003"
    by_progress = sorted(entries, key=lambda e: sort_key(e, SortMode.PROGRESS))
    assert by_progress[0].task_id == "task-done-0003"
    assert SortMode.ADDED.next() is SortMode.LABEL and SortMode.PROGRESS.next() is SortMode.ADDED


def test_eta_needs_movement_and_follows_the_rate() -> None:
    eta = EtaEstimator()
    item = entry("a", Status.IN_PROGRESS, progress=10.0, fetched_ago=100)
    eta.observe(item)
    assert eta.eta_seconds(item, NOW) is None
    item.snapshot = snapshot("a", Status.IN_PROGRESS, progress=10.0, fetched_ago=50)
    eta.observe(item)
    assert eta.eta_seconds(item, NOW) is None  # no movement yet
    item.snapshot = snapshot("a", Status.IN_PROGRESS, progress=60.0, fetched_ago=0)
    eta.observe(item)
    assert eta.eta_seconds(item, NOW) == 80.0  # 50 % in 100 s -> 40 % left in 80 s
    assert eta.eta_seconds(item, NOW + timedelta(seconds=30)) == 50.0
    item.snapshot = snapshot("a", Status.IN_PROGRESS, progress=5.0, fetched_ago=0)
    eta.observe(item)  # went backwards: restarted
    assert eta.eta_seconds(item, NOW) is None
    item.snapshot = snapshot("a", Status.SUCCEEDED, progress=100.0, fetched_ago=0)
    assert eta.eta_seconds(item, NOW) is None


def test_elapsed_freezes_when_finished() -> None:
    running = entry("a", Status.IN_PROGRESS, created_ago=120)
    assert elapsed_seconds(running, NOW) == 120
    done = entry("b", Status.SUCCEEDED, created_ago=300, updated_ago=100)
    assert elapsed_seconds(done, NOW + timedelta(hours=1)) == 200


def test_formatting() -> None:
    assert [fmt_span(s) for s in (None, 5, 125, 3720, 90000)] == [
        "—",
        "5s",
        "2m05s",
        "1h02m",
        "1d01h",
    ]
    assert fmt_ago(None, NOW) == "never"
    assert fmt_ago(NOW, NOW) == "just now"
    assert fmt_ago(NOW - timedelta(seconds=61), NOW) == "1m01s ago"
    assert fmt_video_duration(5.0) == "5s" and fmt_video_duration(10.5) == "10.5s"
    assert shorten_middle("abcdefghijklmnop", 10) == "abcdef…nop"
    assert shorten_middle("short", 10) == "short"


def test_batch_folds_events_in_order() -> None:
    a, b = entry("a"), entry("b")
    batch = PollerBatch()
    batch.add_event(PollUpdate(a, Status.IN_PROGRESS, False))
    batch.add_event(ListChanged((), (a.key,)))
    batch.add_event(ListChanged((b,), ()))
    batch.add_event(ListChanged((a,), ()))  # undo in the same tick
    assert batch.removed == set()
    assert set(batch.added) == {a.key, b.key}
    assert a.key not in batch.updates


# -- a long list arrives in steps -----------------------------------------------------------


def _many(n: int) -> list:
    states = (Status.SUBMITTED, Status.IN_PROGRESS, Status.SUCCEEDED, Status.FAILED)
    return [
        entry(f"task-{i:05d}", states[i % 4], label=f"clip {i}", added_ago=100_000 - i)
        for i in range(n)
    ]


async def test_a_long_list_shows_its_first_screen_at_once_and_the_rest_in_steps(
    make_app,
) -> None:
    from kling_tui.ui.widgets.task_table import FIRST_ROWS

    app = make_app(_many(2500))
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.table
        assert FIRST_ROWS <= table.row_count < 2500  # the first frame did not wait for all
        assert table.shown_count == table.total_count == 2500  # the header counts all
        assert str(table.current_key()).endswith("task-00000")
        await pilot.press("s")  # sort by status while rows are still arriving
        while table.rows_pending:
            await pilot.pause()
        assert table.row_count == 2500
        shown = table.shown_keys()
        assert len(set(shown)) == 2500
        assert table.sort_mode is not SortMode.ADDED
        position = {e.task_id: i for i, e in enumerate(app.poller.entries)}
        expected = sorted(
            app.poller.entries,
            key=lambda e: sort_key(e, table.sort_mode, position[e.task_id]),
        )
        assert [k.rsplit(":", 1)[1] for k in shown] == [e.task_id for e in expected]
        assert str(table.current_key()).endswith("task-00000")  # the selection stayed put


async def test_the_first_frame_builds_a_screen_of_rows_not_more(make_app) -> None:
    """Rows built before the first frame are a screen's worth (50, or the terminal's
    height when taller): each one is start-up time (``startup_cold_ratio_10k``)."""
    for height, first in ((40, 50), (120, 120)):
        app = make_app(_many(600))
        async with app.run_test(size=(120, height)) as pilot:
            table = app.table
            while table.rows_pending:
                await pilot.pause()
            table.rebuild()  # as at start-up: the rest comes after the next frame
            assert table.row_count == first
            assert table.shown_count == 600
            while table.rows_pending:
                await pilot.pause()
            assert table.row_count == 600


async def test_filtering_while_rows_arrive_shows_each_match_once(make_app) -> None:
    app = make_app(_many(2500))
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.table
        assert table.rows_pending
        app.apply_filter("clip 24")
        await pilot.pause()
        while table.rows_pending:
            await pilot.pause()
        shown = table.shown_keys()
        matching = [e for e in app.poller.entries if table.task_filter.matches(e)]
        assert 100 < len(matching) < 2500
        assert len(shown) == len(set(shown)) == table.shown_count == len(matching)
