"""A real Poller and Fetcher over a fresh watch list, and running its loop until something
holds: shared by the http suites that poll the simulator (test_poller, test_list_refresh,
test_review_issue12, test_trust_output), so that none imports another's helpers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kling_tui.config import AppConfig
from kling_tui.gateway.fetcher import Fetcher, RetryPolicy
from kling_tui.models import WatchEntry, utcnow
from kling_tui.polling.poller import Poller, PollerEvent
from kling_tui.polling.schedule import PollPolicy
from kling_tui.store.watchlist import WatchList

FAST = PollPolicy(interval=0.05, max_interval=0.2)
"""Polls every 50 ms, backs off to 200 ms at most: a test sees many rounds in a second."""


def make(
    tmp_path: Path, config: AppConfig, entries: list[WatchEntry], **kw: object
) -> tuple[Poller, WatchList, list[PollerEvent]]:
    """A poller on ``FAST`` over a new watch list of ``entries``, with quick retries and
    saves; ``kw`` goes to ``Poller``. The events it publishes are collected in order."""
    store = WatchList(tmp_path / "watchlist.toml")
    store.load()
    store.add(entries)
    fetcher = Fetcher(config, retry=RetryPolicy(base_delay=0.01, max_delay=0.02))
    kw.setdefault("save_interval", 0.1)
    kw.setdefault("reload_interval", 0.1)
    poller = Poller(store, fetcher, FAST, **kw)  # type: ignore[arg-type]
    events: list[PollerEvent] = []
    poller.subscribe(events.append)
    return poller, store, events


def watch(task_id: str, kind: str = "text2video", gateway: str = "relay") -> WatchEntry:
    """A task added to the watch list now (on the relay gateway by default)."""
    return WatchEntry(task_id=task_id, kind=kind, gateway=gateway, added_at=utcnow())


async def run_until(poller: Poller, condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Run the loop until ``condition()`` holds. It is checked after every event the poller
    publishes (each poll result, list change, notice), not on a timer: the timeout is only a
    bound for failure."""
    done = asyncio.Event()

    def check(_event: object = None) -> None:
        if condition():
            done.set()

    unsubscribe = poller.subscribe(check)
    runner = asyncio.create_task(poller.run())
    try:
        check()
        async with asyncio.timeout(timeout):
            await done.wait()
    finally:
        unsubscribe()
        poller.stop()
        await runner
