"""Fixtures for driving ``KlingApp`` with the real Poller and a fake fetcher."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from kling_tui.models import WatchEntry
from kling_tui.ui.app import KlingApp
from tests.support.ui_fakes import NOW, FakeFetcher, Opener, make_config, make_poller, mixed_entries


@pytest.fixture(autouse=True)
def _no_real_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Belt and braces: if any path reached webbrowser, fail instead of launching one."""

    def refuse(*_args: Any, **_kwargs: Any) -> bool:
        raise AssertionError("a test tried to start a real browser")

    monkeypatch.setattr("webbrowser.open", refuse)
    monkeypatch.setattr("kling_tui.ui.browser.open_in_browser", refuse)


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., KlingApp]:
    def build(
        entries: Iterable[WatchEntry] | None = None,
        *,
        fetcher: FakeFetcher | None = None,
        gateways: tuple[str, ...] = ("main",),
        bell: bool = False,
        config_path: Path | None = None,
        start_polling: bool = False,
        opener: Opener | None = None,
        **kwargs: Any,
    ) -> KlingApp:
        poller = make_poller(tmp_path, mixed_entries() if entries is None else entries, fetcher)
        config = make_config(*gateways, path=config_path, bell=bell)
        return KlingApp(
            poller,
            config,
            now=lambda: NOW,
            start_polling=start_polling,
            open_browser=opener or Opener(),
            tick_interval=0,
            **kwargs,
        )

    return build
