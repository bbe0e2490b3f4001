"""List pages through the one fetcher, against the simulator's native list endpoints."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from kling_tui.config import AppConfig
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.gateway.listing import is_native, list_url, lists_tasks
from kling_tui.kinds import KIND_SPECS
from kling_tui.models import ErrorType, Status
from kling_tui.sim.auth import sign_jwt
from kling_tui.sim.simulator import Fault, Simulator
from tests.support.clock import FakeClock
from tests.support.sim import ACCESS_KEY, SECRET_KEY, TOKEN


async def no_sleep(_: float) -> None:
    return None


def fetcher_for(config: AppConfig, **kw: object) -> Fetcher:
    kw.setdefault("sleep", no_sleep)
    return Fetcher(config, **kw)  # type: ignore[arg-type]


def add_tasks(sim: Simulator, clock: FakeClock, kind: str, n: int) -> list[str]:
    """``n`` tasks of ``kind``, one second apart; their ids oldest first."""
    ids = []
    for _ in range(n):
        ids.append(sim.add_task(kind, queue_seconds=100, run_seconds=100).task_id)
        clock.advance(1)
    return ids


@pytest.mark.parametrize("kind", [k.value for k in KIND_SPECS])
async def test_every_kind_lists_newest_first_page_by_page(
    sim: Simulator, sim_clock: FakeClock, app_config: AppConfig, kind: str
) -> None:
    other = next(k.value for k in KIND_SPECS if k.value != kind)
    ids = add_tasks(sim, sim_clock, kind, 5)
    add_tasks(sim, sim_clock, other, 2)  # another kind's tasks are not on this list
    native = app_config.gateway("native")
    async with fetcher_for(app_config) as fetcher:
        pages = [
            await fetcher.fetch_page(native, kind, page_num=n, page_size=2) for n in (1, 2, 3, 4)
        ]
    assert all(p.error is None and p.unreadable == 0 for p in pages), pages
    listed = [s.task_id for p in pages for s in p.snapshots]
    assert listed == ids[::-1]
    assert all(s.kind == kind and s.status is Status.SUBMITTED for p in pages for s in p.snapshots)
    assert [p.full for p in pages] == [True, True, False, False]
    assert sim.list_requests == 4


async def test_a_list_item_is_the_same_task_object_as_the_single_query(
    sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    done = sim.add_task("image2video", queue_seconds=1, run_seconds=2, external_task_id="o-1")
    failed = sim.add_task("image2video", outcome="fail", queue_seconds=1, run_seconds=2)
    running = sim.add_task("image2video", queue_seconds=1, run_seconds=50)
    sim_clock.advance(10)
    native = app_config.gateway("native")
    async with fetcher_for(app_config) as fetcher:
        page = await fetcher.fetch_page(native, "image2video")
        by_id = {s.task_id: s for s in page.snapshots}
        for task in (done, failed, running):
            single = await fetcher.fetch_id(task.task_id, "image2video", native)
            listed = by_id[task.task_id]
            assert (listed.status, listed.videos, listed.message, listed.external_task_id) == (
                single.status,  # type: ignore[union-attr]
                single.videos,  # type: ignore[union-attr]
                single.message,  # type: ignore[union-attr]
                single.external_task_id,  # type: ignore[union-attr]
            )
    assert by_id[done.task_id].status is Status.SUCCEEDED and by_id[done.task_id].videos
    assert by_id[failed.task_id].status is Status.FAILED
    assert by_id[running.task_id].status is Status.IN_PROGRESS


def test_the_simulator_refuses_page_values_out_of_range_with_1201(sim: Simulator) -> None:
    headers = {"Authorization": f"Bearer {sign_jwt(ACCESS_KEY, SECRET_KEY)}"}
    url = f"{sim.base_url}/v1/videos/text2video"
    for query in (
        "pageNum=0&pageSize=30",
        "pageNum=1001&pageSize=30",
        "pageNum=1&pageSize=0",
        "pageNum=1&pageSize=501",
        "pageNum=x&pageSize=30",
        "pageNum=1&pageSize=-5",
    ):
        answer = httpx.get(f"{url}?{query}", headers=headers)
        assert answer.status_code == 400, query
        assert answer.json()["code"] == 1201
    for query in ("", "pageNum=1000&pageSize=500", "pageNum=1&pageSize=1"):
        answer = httpx.get(f"{url}?{query}", headers=headers)
        assert answer.status_code == 200 and answer.json()["data"] == [], query
    # the list needs the same credential as a single query
    assert httpx.get(url).status_code == 401


def test_the_fetcher_refuses_page_values_out_of_range_before_sending(
    app_config: AppConfig,
) -> None:
    native = app_config.gateway("native")
    assert list_url(native, "avatar-image2video", 3, 500).endswith(
        "/v1/videos/avatar/image2video?pageNum=3&pageSize=500"
    )
    for num, size in ((0, 1), (1001, 1), (1, 0), (1, 501), (True, 1)):
        with pytest.raises(ValueError):
            list_url(native, "text2video", num, size)
    with pytest.raises(ValueError):
        list_url(native, "no-such-kind", 1, 1)


async def test_out_of_range_paging_is_an_error_page_and_sends_nothing(
    sim: Simulator, app_config: AppConfig
) -> None:
    async with fetcher_for(app_config) as fetcher:
        page = await fetcher.fetch_page(app_config.gateway("native"), "text2video", page_size=501)
    assert page.error is not None and "pageSize" in page.error.message
    assert sim.request_count == 0


async def test_a_relay_has_no_list_endpoint(
    sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    add_tasks(sim, sim_clock, "text2video", 2)
    relay = app_config.gateway("relay")
    assert not is_native(relay) and not lists_tasks(relay)
    assert lists_tasks(app_config.gateway("native"))
    assert not lists_tasks(replace(app_config.gateway("native"), list_refresh=False))
    assert not lists_tasks(replace(relay, list_refresh=True))  # never a relay
    async with fetcher_for(app_config) as fetcher:
        page = await fetcher.fetch_page(relay, "text2video")
    assert page.error is not None and page.error.type is ErrorType.BAD_RESPONSE
    assert "no list endpoint" in page.error.message
    assert sim.list_requests == 0


async def test_a_short_rate_limit_on_a_list_is_waited_out(
    sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    ids = add_tasks(sim, sim_clock, "text2video", 3)
    sim.inject(Fault.RATE_LIMITED, count=2, lists=True)
    async with fetcher_for(app_config) as fetcher:
        task = await fetcher.fetch_id(ids[0], "text2video", app_config.gateway("native"))
        assert task.status is Status.SUBMITTED  # type: ignore[union-attr]  # not a list: no fault
        page = await fetcher.fetch_page(app_config.gateway("native"), "text2video")
    assert page.error is None and len(page.snapshots) == 3
    assert sim.list_requests == 3  # two 429 (code 1302), then the page


async def test_a_long_rate_limit_on_a_list_goes_back_to_the_caller(
    sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    add_tasks(sim, sim_clock, "text2video", 1)
    sim.retry_after = 30.0  # more than one fetch waits out itself: the scheduler's business
    sim.inject(Fault.RATE_LIMITED, count=-1, lists=True)
    async with fetcher_for(app_config) as fetcher:
        page = await fetcher.fetch_page(app_config.gateway("native"), "text2video")
    assert page.error is not None and page.error.type is ErrorType.RATE_LIMITED
    assert page.error.code == "1302" and page.error.retry_after == pytest.approx(30.0)
    assert sim.list_requests == 1


async def test_a_list_answer_past_the_size_cap_is_refused(
    sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    add_tasks(sim, sim_clock, "text2video", 40)
    async with fetcher_for(app_config, max_list_body=4096) as fetcher:
        page = await fetcher.fetch_page(app_config.gateway("native"), "text2video")
    assert page.error is not None and "larger than 4 KiB" in page.error.message


async def test_a_list_error_that_quotes_the_token_is_redacted(
    sim: Simulator, app_config: AppConfig
) -> None:
    sim.inject(Fault.REFLECT_401, lists=True)
    async with fetcher_for(app_config) as fetcher:
        page = await fetcher.fetch_page(app_config.gateway("native"), "text2video")
    assert page.error is not None and page.error.type is ErrorType.AUTH
    assert sim.bearers
    for bearer in sim.bearers:
        assert bearer not in page.error.message
    assert SECRET_KEY not in page.error.message and TOKEN not in page.error.message


async def test_a_list_token_goes_only_to_the_gateways_origin(
    sim: Simulator, app_config: AppConfig
) -> None:
    elsewhere = replace(app_config.gateway("native"), base_url="http://127.0.0.2:9")
    no_token = replace(app_config.gateway("native"), credential=None)
    async with fetcher_for(app_config) as fetcher:
        moved = await fetcher.fetch_page(elsewhere, "text2video")
        missing = await fetcher.fetch_page(no_token, "text2video")
    assert moved.error is not None and moved.error.type is ErrorType.AUTH
    assert "is not sent to http://127.0.0.2:9" in moved.error.message
    assert missing.error is not None and "no token" in missing.error.message
    assert sim.request_count == 0


async def test_a_fault_for_single_queries_leaves_lists_alone_and_back(
    sim: Simulator, sim_clock: FakeClock, app_config: AppConfig
) -> None:
    ids = add_tasks(sim, sim_clock, "text2video", 2)
    native = app_config.gateway("native")
    sim.inject(Fault.SERVER_500, count=-1, lists=False)
    async with fetcher_for(app_config) as fetcher:
        page = await fetcher.fetch_page(native, "text2video")
        single = await fetcher.fetch_id(ids[0], "text2video", native)
        sim.clear_faults()
        sim.inject(Fault.HTML_200, count=-1)  # no filter: lists get it too
        html = await fetcher.fetch_page(native, "text2video")
    assert page.error is None and len(page.snapshots) == 2
    assert single.type is ErrorType.SERVER  # type: ignore[union-attr]
    assert html.error is not None and "HTML" in html.error.message
