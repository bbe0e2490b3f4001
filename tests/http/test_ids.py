"""Issue 12 item 2 against the simulator: external ids in the path and as a query, and
``add`` / ``status`` / ``rm`` by each id form (Kling's, a relay's ``task_…``, external)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kling_tui.config import AppConfig
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.models import Image, Status, TaskSnapshot, Video, WatchEntry, utcnow
from kling_tui.sim.simulator import Simulator
from kling_tui.store.watchlist import WatchList
from tests.support.cli import records, run
from tests.support.clock import FakeClock
from tests.support.sim import TOKEN

RELAY_ID = "task_" + "Zq7x" * 8
EXTERNAL = "order:42+x=y"


async def _no_sleep(_: float) -> None:
    return None


def _gateway(config: AppConfig, name: str, form: str) -> AppConfig:
    gateways = dict(config.gateways)
    gateways[name] = replace(gateways[name], external_id=form)
    return replace(config, gateways=gateways)


@pytest.mark.parametrize("form", ["path", "query"])
@pytest.mark.parametrize("gateway", ["relay", "native"])
async def test_an_external_id_is_queried_in_the_path_or_as_a_query(
    sim: Simulator, app_config: AppConfig, gateway: str, form: str
) -> None:
    task = sim.add_task("image2video", external_task_id=EXTERNAL)
    entry = WatchEntry(EXTERNAL, "image2video", gateway, utcnow(), external=True)
    sim.reset_log()
    async with Fetcher(_gateway(app_config, gateway, form), sleep=_no_sleep) as fetcher:
        result = await fetcher.fetch(entry)
    assert isinstance(result, TaskSnapshot), result
    assert result.task_id == task.task_id  # the answer's id is Kling's
    assert result.external_task_id == EXTERNAL  # task_info echoes the caller's
    sent = sim.requests[-1][1]
    prefix = "/kling/v1" if gateway == "relay" else "/v1"
    if form == "path":
        assert sent == f"{prefix}/videos/image2video/order%3A42%2Bx%3Dy"
    else:
        assert sent == f"{prefix}/videos/image2video?external_task_id=order%3A42%2Bx%3Dy"


async def test_a_task_id_is_never_sent_as_a_query(sim: Simulator, app_config: AppConfig) -> None:
    """``external_id = "query"`` concerns external ids only."""
    task = sim.add_task()
    sim.reset_log()
    config = _gateway(app_config, "relay", "query")
    async with Fetcher(config, sleep=_no_sleep) as fetcher:
        result = await fetcher.fetch(WatchEntry(task.task_id, "text2video", "relay", utcnow()))
    assert isinstance(result, TaskSnapshot)
    assert sim.requests[-1][1] == f"/kling/v1/videos/text2video/{task.task_id}"


# -- the commands ---------------------------------------------------------------------------


@pytest.fixture
def watchlist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("KLING_API_KEY", TOKEN)
    path = tmp_path / "watch.toml"
    monkeypatch.setenv("KLING_TUI_WATCHLIST", str(path))
    return path


def _config_file(tmp_path: Path, sim: Simulator, form: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[gateways.sim]\nbase_url = "{sim.base_url}"\nexternal_id = "{form}"\n')
    return path


@pytest.mark.parametrize("form", ["path", "query"])
def test_add_status_rm_by_external_id(
    watchlist: Path,
    tmp_path: Path,
    sim: Simulator,
    sim_clock: FakeClock,
    form: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    task = sim.add_task(external_task_id="order-7", queue_seconds=0, run_seconds=1)
    sim_clock.advance(5)
    cfg = ("--config", str(_config_file(tmp_path, sim, form)))
    code, out = run("add", *cfg, "--external", "order-7")
    assert code == 0 and "added external id order-7 (text2video on sim)" in out
    assert "warning" not in capsys.readouterr().err  # external ids are free text
    [entry] = WatchList(watchlist).load()
    assert entry.external and entry.task_id == "order-7"
    assert "external = true" in watchlist.read_text()

    code, out = run("watch", *cfg, "--once", "--json")
    assert code == 0, out
    [record] = records(out)
    assert record["task_id"] == "order-7"  # the id the operator added
    assert record["ids"] == ["order-7", task.task_id]
    assert record["external"] is True and record["status"] == "succeeded"
    sent = [p for _, p in sim.requests if "order-7" in p]
    assert sent and all(("?external_task_id=" in p) == (form == "query") for p in sent)

    # status finds it by either id; the query goes out as the task is watched.
    for asked in ("order-7", task.task_id):
        sim.reset_log()
        code, out = run("status", *cfg, "--json", asked)
        assert code == 0, out
        assert records(out)[0]["status"] == "succeeded"
        assert "order-7" in sim.requests[-1][1]

    # The same task under its Kling id is refused, saying which watched task it is.
    code, out = run("add", *cfg, task.task_id)
    assert code == 0
    assert f"already watched: {task.task_id} is the Kling id of order-7 (text2video on sim)" in out
    assert len(WatchList(watchlist).load()) == 1

    code, out = run("rm", *cfg, task.task_id)
    assert code == 0 and "removed order-7" in out
    assert WatchList(watchlist).load() == []


@pytest.mark.parametrize("form", ["path", "query"])
def test_status_external_of_an_unwatched_task(
    watchlist: Path, tmp_path: Path, sim: Simulator, form: str
) -> None:
    task = sim.add_task("image2video", external_task_id="order-9")
    cfg = ("--config", str(_config_file(tmp_path, sim, form)))
    code, out = run("status", *cfg, "--kind", "i2v", "--external", "--json", "order-9")
    assert code == 0, out
    [record] = records(out)
    assert record["external_task_id"] == "order-9" and record["task_id"] == task.task_id
    assert ("?external_task_id=order-9" in sim.requests[-1][1]) == (form == "query")


def test_add_status_rm_by_relay_id_and_its_kling_id(
    watchlist: Path, sim: Simulator, sim_clock: FakeClock
) -> None:
    """A relay's ``task_…`` id: added, queried and removed by it; once the entry knows
    Kling's id (from an answer, kept in the file), ``status`` and ``rm`` take that too,
    and the task is not added again under it."""
    sim.add_task(task_id=RELAY_ID, queue_seconds=0, run_seconds=1)
    sim_clock.advance(5)
    base = ("--base-url", sim.base_url)
    assert run("add", *base, RELAY_ID)[0] == 0
    code, out = run("status", "--json", RELAY_ID)  # watched: its own gateway and kind
    assert code == 0 and records(out)[0]["status"] == "succeeded", out
    kling_id = "866889456698785798"
    store = WatchList(watchlist)
    [entry] = store.load()
    entry.snapshot = TaskSnapshot(
        RELAY_ID, "text2video", Status.IN_PROGRESS, "IN_PROGRESS", 30.0, (), "", None,
        None, None, datetime(2026, 11, 22, tzinfo=UTC), kling_task_id=kling_id,
    )  # fmt: skip
    store.update([entry])

    sim.reset_log()
    code, out = run("status", "--json", kling_id)
    assert code == 0, out
    assert sim.requests[-1][1] == f"/kling/v1/videos/text2video/{RELAY_ID}"
    code, out = run("add", *base, kling_id)
    assert f"already watched: {kling_id} is the Kling id of {RELAY_ID}" in out
    code, out = run("rm", kling_id)
    assert code == 0 and f"removed {RELAY_ID}" in out
    assert WatchList(watchlist).load() == []


def test_add_status_rm_by_kling_id(watchlist: Path, sim: Simulator) -> None:
    task = sim.add_task("image2video")
    assert run("add", "--base-url", sim.base_url, "--kind", "i2v", task.task_id)[0] == 0
    sim.reset_log()
    code, out = run("status", "--json", task.task_id)  # the watched task's kind, not t2v
    assert code == 0 and records(out)[0]["kind"] == "image2video", out
    assert sim.requests[-1][1] == f"/kling/v1/videos/image2video/{task.task_id}"
    assert run("rm", task.task_id)[0] == 0


def test_watch_once_reveals_one_task_added_under_two_ids(
    watchlist: Path,
    tmp_path: Path,
    sim: Simulator,
    sim_clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Added by external id and by Kling's id before either answer was known: the first
    poll names both, says so on stderr, and from then on the task is queried once."""
    task = sim.add_task(external_task_id="order-8", queue_seconds=100)
    cfg = ("--config", str(_config_file(tmp_path, sim, "query")))
    assert run("add", *cfg, "--external", "order-8")[0] == 0
    assert "added" in run("add", *cfg, task.task_id)[1]  # nothing links them yet
    capsys.readouterr()
    code, out = run("watch", *cfg, "--once", "--json")
    assert code == 0 and len(records(out)) == 2
    err = capsys.readouterr().err
    assert "are the same task (text2video on sim): it is polled once" in err
    sim.reset_log()
    code, out = run("watch", *cfg, "--once", "--json")
    assert code == 0
    assert {r["task_id"] for r in records(out)} == {"order-8", task.task_id}  # both rows
    assert all(r["status"] == "submitted" for r in records(out))
    assert len(sim.requests) == 1  # one task, one query


