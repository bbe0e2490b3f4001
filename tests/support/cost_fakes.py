"""Deterministic tasks with costs, a native config with a slot limit and a fetcher that
answers ``/account/costs``: shared by the pilot and snapshot tests of the Costs screen."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from kling_tui.config import AppConfig
from kling_tui.costs import ResourcePack
from kling_tui.gateway.costs import CostsPage
from kling_tui.models import Status, WatchEntry

from .ui_fakes import NOW, FakeFetcher, entry, make_config


def cost_entries() -> list[WatchEntry]:
    """Three priced successes (2.5 units each), two submitted, one failure."""
    done = [
        entry(
            f"80000000000000000{n}",
            Status.SUCCEEDED,
            updated_ago=600 * (n + 1),
            created_ago=600 * (n + 1) + 120 * (n + 2),
        )
        for n in range(3)
    ]
    priced = []
    for e in done:
        assert e.snapshot is not None
        snap = replace(e.snapshot, final_unit_deduction=2.5, model="kling-v2-1")
        priced.append(replace(e, snapshot=snap))
    busy = [
        entry(f"81000000000000000{n}", Status.SUBMITTED, created_ago=90 * (n + 1)) for n in range(2)
    ]
    failed = [entry("820000000000000000", Status.FAILED, updated_ago=60)]
    return priced + busy + failed


PACKS = (
    ResourcePack(
        "Video [b]Pack[/b]",
        "p1",
        "decreasing_total",
        3000,
        1835.5,
        NOW - timedelta(days=20),
        NOW - timedelta(days=20),
        NOW + timedelta(days=70),
        "online",
    ),
    ResourcePack(
        "Monthly Trial 100",
        "p2",
        "constant_period",
        100,
        0,
        NOW - timedelta(days=31),
        NOW - timedelta(days=31),
        NOW - timedelta(days=1),
        "runOut",
    ),
)
"""A pack name with markup in it: it must show as written."""


class PackFetcher(FakeFetcher):
    """A fake fetcher that also answers the account's packs (and counts the calls)."""

    def __init__(self) -> None:
        super().__init__()
        self.cost_calls = 0

    async def fetch_costs(self, gateway: object) -> CostsPage:
        self.cost_calls += 1
        return CostsPage(PACKS)


def native_config(limit: int | None = 2) -> AppConfig:
    """One native gateway (``/v1``: it has packs) named ``main``, ``limit`` task slots."""
    config = make_config("main")
    gateway = replace(config.gateways["main"], path_prefix="/v1", concurrency_limit=limit)
    return replace(config, gateways={"main": gateway})
