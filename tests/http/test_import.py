"""``kling-tui import`` against the simulator: native lists of several kinds, ``--since``,
``--limit``, the relay's task log (both envelopes), a failing page of one kind while the
others import, rate limits waited out, and tasks already watched merged, not added again."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kling_tui.cli import main
from kling_tui.config import AppConfig
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.gateway.normalize import ListPage, OpenList
from kling_tui.importing.harvest import harvest
from kling_tui.models import Status
from kling_tui.sim.simulator import Fault, Simulator
from kling_tui.store.watchlist import WatchList
from tests.support.clock import FakeClock
from tests.support.sim import (
    ACCESS_TOKEN,
    gateways_for,
    running_simulator,
)


def run(*argv: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    out = io.StringIO()
    code = main(["import", *argv, "--json"], out=out)
    return code, json.loads(out.getvalue())


def watched(path: Path) -> dict[str, object]:
    store = WatchList(path)
    return {e.task_id: e for e in store.load()}


def test_native_lists_of_several_kinds(
    import_env: Path, sim: Simulator, sim_clock: FakeClock
) -> None:
    t2v = sim.add_task("text2video", queue_seconds=0, run_seconds=1)
    img = sim.add_task("image-generations", queue_seconds=0, run_seconds=1000)
    lip = sim.add_task("advanced-lip-sync", outcome="fail", queue_seconds=0, run_seconds=1)
    sim.add_task("text2video", queue_seconds=50)
    sim_clock.advance(5)
    sim.reset_log()
    code, summary = run("--kind", "t2v", "--kind", "img", "--kind", "lip")
    assert code == 0, summary
    assert summary["new"] == 4 and summary["already_watched"] == 0
    assert summary["requests"] == 3 and sim.list_requests == 3  # one short page per kind
    tasks = watched(import_env)
    assert tasks[t2v.task_id].kind == "text2video"
    assert tasks[t2v.task_id].snapshot.status is Status.SUCCEEDED
    assert tasks[img.task_id].kind == "image-generations"
    assert tasks[img.task_id].snapshot.status is Status.IN_PROGRESS
    assert tasks[lip.task_id].snapshot.status is Status.FAILED
    assert all(e.gateway == "native" for e in tasks.values())
    # again: nothing new, and the summary says so
    code, summary = run("--kind", "t2v", "--kind", "img", "--kind", "lip")
    assert (code, summary["new"], summary["already_watched"]) == (0, 0, 4)


def test_every_kind_by_default_on_a_native_gateway_and_pages_of_500(
    import_env: Path, sim: Simulator
) -> None:
    for _ in range(501):
        sim.add_task("omni-video", queue_seconds=100)
    sim.add_task("text-to-audio", queue_seconds=100)
    code, summary = run()
    assert code == 0 and summary["new"] == 502
    assert summary["requests"] == 17 + 1  # every kind once, omni-video twice
    paths = [p for _, p in sim.requests if "omni-video" in p]
    assert paths == [f"/v1/videos/omni-video?pageNum={n}&pageSize=500" for n in (1, 2)]


def test_since_stops_at_older_tasks_and_limit_caps_the_count(
    import_env: Path, sim: Simulator
) -> None:
    old = [sim.add_task("text2video", queue_seconds=100) for _ in range(3)]
    for task in old:
        task.created -= 7200  # two hours ago
    new = [sim.add_task("text2video", queue_seconds=100) for _ in range(4)]
    code, summary = run("--kind", "t2v", "--since", "1h")
    assert code == 0 and summary["new"] == 4
    assert set(watched(import_env)) == {t.task_id for t in new}
    code, summary = run("--kind", "t2v", "--limit", "2")
    assert summary["new"] == 0 and summary["already_watched"] == 2  # the two newest


def test_limit_across_kinds(import_env: Path, sim: Simulator) -> None:
    for kind in ("text2video", "image2video"):
        for _ in range(3):
            sim.add_task(kind, queue_seconds=100)
    code, summary = run("--kind", "t2v", "--kind", "i2v", "--limit", "4")
    assert code == 0 and summary["new"] == 4
    assert [e.kind for e in watched(import_env).values()].count("image2video") == 1


@pytest.mark.parametrize("envelope", ["current", "old"])
def test_the_relay_task_log(
    import_env: Path, sim: Simulator, sim_clock: FakeClock, envelope
) -> None:
    sim.task_log_envelope = envelope
    t2v = sim.add_task("text2video", queue_seconds=0, run_seconds=1)
    i2v = sim.add_task("image2video", queue_seconds=100)
    sim.add_task("multi-image2video")  # the stock relay has no such task: not in its log
    sim_clock.advance(5)
    code, summary = run("--gateway", "relay")
    assert code == 0, summary
    assert summary["new"] == 2 and summary["requests"] == 1
    tasks = watched(import_env)
    assert set(tasks) == {t2v.task_id, i2v.task_id}
    assert tasks[t2v.task_id].kind == "text2video"
    assert tasks[t2v.task_id].snapshot.status is Status.SUCCEEDED
    assert tasks[t2v.task_id].snapshot.result_urls  # the video, from the relay record
    assert tasks[i2v.task_id].kind == "image2video"
    assert tasks[i2v.task_id].snapshot.model == "kling-v2-1"
    # the access token went only to the task log, the API key to nothing at all
    sent = dict(zip((p for _, p in sim.requests), sim.authorization, strict=True))
    assert sent == {"/api/task/self?p=1&page_size=100": f"Bearer {ACCESS_TOKEN}"}


def test_task_log_pages_and_a_refused_user(
    import_env: Path, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(150):
        sim.add_task("image2video", queue_seconds=100)
    code, summary = run("--gateway", "relay")
    assert (code, summary["new"], summary["requests"]) == (0, 150, 2)
    monkeypatch.setenv("T_ACCESS", "not-the-token")
    code, summary = run("--gateway", "relay")
    assert code == 1 and summary["new"] == 0
    assert len(summary["failed_pages"]) == 1
    assert "task log page 1" in summary["failed_pages"][0]
    assert "not-the-token" not in json.dumps(summary)


def test_a_failing_page_of_one_kind_while_the_others_import(
    import_env: Path, sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.add_task("text2video", queue_seconds=100)
    i2v = sim.add_task("image2video", queue_seconds=100)
    sim.inject(Fault.SERVER_500, count=3, lists=True)  # every try of the first page
    code, summary = run("--kind", "t2v", "--kind", "i2v")
    assert code == 1
    assert summary["new"] == 1 and list(watched(import_env)) == [i2v.task_id]
    assert len(summary["failed_pages"]) == 1
    assert summary["failed_pages"][0].startswith("text2video page 1: ")
    err = capsys.readouterr().err
    assert "kling-tui: import: text2video page 1: " in err


def test_a_short_rate_limit_is_waited_out_by_the_fetcher(import_env: Path, sim: Simulator) -> None:
    sim.add_task("text2video", queue_seconds=100)
    sim.inject(Fault.RATE_LIMITED, count=1, lists=True)  # Retry-After 0.05 s
    code, summary = run("--kind", "t2v")
    assert (code, summary["new"], summary["failed_pages"]) == (0, 1, [])
    assert sim.list_requests == 2


async def test_a_long_rate_limit_is_waited_here_then_the_page_again() -> None:
    clock = FakeClock()
    with running_simulator(clock, retry_after=30) as sim:
        for _ in range(3):
            sim.add_task("text2video", queue_seconds=100)
        sim.inject(Fault.RATE_LIMITED, count=1, lists=True)
        config: AppConfig = gateways_for(sim.base_url)
        slept: list[float] = []

        async def sleep(seconds: float) -> None:
            slept.append(seconds)

        steps: list[str] = []
        async with Fetcher(config, sleep=sleep) as fetcher:
            found = await harvest(
                fetcher,
                config.gateway("native"),
                kinds=["text2video"],
                task_log=False,
                progress=steps.append,
                sleep=sleep,
            )
    assert found.failures == [] and len(found.snapshots) == 3
    assert slept == [30.0]  # the server's Retry-After, waited once, here
    assert steps == [
        "importing text2video page 1...",
        "rate limited on text2video page 1: waiting 30 s...",
    ]


def test_already_watched_tasks_get_newer_data_and_nothing_else_changes(
    import_env: Path, sim: Simulator, sim_clock: FakeClock
) -> None:
    task = sim.add_task("text2video", queue_seconds=0, run_seconds=10)
    assert main(["add", "--gateway", "native", "--label", "mine", task.task_id]) == 0
    sim_clock.advance(30)
    code, summary = run("--kind", "t2v")
    assert (code, summary["new"], summary["already_watched"], summary["merged"]) == (0, 0, 1, 1)
    entry = watched(import_env)[task.task_id]
    assert entry.label == "mine" and entry.snapshot.status is Status.SUCCEEDED


def test_a_relay_without_a_task_log_is_a_usage_error(
    import_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["import", "--base-url", "http://127.0.0.1:9"])
    assert code == 2
    with pytest.raises(SystemExit) as exited:
        main(["import", "--gateway", "native", "--kind", "t2v", "--since", "soon"])
    assert exited.value.code == 2
    assert "--since expects an age" in capsys.readouterr().err


async def test_kinds_walked_side_by_side_come_back_in_the_order_asked(
    sim: Simulator, app_config: AppConfig
) -> None:
    t2v = [sim.add_task("text2video", queue_seconds=100).task_id for _ in range(3)]
    i2v = [sim.add_task("image2video", queue_seconds=100).task_id for _ in range(3)]
    native = app_config.gateway("native")
    assert native.max_concurrency > 1  # both kinds in flight at once
    async with Fetcher(app_config) as fetcher:
        both = await harvest(fetcher, native, kinds=["image2video", "text2video"], task_log=False)
        capped = await harvest(
            fetcher, native, kinds=["text2video", "image2video"], task_log=False, limit=4
        )
    assert [s.task_id for s in both.snapshots] == i2v[::-1] + t2v[::-1]
    assert [s.task_id for s in capped.snapshots] == t2v[::-1] + i2v[::-1][:1]


def test_a_task_log_that_quotes_the_access_token_back_is_redacted(
    import_env: Path, sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.add_task("text2video", queue_seconds=100)
    sim.inject(Fault.REFLECT_401, count=1, lists=True)
    code, summary = run("--gateway", "relay")
    assert code == 1 and summary["new"] == 0
    printed = json.dumps(summary) + capsys.readouterr().err
    assert ACCESS_TOKEN not in printed and "***" in printed


def test_a_file_row_with_only_an_external_id_is_watched_by_it(
    import_env: Path, sim: Simulator, sim_clock: FakeClock, tmp_path: Path
) -> None:
    task = sim.add_task("text2video", queue_seconds=0, run_seconds=1, external_task_id="order-9")
    sim_clock.advance(5)
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"external_task_id": "order-9", "label": "client order"}\n')
    out = io.StringIO()
    assert main(["import", "--gateway", "native", str(jobs)], out=out) == 0
    assert out.getvalue() == "1 new task, 0 already watched, 0 refused\n"
    entry = watched(import_env)["order-9"]
    assert entry.external is True  # type: ignore[attr-defined]
    assert main(["watch", "--once", "--json"], out=io.StringIO()) == 0
    entry = watched(import_env)["order-9"]
    assert entry.snapshot.task_id == task.task_id  # Kling's id, found by the external one
    assert entry.snapshot.status is Status.SUCCEEDED


async def test_the_next_page_is_asked_for_before_a_full_page_is_read(
    sim: Simulator, app_config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pipelined: the server prepares page n+1 while page n's items are read; a short page
    asks for nothing more, so 1,001 tasks are still 3 requests."""
    ids = [sim.add_task("text2video", queue_seconds=100).task_id for _ in range(1001)]
    steps: list[str] = []
    real_read = OpenList.read

    def read(self: OpenList) -> ListPage:
        steps.append(f"read page {self.page_num}")
        return real_read(self)

    monkeypatch.setattr(OpenList, "read", read)
    sim.reset_log()
    async with Fetcher(app_config) as fetcher:
        found = await harvest(
            fetcher,
            app_config.gateway("native"),
            kinds=["text2video"],
            task_log=False,
            progress=steps.append,
        )
    assert steps == [
        "importing text2video page 1...",
        "importing text2video page 2...",
        "read page 1",
        "importing text2video page 3...",
        "read page 2",
        "read page 3",
    ]
    assert found.pages == 3 == sim.list_requests and found.failures == []
    assert [s.task_id for s in found.snapshots] == ids[::-1]


async def test_a_page_asked_for_ahead_and_not_needed_is_counted_and_dropped(
    sim: Simulator, app_config: AppConfig
) -> None:
    """``since`` stops inside a full page: the page asked for ahead is counted (it was
    sent) and nothing of it is kept."""
    old = [sim.add_task("text2video", queue_seconds=100) for _ in range(600)]
    for task in old:
        task.created -= 7200  # two hours ago
    new = [sim.add_task("text2video", queue_seconds=100).task_id for _ in range(400)]
    since = datetime.now(UTC) - timedelta(hours=1)
    async with Fetcher(app_config) as fetcher:
        found = await harvest(
            fetcher, app_config.gateway("native"), kinds=["t2v"], task_log=False, since=since
        )
    assert [s.task_id for s in found.snapshots] == new[::-1]
    assert found.pages == 2 and found.failures == []
