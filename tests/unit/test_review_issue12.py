"""Review of issue 12: hostile items in list pages and task logs, read by the one normalizer."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kling_tui.config import GatewayConfig
from kling_tui.gateway.normalize import ListPage, normalize_list, normalize_task_log
from kling_tui.gateway.sanitize import clean_text
from kling_tui.importing.apply import apply_to_store
from kling_tui.importing.harvest import harvest
from kling_tui.importing.plan import ImportPlan
from kling_tui.importing.rows import ImportFileError, parse_import
from kling_tui.importing.since import SinceError, parse_since
from kling_tui.models import ErrorType, FetchError, Status, TaskSnapshot, WatchEntry
from kling_tui.polling.eta import Phase, RenderTimes
from kling_tui.polling.poller import apply_result
from kling_tui.store.watchlist import WatchList

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("bad", ["../x", "a/b", "x\x1b[2Jy", "x\u202ey", "a b", "#1", "?p=1"])
def test_a_listed_id_that_could_not_be_queried_is_unreadable(bad: str) -> None:
    native = {"task_id": bad, "task_status": "processing"}
    good = {"task_id": "860000000000000001", "task_status": "processing"}
    body = json.dumps({"code": 0, "data": [native, good]}).encode()
    page = normalize_list(200, JSON, body, kind="text2video")
    assert [s.task_id for s in page.snapshots] == ["860000000000000001"]
    assert page.unreadable == 1
    record = {"task_id": bad, "status": "IN_PROGRESS", "action": "generate"}
    body = json.dumps({"success": True, "data": {"items": [record]}}).encode()
    log = normalize_task_log(200, JSON, body)
    assert log.snapshots == () and log.unreadable == 1


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85"])
def test_a_json_line_whose_label_holds_a_unicode_line_separator_is_one_row(sep: str) -> None:
    """JSON allows U+2028 / U+2029 / U+0085 raw inside a string (json.dumps with
    ensure_ascii=False writes them so); str.splitlines breaks the row there."""
    row = json.dumps({"task_id": "860000000000000001", "label": f"a{sep}b"}, ensure_ascii=False)
    data = (row + "\r\n" + '{"task_id": "860000000000000002"}\n').encode()
    parsed = parse_import(data)
    assert parsed.problems == []
    assert [(r.line, r.task_id) for r in parsed.rows] == [
        (1, "860000000000000001"),
        (2, "860000000000000002"),
    ]
    assert parsed.rows[0].label == "a" + clean_text(sep) + "b"  # shown escaped


def test_a_state_since_in_the_future_does_not_hide_a_stuck_task_forever() -> None:
    """A watch list written on a machine whose clock ran a year ahead (its last answer and
    state_since both in our future): the stuck clock starts at our first answer, not then."""
    now = datetime(2026, 6, 1, tzinfo=UTC)
    ahead = now + timedelta(days=365)

    def answer(at: datetime) -> TaskSnapshot:
        return TaskSnapshot(
            "t-1", "text2video", Status.IN_PROGRESS, "processing", 30.0, (), "", None,
            None, None, at,
        )  # fmt: skip

    times = RenderTimes(min_samples=3)
    for seconds in (600, 700, 800):  # stuck after 2,400 s
        times.learn(Phase.RENDER, "text2video", None, seconds)
    e = WatchEntry("t-1", "text2video", "native", now, snapshot=answer(ahead), state_since=ahead)
    apply_result(e, answer(now), times)
    assert e.state_since is not None and e.state_since <= now
    apply_result(e, answer(now + timedelta(hours=1)), times)
    assert e.stuck


@pytest.mark.parametrize("text", ["0001-01-01T00:00+05:00", "9999-12-31T23:59-05:00"])
def test_a_since_date_at_the_edge_of_the_calendar_is_a_clear_error(text: str) -> None:
    with pytest.raises(SinceError, match="--since"):
        parse_since(text)


def test_another_vendors_tasks_in_the_relay_task_log_are_not_imported_as_kling() -> None:
    """new-api's Vidu, Jimeng, Hailuo, Seedance adaptors use the same ``generate`` /
    ``textGenerate`` actions as Kling: the platform word or the upstream model tells them
    apart (Kling's platform is "kling" or, on current versions, its channel type number)."""

    def rec(n: int, platform: object, model: object) -> dict:  # type: ignore[type-arg]
        return {
            "task_id": f"task_{n:032d}",
            "status": "IN_PROGRESS",
            "action": "generate",
            "platform": platform,
            "properties": {"upstream_model_name": model},
        }

    items = [
        rec(1, "kling", "kling-v2-1"),
        rec(2, "50", "kling-v2-master"),  # new-api: the channel type number
        rec(3, None, None),  # says nothing: taken, as before
        rec(8, "KlingAI", None),
        rec(4, "52", "viduq1"),
        rec(5, "jimeng", None),
        rec(6, "hailuo", "MiniMax-Hailuo-02"),
        rec(7, "54", "doubao-seedance-1-0-pro"),
    ]
    body = json.dumps({"success": True, "data": {"items": items}}).encode()
    log = normalize_task_log(200, JSON, body)
    assert [s.task_id[-1] for s in log.snapshots] == ["1", "2", "3", "8"]
    assert log.unreadable == 4


async def test_a_long_rate_limit_on_one_kind_holds_the_other_kinds_pages_too() -> None:
    """The rate limit is the account's: while the import waits out one kind's Retry-After,
    the kinds walked beside it must not go on sending pages (each would meet it too)."""
    paused = False
    sent_while_paused: list[tuple[str, int]] = []
    limited = False

    async def sleep(seconds: float) -> None:
        nonlocal paused
        paused = True
        for _ in range(50):
            await asyncio.sleep(0)
        paused = False

    class Lister:
        async def fetch_page(self, gateway, kind, *, page_num, page_size, ahead=None):  # type: ignore[no-untyped-def]
            nonlocal limited
            if paused:
                sent_while_paused.append((kind, page_num))
            await asyncio.sleep(0)
            if kind == "text2video" and not limited:
                limited = True
                error = FetchError(ErrorType.RATE_LIMITED, "slow down", retry_after=30.0)
                return ListPage(kind, page_num, page_size, error=error)
            full = kind == "image2video" and page_num < 4
            return ListPage(kind, page_num, page_size, unreadable=page_size if full else 0)

    gateway = GatewayConfig(
        name="native", base_url="https://api.example", path_prefix="/v1", credential=None
    )
    found = await harvest(
        Lister(),  # type: ignore[arg-type]
        gateway,
        kinds=["text2video", "image2video"],
        task_log=False,
        sleep=sleep,
    )
    assert found.failures == []
    assert sent_while_paused == []


def test_a_moved_state_is_saved_after_another_process_rewrote_the_list(tmp_path: Path) -> None:
    """The dashboard keeps its own entry objects when another process changes the file (a
    ``kling-tui add`` meanwhile): its saves go through ``update``, which must carry
    ``state_since`` too, or a restart counts a task that just moved as unmoved for hours."""
    path = tmp_path / "watch.toml"
    t0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)

    def answer(progress: float, at: datetime) -> TaskSnapshot:
        return TaskSnapshot(
            "860000000000000001", "text2video", Status.IN_PROGRESS, "processing", progress,
            (), "", None, None, None, at,
        )  # fmt: skip

    dashboard = WatchList(path)
    (mine,) = dashboard.add([WatchEntry("860000000000000001", "text2video", "native", t0)]).added
    mine.snapshot, mine.state_since = answer(30.0, t0), t0
    dashboard.update([mine])
    WatchList(path).add([WatchEntry("860000000000000002", "text2video", "native", t0)])
    later = t0 + timedelta(hours=2)
    mine.snapshot, mine.state_since = answer(60.0, later), later  # it moved
    dashboard.update([mine])
    (saved,) = [e for e in WatchList(path).load() if e.task_id == mine.task_id]
    assert saved.snapshot is not None and saved.snapshot.progress == 60.0
    assert saved.state_since == later


