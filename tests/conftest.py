"""Keep the developer's own config, watch list and themes out of every test."""

from __future__ import annotations

from pathlib import Path

import pytest

from kling_tui.store.watchlist import WatchList

# The shared helpers assert too (a row selected, a file downloaded whole): rewrite their
# asserts as in test modules, so that a failure there shows the values compared.
pytest.register_assert_rewrite("tests.support")

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path_factory.mktemp("home")
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    monkeypatch.setenv("HOME", str(home))
    for var in (
        "KLING_TUI_CONFIG",
        "KLING_TUI_WATCHLIST",
        "KLING_API_KEY",
        "KLING_ACCESS_KEY",
        "KLING_SECRET_KEY",
        "BROWSER",
    ):
        monkeypatch.delenv(var, raising=False)
    yield home


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def watchlist_path(tmp_path: Path) -> Path:
    """Where a test's watch list lives: the ``store`` fixture's file, and the one the CLI
    fixtures of tests/http (``env``, ``import_env``) point ``KLING_TUI_WATCHLIST`` at, so a
    command and the test read and write the same list."""
    return tmp_path / "watch.toml"


@pytest.fixture
def store(watchlist_path: Path) -> WatchList:
    """An empty watch list in the test's folder (at ``watchlist_path``), loaded."""
    s = WatchList(watchlist_path)
    s.load()
    return s


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run ``bench``-marked tests last: a minute of benchmarks must not delay every other
    result (``-m "not bench"`` leaves them out of the fast local loop)."""
    items.sort(key=lambda item: item.get_closest_marker("bench") is not None)
