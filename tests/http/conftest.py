"""A real simulator on 127.0.0.1 with a hand-driven clock, and configs that point at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from kling_tui.auth import JwtSigner, Secret, StaticToken
from kling_tui.config import AppConfig, GatewayConfig, PollConfig
from kling_tui.simulator import Simulator

TOKEN = "test-token-ABCDEF0123456789"
ACCESS_KEY = "test-ak"
SECRET_KEY = "test-sk-0123456789"


@dataclass
class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def sim_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(sim_clock: FakeClock) -> Iterator[Simulator]:
    simulator = Simulator(
        tokens=(TOKEN,),
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        clock=sim_clock,
        retry_after=0.05,
        slow_seconds=0.6,
    )
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


def gateways_for(base_url: str, *, timeout: float = 2.0, retries: int = 2) -> AppConfig:
    relay = GatewayConfig(
        name="relay",
        base_url=base_url,
        path_prefix="/kling/v1",
        credential=StaticToken(Secret.from_raw(TOKEN, "KLING_API_KEY"), hint="KLING_API_KEY"),
        timeout=timeout,
        connect_timeout=1.0,
        max_concurrency=8,
        max_retries=retries,
    )
    native = GatewayConfig(
        name="native",
        base_url=base_url,
        path_prefix="/v1",
        credential=JwtSigner(
            Secret.from_raw(ACCESS_KEY, "KLING_ACCESS_KEY"),
            Secret.from_raw(SECRET_KEY, "KLING_SECRET_KEY"),
            hint="KLING_ACCESS_KEY/KLING_SECRET_KEY",
        ),
        timeout=timeout,
        connect_timeout=1.0,
        max_concurrency=8,
        max_retries=retries,
    )
    return AppConfig(
        gateways={"relay": relay, "native": native},
        default_gateway="relay",
        poll=PollConfig(interval=0.05, max_interval=0.2),
        path=None,
    )


@pytest.fixture
def app_config(sim: Simulator) -> AppConfig:
    return gateways_for(sim.base_url)
