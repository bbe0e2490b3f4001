"""A real simulator on 127.0.0.1 with a hand-driven clock, and configs that point at it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from kling_tui.config import AppConfig
from kling_tui.sim.simulator import SimTask, Simulator
from kling_tui.store.watchlist import WatchList
from tests.support.clock import FakeClock
from tests.support.downloads import watched
from tests.support.sim import (
    ACCESS_KEY,
    ACCESS_TOKEN,
    SECRET_KEY,
    TOKEN,
    gateways_for,
    running_simulator,
)

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


@pytest.fixture
def done_task(sim: Simulator, sim_clock: FakeClock) -> SimTask:
    """A text2video task the simulator has finished."""
    task = sim.add_task("text2video", queue_seconds=0, run_seconds=1)
    sim_clock.advance(5)
    return task


@pytest.fixture
def watched_task(
    sim: Simulator, app_config: AppConfig, store: WatchList, done_task: SimTask
) -> SimTask:
    """The finished task, watched in ``store`` and polled once: where a download starts."""
    asyncio.run(watched(sim, app_config, [done_task], store))
    return done_task


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The (existing, empty) folder downloads go to."""
    out = tmp_path / "out"
    out.mkdir()
    return out


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, watchlist_path: Path, sim: Simulator) -> Path:
    """The CLI's environment: the simulator's token and a fresh watch list (its path: the
    ``store`` fixture's file)."""
    monkeypatch.setenv("KLING_API_KEY", TOKEN)
    monkeypatch.setenv("KLING_TUI_WATCHLIST", str(watchlist_path))
    return watchlist_path


@pytest.fixture
def import_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, watchlist_path: Path, sim: Simulator
) -> Path:
    """A config with a native gateway and a relay whose task log is read; the watch list."""
    config = tmp_path / "config.toml"
    config.write_text(
        'default_gateway = "native"\n'
        "[gateways.native]\n"
        f'base_url = "{sim.base_url}"\n'
        'access_key_env = "T_AK"\nsecret_key_env = "T_SK"\nmax_retries = 2\n'
        "max_concurrency = 1\n"  # one kind at a time: a fault hits the first kind's page
        "[gateways.relay]\n"
        f'base_url = "{sim.base_url}"\n'
        'token_env = "T_TOKEN"\ntask_log = true\naccess_token_env = "T_ACCESS"\nuser_id = 1\n'
    )
    config.chmod(0o600)
    monkeypatch.setenv("KLING_TUI_CONFIG", str(config))
    for var, value in (
        ("T_AK", ACCESS_KEY),
        ("T_SK", SECRET_KEY),
        ("T_TOKEN", TOKEN),
        ("T_ACCESS", ACCESS_TOKEN),
    ):
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("KLING_TUI_WATCHLIST", str(watchlist_path))
    return watchlist_path