def test_the_trust_hint_of_an_external_task_says_external(
    app_config: AppConfig, tmp_path: Path
) -> None:
    from kling_tui.gateway.trust import TrustedOrigins

    fetcher = Fetcher(app_config, trusted=TrustedOrigins(tmp_path / "trusted.toml"))
    elsewhere = replace(app_config.gateways["relay"], base_url="http://127.0.0.1:9")
    hint = fetcher.credential_refusal(elsewhere, "order-1", "text2video", external=True)
    assert hint is not None and hint.endswith("--kind text2video --external order-1")


def test_wait_takes_any_id_of_a_watched_task(
    watchlist: Path, tmp_path: Path, sim: Simulator, sim_clock: FakeClock
) -> None:
    task = sim.add_task(external_task_id="order-5", queue_seconds=0, run_seconds=1)
    sim_clock.advance(5)
    cfg = ("--config", str(_config_file(tmp_path, sim, "path")))
    assert run("add", *cfg, "--external", "order-5")[0] == 0
    assert run("watch", *cfg, "--once")[0] == 0  # the answer names Kling's id
    code, out = run("wait", *cfg, "--timeout", "10", "--json", task.task_id)
    assert code == 0, out
    assert records(out)[-1]["task_id"] == "order-5"


def test_a_token_quoted_as_kling_id_is_redacted(app_config: AppConfig) -> None:
    """Kling's id is server text like the others: a hostile relay quoting the token there
    gets *** into the watch list, not the token."""
    relay = app_config.gateways["relay"]
    snap = TaskSnapshot(
        RELAY_ID, "text2video", Status.SUBMITTED, "QUEUED", None, (), "", None, None, None,
        utcnow(), kling_task_id=f"k-{TOKEN}",
    )  # fmt: skip
    scrubbed = Fetcher(app_config)._scrub(snap, relay)
    assert isinstance(scrubbed, TaskSnapshot)
    assert scrubbed.kling_task_id is not None and TOKEN not in scrubbed.kling_task_id


def test_a_token_quoted_in_any_result_url_is_redacted(app_config: AppConfig) -> None:
    """Images, watermark URLs, the parent video and the model are server text too."""
    relay = app_config.gateways["relay"]
    leak = f"https://cdn.example/{TOKEN}.png"
    snap = TaskSnapshot(
        RELAY_ID, "image-generations", Status.SUCCEEDED, "SUCCESS", 100.0,
        (Video("v", "https://cdn.example/v.mp4", 5.0, leak),), "", None, None, None, utcnow(),
        images=(Image(0, leak, leak),), parent_video=Video(TOKEN, leak, 1.0, leak),
        model=f"m-{TOKEN}",
    )  # fmt: skip
    scrubbed = Fetcher(app_config)._scrub(snap, relay)
    assert isinstance(scrubbed, TaskSnapshot)
    assert TOKEN not in repr(scrubbed)
    assert scrubbed.images[0].index == 0 and scrubbed.videos[0].duration == 5.0
    assert scrubbed.parent_video is not None and scrubbed.parent_video.duration == 1.0
