"""A real simulator on 127.0.0.1 with a hand-driven clock, and configs that point at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kling_tui.config import AppConfig
from kling_tui.sim.simulator import Simulator
from tests.support.clock import FakeClock
from tests.support.sim import ACCESS_KEY, SECRET_KEY, TOKEN, gateways_for, running_simulator

# Re-exported for tests written against the old home of these names; new tests import
# them from tests.support.
__all__ = ["ACCESS_KEY", "SECRET_KEY", "TOKEN", "FakeClock", "gateways_for"]


@pytest.fixture
def sim_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(sim_clock: FakeClock) -> Iterator[Simulator]:
    with running_simulator(sim_clock) as simulator:
        yield simulator


@pytest.fixture
def app_config(sim: Simulator) -> AppConfig:
    return gateways_for(sim.base_url)
