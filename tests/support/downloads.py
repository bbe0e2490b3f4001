"""Downloads against the real simulator: watch tasks, run the downloader, the bytes expected.

Shared by every download suite (tests/http/test_downloads*.py) so that no test module
imports another's helpers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from kling_tui.config import AppConfig
from kling_tui.downloads.manager import Downloader, DownloadProgress, DownloadResult
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.models import WatchEntry, utcnow
from kling_tui.sim.files import FileFault
from kling_tui.sim.simulator import SimTask, Simulator
from kling_tui.store.watchlist import WatchList


async def watched(
    sim: Simulator, config: AppConfig, tasks: list[SimTask], store: WatchList
) -> list[WatchEntry]:
    """The tasks watched on the relay gateway, each polled once (finished)."""
    entries = [
        WatchEntry(t.task_id, t.kind, "relay", utcnow(), label=f"clip {i}")
        for i, t in enumerate(tasks)
    ]
    store.add(entries)
    async with Fetcher(config) as fetcher:
        for entry in store.entries:
            entry.snapshot = await fetcher.fetch(entry)  # type: ignore[assignment]
    store.update(store.entries)
    return store.entries


def download(
    config: AppConfig, store: WatchList, folder: Path, entries=None, **options
) -> tuple[list[DownloadResult], list[DownloadProgress]]:
    """One downloader run over the store's entries (or ``entries``): results and progress."""
    seen: list[DownloadProgress] = []

    async def go() -> list[DownloadResult]:
        async with Fetcher(config) as fetcher:
            async with Downloader(
                config.download, fetcher=fetcher, store=store, folder=folder, **options
            ) as downloader:
                return await downloader.run(
                    store.entries if entries is None else entries, seen.append
                )

    return asyncio.run(go()), seen


def file_name(task: SimTask) -> str:
    """The name the default template gives the first video of a task ``watched`` first
    (its label is ``clip 0``)."""
    return f"clip 0-{task.task_id}-0.mp4"


def expect(sim: Simulator, task: SimTask) -> bytes:
    """The bytes the simulator serves for the task's video."""
    return sim.files.content(f"{task.task_id}.mp4")


def assert_downloaded(sim: Simulator, task: SimTask, result: DownloadResult) -> None:
    """The run finished the task's file, and the file holds the simulator's bytes whole."""
    assert result.state == "done", result.message
    assert Path(result.path).read_bytes() == expect(sim, task)


def download_past(
    fault: FileFault,
    sim: Simulator,
    config: AppConfig,
    store: WatchList,
    task: SimTask,
    folder: Path,
) -> DownloadResult:
    """The task's download when the first request for its file meets ``fault``."""
    sim.files.inject(fault, task_id=task.task_id)
    results, _ = download(config, store, folder)
    (result,) = results
    return result
