"""Review of issue 12: hostile list pages, task logs and ids against the simulator."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kling_tui.cli import main
from kling_tui.config import AppConfig, load_config
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.importing.apply import import_from_gateway
from kling_tui.models import Status, TaskSnapshot, utcnow
from kling_tui.polling.poller import PollUpdate
from kling_tui.sim.payloads import HOSTILE_TEXT
from kling_tui.sim.simulator import Fault, Simulator
from kling_tui.store.watchlist import WatchList
from tests.support.clock import FakeClock
from tests.support.polling import make, run_until, watch
from tests.support.sim import ACCESS_TOKEN, TOKEN


def run(*argv: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    out = io.StringIO()
    code = main(["import", *argv, "--json"], out=out)
    return code, json.loads(out.getvalue()), out.getvalue()


def test_a_list_item_with_a_dangerous_id_does_not_lose_the_others(
    import_env: Path,
    sim: Simulator,
) -> None:
    good = sim.add_task("text2video", queue_seconds=100)
    for bad in ("../../etc", "a/b", "x\x1b]52;c;AAAA\x07y", "q?x=1"):
        sim.add_task("text2video", task_id=bad, queue_seconds=100)
    code, summary, text = run("--kind", "t2v")
    assert code == 0
    ids = {e.task_id for e in WatchList(import_env).load()}
    assert ids == {good.task_id}
    assert summary["new"] == 1
    assert summary["problems"] == [
        "4 listed items skipped (not a Kling task, or without a valid task id or status)"
    ]
    assert "\x1b" not in text and "\x07" not in text


async def test_an_import_never_takes_back_a_finish_another_process_wrote_meanwhile(
    import_env: Path,
    sim: Simulator,
) -> None:
    """The CLI reads the watch list before its walk (seconds to minutes on 17 kinds); a
    dashboard that saves a finished task meanwhile must not see it put back to running."""
    task = sim.add_task("text2video", queue_seconds=0, run_seconds=1000)
    assert main(["add", "--gateway", "native", task.task_id]) == 0
    importing = WatchList(import_env)
    importing.load()  # what the import command read before its walk
    dashboard = WatchList(import_env)
    (entry,) = dashboard.load()
    now = utcnow()
    entry.snapshot = TaskSnapshot(
        task.task_id, "text2video", Status.SUCCEEDED, "succeed", 100.0, (), "", None,
        None, now, now,
    )  # fmt: skip
    dashboard.update([entry])
    config = load_config()
    async with Fetcher(config) as fetcher:
        summary = await import_from_gateway(
            fetcher, config.gateway("native"), importing, kinds=["text2video"]
        )
    (after,) = WatchList(import_env).load()
    assert after.snapshot is not None and after.snapshot.status is Status.SUCCEEDED
    assert summary.merged == 0


RAW = ("\x1b", "\x07", "\x9b", "\x9d", "\u202e", "\u200b", "\U000e0041", "\x00", "\x7f")


def test_hostile_text_in_listed_tasks_reaches_no_output_raw(
    import_env: Path,
    sim: Simulator,
    sim_clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim.add_task(
        "text2video", outcome="fail", queue_seconds=0, run_seconds=1,
        fail_reason=HOSTILE_TEXT, external_task_id=HOSTILE_TEXT, model=HOSTILE_TEXT,
        final_unit_deduction="1e308",
    )  # fmt: skip
    sim.add_task("image-generations", queue_seconds=0, run_seconds=1, model="[@click=app.quit]")
    sim_clock.advance(5)
    code, summary, text = run("--kind", "t2v", "--kind", "img")
    assert (code, summary["new"]) == (0, 2)
    for argv in (["ls", "--json"], ["ls"], ["watch", "--once", "--json"], ["watch", "--once"]):
        out = io.StringIO()
        main(argv, out=out)
        text += out.getvalue()
    text += "".join(capsys.readouterr())
    text += import_env.read_text()
    assert not [c for c in RAW if c in text]


def test_secrets_quoted_in_a_task_log_record_reach_no_output_nor_the_watch_list(
    import_env: Path,
    sim: Simulator,
    sim_clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    quoted = f"Authorization: Bearer {ACCESS_TOKEN} and {TOKEN}"
    sim.add_task(
        "image2video", outcome="fail", queue_seconds=0, run_seconds=1, fail_reason=quoted,
        external_task_id=f"x-{ACCESS_TOKEN}", model=f"kling-{TOKEN}",
    )  # fmt: skip
    sim_clock.advance(5)
    code, summary, text = run("--gateway", "relay")
    assert (code, summary["new"]) == (0, 1)
    for argv in (["ls", "--json"], ["ls"]):
        out = io.StringIO()
        main(argv, out=out)
        text += out.getvalue()
    text += "".join(capsys.readouterr()) + import_env.read_text()
    assert ACCESS_TOKEN not in text and TOKEN not in text
    assert "***" in text


def test_a_task_watched_under_the_wrong_kind_is_named_by_the_import(
    import_env: Path,
    sim: Simulator,
) -> None:
    """The native API answers a query on another kind's path with "not found": a task an
    operator added as text2video that the gateway lists as omni-video is said so."""
    task = sim.add_task("omni-video", queue_seconds=100)
    assert main(["add", "--gateway", "native", "--kind", "t2v", task.task_id]) == 0
    code, summary, _ = run("--kind", "t2v", "--kind", "omni")
    assert (code, summary["new"], summary["already_watched"]) == (0, 0, 1)
    assert summary["problems"] == [
        f"{task.task_id} is watched as text2video but listed as omni-video: remove it and "
        "add it again with --kind omni-video"
    ]


async def test_one_garbled_list_page_does_not_turn_list_refresh_off_for_good(
    tmp_path: Path, sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    ids = [sim.add_task("text2video", queue_seconds=0, run_seconds=100).task_id for _ in range(8)]
    sim.inject(Fault.INVALID_JSON, count=1, lists=True)  # one garbled answer
    poller, _store, events = make(
        tmp_path, app_config, [watch(i, "text2video", "native") for i in ids]
    )

    def seen() -> set[str]:
        return {e.entry.task_id for e in events if isinstance(e, PollUpdate)}

    await run_until(poller, lambda: seen() >= set(ids))
    sim.reset_log()
    events.clear()
    sim_clock.advance(60)
    await run_until(poller, lambda: seen() >= set(ids))
    singles = [t for _, t in sim.requests if "pageNum=" not in t]
    assert singles == []  # the next cycle reads the list again
