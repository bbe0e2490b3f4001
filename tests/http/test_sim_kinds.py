"""Issue 12 over real sockets: every kind on the native prefix, the relay's refusal of kinds
it does not serve, relay ids with Kling's id inside, the relay's statuses and 24-hour timeout.

Each test drives the project's fetcher and normalizer against the simulator, so what is
checked is what the dashboard and the CLI will see.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kling_tui.cli import main
from kling_tui.config import AppConfig
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.kinds import KIND_SPECS, Kind, Media
from kling_tui.models import ErrorType, FetchError, Status, TaskSnapshot, WatchEntry, utcnow
from kling_tui.sim.simulator import (
    RELAY_TIMEOUT_SECONDS,
    STOCK_RELAY_KINDS,
    Fault,
    RelayRefusal,
    Simulator,
)
from tests.support.clock import FakeClock
from tests.support.sim import TOKEN, gateways_for, running_simulator

STOCK_REFUSED = [k for k in KIND_SPECS if not KIND_SPECS[k].stock_relay]


async def no_sleep(_: float) -> None:
    return None


def entry(task_id: str, kind: str, gateway: str) -> WatchEntry:
    return WatchEntry(task_id=task_id, kind=kind, gateway=gateway, added_at=utcnow())


async def fetch(config: AppConfig, task_id: str, kind: str, gateway: str) -> object:
    async with Fetcher(config, sleep=no_sleep) as fetcher:
        return await fetcher.fetch(entry(task_id, kind, gateway))


@pytest.fixture
def stock_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["404", "html200"])
def stock(request: pytest.FixtureRequest, stock_clock: FakeClock) -> Iterator[Simulator]:
    """A stock open-source relay (text2video, image2video), refusing others both ways."""
    refusal: RelayRefusal = request.param
    with running_simulator(
        stock_clock, relay_kinds=STOCK_RELAY_KINDS, relay_refusal=refusal
    ) as sim:
        yield sim
    assert sim.errors == []


# -- every kind on the native prefix ---------------------------------------------------------


@pytest.mark.parametrize("kind", list(Kind))
async def test_every_kind_on_the_native_prefix(
    sim: Simulator, sim_clock: FakeClock, app_config: AppConfig, kind: Kind
) -> None:
    spec = KIND_SPECS[kind]
    task = sim.add_task(
        kind.value, images=2, final_unit_deduction="12.5", watermark=True, model="kling-v2-6"
    )
    running = await fetch(app_config, task.task_id, kind.value, "native")
    assert isinstance(running, TaskSnapshot), running
    assert running.status is Status.SUBMITTED and not running.result_urls
    sim_clock.advance(10)
    done = await fetch(app_config, task.task_id, kind.value, "native")
    assert isinstance(done, TaskSnapshot), done
    assert done.status is Status.SUCCEEDED
    assert done.kind == kind.value
    assert done.final_unit_deduction == 12.5
    assert done.kling_task_id is None
    assert sim.requests[-1][1].startswith(f"/v1/{spec.path}/")
    if spec.media is Media.IMAGE:
        assert done.videos == ()
        assert [i.index for i in done.images] == [0, 1]
        assert all(i.watermark_url and i.watermark_url.endswith("-wm.png") for i in done.images)
    else:
        assert done.images == () and len(done.videos) == 1
        assert done.videos[0].watermark_url is not None
    if spec.has_parent:
        assert done.parent_video is not None and done.parent_video.duration == 5.0
    else:
        assert done.parent_video is None
    with httpx.Client(timeout=5.0) as client:  # every result URL is served, like a CDN
        for url in done.result_urls:
            assert client.get(url).status_code == 200


async def test_native_prefix_refuses_another_kinds_task(
    sim: Simulator, app_config: AppConfig
) -> None:
    task = sim.add_task("image-generations")
    result = await fetch(app_config, task.task_id, "omni-image", "native")
    assert isinstance(result, FetchError)
    assert result.type is ErrorType.NOT_FOUND
    assert result.message.startswith(f"task {task.task_id} not found on ")


# -- the relay prefix: served kinds and refused ones ----------------------------------------


@pytest.mark.parametrize("kind", STOCK_RELAY_KINDS)
async def test_stock_relay_serves_its_kinds(stock: Simulator, kind: str) -> None:
    task = stock.add_task(kind)
    result = await fetch(gateways_for(stock.base_url), task.task_id, kind, "relay")
    assert isinstance(result, TaskSnapshot), result


@pytest.mark.parametrize("kind", STOCK_REFUSED)
async def test_stock_relay_does_not_serve_the_others(stock: Simulator, kind: Kind) -> None:
    task = stock.add_task(kind.value)
    result = await fetch(gateways_for(stock.base_url), task.task_id, kind.value, "relay")
    assert isinstance(result, FetchError), result
    assert f"this gateway does not serve {KIND_SPECS[kind].title}" in result.message
    assert "not found on" not in result.message
    # 404: the route is missing for good (stop polling); HTML 200: could be a passing proxy
    # page, so it stays a bad answer and is polled again with backoff (ERROR_POLICY).
    expected = ErrorType.NOT_FOUND if stock.relay_refusal == "404" else ErrorType.BAD_RESPONSE
    assert result.type is expected


async def test_unknown_id_on_a_served_kind_is_still_task_not_found(stock: Simulator) -> None:
    result = await fetch(gateways_for(stock.base_url), "1234567890123456789", "text2video", "relay")
    assert isinstance(result, FetchError)
    assert result.type is ErrorType.NOT_FOUND
    assert result.code == "task_not_exist"
    assert "does not serve" not in result.message


@pytest.mark.parametrize("fault", [Fault.ROUTE_404, Fault.HTML_200])
async def test_refusal_faults(sim: Simulator, app_config: AppConfig, fault: Fault) -> None:
    task = sim.add_task("text2video")
    sim.inject(fault)
    result = await fetch(app_config, task.task_id, "text2video", "relay")
    assert isinstance(result, FetchError)
    assert "this gateway does not serve text to video" in result.message


def test_refusal_comes_before_auth(stock: Simulator) -> None:
    """A relay's router refuses a path it does not route before it looks at the token."""
    answer = httpx.get(f"{stock.base_url}/kling/v1/videos/effects/1", timeout=5.0)
    assert answer.status_code == (404 if stock.relay_refusal == "404" else 200)