def test_an_imported_snapshot_that_moved_the_task_restarts_its_stuck_clock(
    tmp_path: Path,
) -> None:
    """An import merging a newer snapshot folds it like any answer: a task that moved from
    30 % to 60 % has been where it is since that answer, not since hours before."""
    path = tmp_path / "watch.toml"
    t0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    later = t0 + timedelta(hours=3)

    def answer(progress: float, at: datetime) -> TaskSnapshot:
        return TaskSnapshot(
            "860000000000000001", "text2video", Status.IN_PROGRESS, "processing", progress,
            (), "", None, None, at, at,
        )  # fmt: skip

    store = WatchList(path)
    (entry,) = store.add([WatchEntry("860000000000000001", "text2video", "native", t0)]).added
    entry.snapshot, entry.state_since = answer(30.0, t0), t0
    store.update([entry])
    plan = ImportPlan(merges=[(entry, answer(60.0, later))])
    assert apply_to_store(store, plan) == (0, 1)
    (saved,) = WatchList(path).load()
    assert saved.snapshot is not None and saved.snapshot.progress == 60.0
    assert saved.state_since == later


async def test_a_gateway_that_ignores_page_num_is_not_asked_a_thousand_times() -> None:
    asked: list[int] = []

    def snap(n: int) -> TaskSnapshot:
        return TaskSnapshot(
            f"86000000000000{n:04d}", "text2video", Status.IN_PROGRESS, "processing", None,
            (), "", None, None, None, datetime(2026, 6, 1, tzinfo=UTC),
        )  # fmt: skip

    same = tuple(snap(n) for n in range(500))

    class Lister:
        async def fetch_page(self, gateway, kind, *, page_num, page_size, ahead=None):  # type: ignore[no-untyped-def]
            asked.append(page_num)
            return ListPage(kind, page_num, page_size, snapshots=same)  # page 1, always

    gateway = GatewayConfig(
        name="native", base_url="https://api.example", path_prefix="/v1", credential=None
    )
    found = await harvest(Lister(), gateway, kinds=["text2video"], task_log=False)  # type: ignore[arg-type]
    assert asked == [1, 2]
    assert len(found.snapshots) == 500
    assert len(found.failures) == 1 and "pageNum" in found.failures[0]


def test_a_json_array_file_is_told_apart_from_a_csv_without_a_header() -> None:
    data = b'[\n  {"task_id": "860000000000000001"}\n]\n'
    with pytest.raises(ImportFileError, match="is a JSON array; kling-tui reads JSON lines"):
        parse_import(data, "jobs.json")
