"""The account's resource packs through the one fetcher, against the simulator's
``/account/costs``: the deterministic packs, the origin rule, a 429 and a garbled answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from kling_tui.config import AppConfig
from kling_tui.costs import PackCache, PackReport
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.models import ErrorType
from kling_tui.sim.costs import DEFAULT_PACKS
from kling_tui.sim.simulator import Fault, Simulator
from tests.support.sim import ACCESS_KEY, SECRET_KEY, TOKEN


async def no_sleep(_: float) -> None:
    return None


def report_of(gateway: str, page) -> PackReport:  # type: ignore[no-untyped-def]
    error = page.error.message if page.error is not None else None
    return PackReport(gateway, page.packs, datetime(2026, 12, 2, tzinfo=UTC), error)


async def test_the_packs_are_read_with_names_remaining_and_expiry(
    sim: Simulator, app_config: AppConfig
) -> None:
    async with Fetcher(app_config, sleep=no_sleep) as fetcher:
        page = await fetcher.fetch_costs(app_config.gateway("native"))
    assert page.error is None and page.unreadable == 0
    assert [p.name for p in page.packs] == [row[0] for row in DEFAULT_PACKS]
    first = page.packs[0]
    assert (first.total, first.remaining, first.status) == (3000.0, 1835.5, "online")
    assert first.expires_at is not None and first.purchased_at is not None
    assert (first.expires_at - first.purchased_at).days == 90
    method, path = sim.requests[-1]
    assert method == "GET" and path.startswith("/account/costs?start_time=")
    assert "&end_time=" in path
    # the bearer sent is the gateway's JWT, never printed back
    assert all(s not in repr(page) for s in (TOKEN, ACCESS_KEY, SECRET_KEY))


async def test_a_relay_is_not_asked_for_packs(sim: Simulator, app_config: AppConfig) -> None:
    before = sim.request_count
    async with Fetcher(app_config, sleep=no_sleep) as fetcher:
        page = await fetcher.fetch_costs(app_config.gateway("relay"))
    assert page.error is not None and "relay" in page.error.message
    assert sim.request_count == before


async def test_the_token_goes_only_to_the_configured_origin(
    sim: Simulator, app_config: AppConfig
) -> None:
    native = app_config.gateway("native")
    moved = replace(native, base_url=sim.base_url.replace("127.0.0.1", "localhost"))
    before = sim.request_count
    async with Fetcher(app_config, sleep=no_sleep) as fetcher:
        page = await fetcher.fetch_costs(moved)
    assert page.error is not None and page.error.type is ErrorType.AUTH
    assert sim.request_count == before


async def test_a_429_and_a_garbled_answer_say_so_and_lose_nothing(
    sim: Simulator, app_config: AppConfig
) -> None:
    native = app_config.gateway("native")
    cache = PackCache()
    async with Fetcher(app_config, sleep=no_sleep) as fetcher:
        cache.store(report_of("native", await fetcher.fetch_costs(native)))
        sim.inject(Fault.RATE_LIMITED, count=-1, lists=True)
        limited = await fetcher.fetch_costs(native)
        sim.clear_faults()
        sim.inject(Fault.INVALID_JSON, count=-1, lists=True)
        garbled = await fetcher.fetch_costs(native)
        sim.clear_faults()
    assert limited.error is not None and limited.error.type is ErrorType.RATE_LIMITED
    assert "rate" in limited.error.message.lower() or "429" in limited.error.message
    assert garbled.error is not None and garbled.error.type is ErrorType.BAD_RESPONSE
    assert "JSON" in garbled.error.message
    for page in (limited, garbled):
        cache.store(report_of("native", page))
        kept = cache.reports["native"]
        assert kept.error == page.error.message  # type: ignore[union-attr]
        assert [p.name for p in kept.packs] == [row[0] for row in DEFAULT_PACKS]