# -- relay ids, statuses, the 24-hour timeout ------------------------------------------------


async def test_relay_id_with_klings_id_inside(
    sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    task = sim.add_task("image2video", relay_id=True)
    assert task.relay_id is not None and re.fullmatch(r"task_[A-Za-z0-9]{32}", task.relay_id)
    sim_clock.advance(10)
    result = await fetch(app_config, task.relay_id, "image2video", "relay")
    assert isinstance(result, TaskSnapshot), result
    assert result.task_id == task.relay_id
    assert result.kling_task_id == task.task_id
    assert result.status is Status.SUCCEEDED and result.videos
    # Kling itself never heard of the relay's id
    native = await fetch(app_config, task.relay_id, "image2video", "native")
    assert isinstance(native, FetchError) and native.type is ErrorType.NOT_FOUND


@pytest.mark.parametrize(
    ("options", "word", "status"),
    [
        ({"not_start_seconds": 5}, "NOT_START", Status.SUBMITTED),
        ({"queue_seconds": 100}, "QUEUED", Status.SUBMITTED),
        ({"relay_status": "UNKNOWN"}, "UNKNOWN", Status.UNKNOWN),
    ],
)
async def test_relay_statuses(
    sim: Simulator,
    sim_clock: FakeClock,
    app_config: AppConfig,
    options: dict[str, object],
    word: str,
    status: Status,
) -> None:
    task = sim.add_task("text2video", **options)  # type: ignore[arg-type]
    sim_clock.advance(3)
    result = await fetch(app_config, task.task_id, "text2video", "relay")
    assert isinstance(result, TaskSnapshot), result
    assert (result.status_raw, result.status) == (word, status)
    assert not result.status.terminal  # UNKNOWN included: it keeps being polled


async def test_relay_24_hour_timeout(
    sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    task = sim.add_task("text2video", queue_seconds=10**6)  # Kling never picks it up
    sim_clock.advance(RELAY_TIMEOUT_SECONDS - 1)
    before = await fetch(app_config, task.task_id, "text2video", "relay")
    assert isinstance(before, TaskSnapshot) and before.status is Status.SUBMITTED
    sim_clock.advance(2)
    after = await fetch(app_config, task.task_id, "text2video", "relay")
    assert isinstance(after, TaskSnapshot), after
    assert after.status is Status.FAILED
    assert after.message == "timed out on the relay (refunded)"
    assert after.raw is not None and "任务超时（1440分钟）" in after.raw
    native = await fetch(app_config, task.task_id, "text2video", "native")
    assert isinstance(native, TaskSnapshot) and native.status is Status.SUBMITTED


async def test_failed_native_task_reason_is_never_succeed(
    sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    task = sim.add_task("omni-video", outcome="fail", fail_reason="bad prompt")
    sim_clock.advance(10)
    for gateway in ("native", "relay"):
        result = await fetch(app_config, task.task_id, "omni-video", gateway)
        if gateway == "relay":  # the default relay does not serve omni-video
            assert isinstance(result, FetchError)
            continue
        assert isinstance(result, TaskSnapshot)
        assert result.status is Status.FAILED and result.message == "bad prompt"


def test_token_is_not_needed_for_files(sim: Simulator) -> None:
    task = sim.add_task("image-generations", images=3)
    with httpx.Client(base_url=sim.base_url, timeout=5.0) as client:
        assert client.get(f"/files/{task.task_id}-2.png").content.startswith(b"\x89PNG")
        assert client.get(f"/files/{task.task_id}-9-wm.png").status_code == 200
        assert client.get("/files/nope-1.png").status_code == 404
        body = client.get(
            f"/v1/images/generations/{task.task_id}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert body.status_code == 200


# -- the headless commands on image tasks ----------------------------------------------------


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KLING_API_KEY", TOKEN)
    monkeypatch.setenv("KLING_TUI_WATCHLIST", str(tmp_path / "watch.toml"))


def test_status_table_and_json_for_an_image_task(
    cli_env: None, sim: Simulator, sim_clock: FakeClock
) -> None:
    task = sim.add_task("image-generations", images=2, final_unit_deduction="4", relay_id=True)
    sim_clock.advance(10)
    base = ("status", "--base-url", sim.base_url, "--path-prefix", "/v1", "--kind", "img")
    code, out = cli(*base, task.task_id)
    assert code == 0, out
    row = out.splitlines()[1]
    assert "succeeded" in row and "2 img" in row
    assert f"/files/{task.task_id}-0.png" in row  # the first image, like a video's URL
    code, out = cli(*base, "--json", task.task_id)
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert [i["index"] for i in record["images"]] == [0, 1]
    assert record["final_unit_deduction"] == 4.0
    assert record["videos"] == []


# -- the wire itself (independent of the normalizer) -----------------------------------------


def get_json(sim: Simulator, path: str) -> dict[str, object]:
    answer = httpx.get(
        sim.base_url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5.0
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert isinstance(body, dict)
    return body


def test_wire_shapes_of_the_new_fields(sim: Simulator, sim_clock: FakeClock) -> None:
    img = sim.add_task("omni-image", images=2, final_unit_deduction="3.5", watermark=True)
    lip = sim.add_task("advanced-lip-sync", relay_id="task_" + "k" * 32)
    sim.relay_kinds = frozenset({*sim.relay_kinds, "advanced-lip-sync"})
    stuck = sim.add_task("text2video", queue_seconds=10**6)
    sim_clock.advance(RELAY_TIMEOUT_SECONDS + 5)
    data = get_json(sim, f"/v1/images/omni-image/{img.task_id}")["data"]
    assert isinstance(data, dict)
    assert data["final_unit_deduction"] == "3.5"
    assert data["task_result"] == {
        "images": [
            {
                "index": n,
                "url": f"{sim.base_url}/files/{img.task_id}-{n}.png",
                "watermark_url": f"{sim.base_url}/files/{img.task_id}-{n}-wm.png",
            }
            for n in range(2)
        ]
    }
    record = get_json(sim, f"/kling/v1/videos/advanced-lip-sync/{lip.relay_id}")["data"]
    assert isinstance(record, dict)
    assert record["task_id"] == lip.relay_id
    inner = record["data"]["data"]  # type: ignore[index]
    assert inner["task_id"] == lip.task_id
    assert set(inner["task_info"]["parent_video"]) == {"id", "url", "duration"}
    timed_out = get_json(sim, f"/kling/v1/videos/text2video/{stuck.task_id}")["data"]
    assert isinstance(timed_out, dict)
    assert (timed_out["status"], timed_out["fail_reason"]) == ("FAILURE", "任务超时（1440分钟）")
    assert timed_out["data"]["data"]["task_status"] == "submitted"  # type: ignore[index]
