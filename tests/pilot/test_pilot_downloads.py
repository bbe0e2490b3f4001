"""The dashboard's downloads on the real simulator: D, the row's progress then done, o.

The app runs with the real poller, fetcher, store and downloader against the embedded
simulator's result files; only the browser is a fake (``Opener``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kling_tui.config import AppConfig, DownloadConfig
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.models import WatchEntry, utcnow
from kling_tui.polling.poller import Poller
from kling_tui.sim.files import FileFault
from kling_tui.sim.simulator import SimTask, Simulator
from kling_tui.store.watchlist import WatchList
from kling_tui.ui.app import KlingApp
from tests.support.clock import FakeClock
from tests.support.sim import gateways_for, running_simulator
from tests.support.ui_fakes import Opener, wait_for


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with running_simulator(FakeClock()) as simulator:
        yield simulator


@pytest.fixture
def config(sim: Simulator, tmp_path: Path) -> AppConfig:
    return replace(gateways_for(sim.base_url), download=DownloadConfig(dir=tmp_path / "videos"))


def done_task(sim: Simulator) -> SimTask:
    task = sim.add_task("text2video", queue_seconds=0, run_seconds=1)
    sim.clock.advance(5)  # type: ignore[attr-defined]
    return task


async def watched_app(
    sim: Simulator, config: AppConfig, tmp_path: Path, task: SimTask, opener: Opener
) -> tuple[KlingApp, WatchEntry]:
    store = WatchList(tmp_path / "watch.toml")
    store.load()
    store.add([WatchEntry(task.task_id, task.kind, "relay", utcnow(), label="clip")])
    fetcher = Fetcher(config)
    entry = store.entries[0]
    entry.snapshot = await fetcher.fetch(entry)  # type: ignore[assignment]
    store.update(store.entries)
    poller = Poller(store, fetcher, entries=store.entries, save_interval=0.05)
    app = KlingApp(
        poller,
        config,
        start_polling=False,
        open_browser=opener,
        tick_interval=0,
        close_fetcher=True,
    )
    return app, store.entries[0]


async def test_d_downloads_the_task_the_row_shows_progress_then_done_and_o_opens_it(
    sim: Simulator, config: AppConfig, tmp_path: Path
) -> None:
    task = done_task(sim)
    sim.files.size = 1024 * 1024
    sim.files.inject(FileFault.SLOW, task_id=task.task_id)  # ~1.3 s: progress is seen
    opener = Opener()
    app, entry = await watched_app(sim, config, tmp_path, task, opener)
    key = str(entry.key)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.table.get_cell(key, "progress").plain.endswith("100%")
        await pilot.press("o")  # nothing saved yet: the link opens
        await wait_for(pilot, lambda: len(opener.urls) == 1)
        assert opener.urls[0].startswith("http://127.0.0.1")

        await pilot.press("D")
        seen: list[str] = []

        def moving() -> bool:
            seen.append(app.table.get_cell(key, "progress").plain)
            return seen[-1].startswith("↓") and seen[-1].endswith("%") and "100%" not in seen[-1]

        await wait_for(pilot, moving, timeout=5)
        assert "downloading" in app.detail.plain_text
        await wait_for(pilot, lambda: "saved" in app.table.get_cell(key, "progress").plain, 10)
        await pilot.pause()

        saved = Path(entry.local_files[0].path)
        assert saved.parent == tmp_path / "videos"
        assert saved.read_bytes() == sim.files.content(f"{task.task_id}.mp4")
        assert entry.download_error is None
        assert f"saved\t{saved}" in app.detail.plain_text
        # recorded in the watch list itself, not only on the row
        again = WatchList(tmp_path / "watch.toml")
        again.load()
        assert [f.path for f in again.entries[0].local_files] == [str(saved)]

        await pilot.press("o")  # now the saved file opens, as file://, not the link
        await wait_for(pilot, lambda: len(opener.urls) == 2)
        assert opener.urls[1] == saved.resolve().as_uri()
        await app.shutdown_poller()


async def test_o_never_opens_a_recorded_file_outside_the_download_folder(
    sim: Simulator, config: AppConfig, tmp_path: Path
) -> None:
    from kling_tui.models import LocalFile

    task = done_task(sim)
    opener = Opener()
    app, entry = await watched_app(sim, config, tmp_path, task, opener)
    elsewhere = tmp_path / "secret.txt"
    elsewhere.write_text("not a video")
    entry.local_files = (LocalFile(str(elsewhere), 11, "0" * 64, "http://x/y", 0, "video"),)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("o")
        await wait_for(pilot, lambda: len(opener.urls) == 1)
        assert opener.urls[0].startswith("http://127.0.0.1")  # the link, not file://
        await app.shutdown_poller()


async def test_auto_downloads_a_task_as_it_succeeds(
    sim: Simulator, config: AppConfig, tmp_path: Path
) -> None:
    config = replace(config, download=replace(config.download, auto=True))
    task = sim.add_task("text2video", queue_seconds=0, run_seconds=30)
    store = WatchList(tmp_path / "watch.toml")
    store.load()
    store.add([WatchEntry(task.task_id, task.kind, "relay", utcnow(), label="auto")])
    poller = Poller(store, Fetcher(config), entries=store.entries, save_interval=0.05)
    app = KlingApp(
        poller,
        config,
        start_polling=False,
        open_browser=Opener(),
        tick_interval=0,
        close_fetcher=True,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await poller.poll_once()
        await pilot.pause()
        assert not store.entries[0].local_files
        sim.clock.advance(60)  # type: ignore[attr-defined]
        poller.refresh(None)
        await poller.poll_once()
        await wait_for(pilot, lambda: bool(store.entries[0].local_files), timeout=10)
        assert Path(store.entries[0].local_files[0].path).is_file()
        await app.shutdown_poller()


async def test_d_pressed_twice_downloads_the_task_once(
    sim: Simulator, config: AppConfig, tmp_path: Path
) -> None:
    """The second D comes before the first worker has reported a file: it must find the
    task busy already, not start a second download of the same file (which failed on the
    part's lock, or, without one, wrote into the same part)."""
    task = done_task(sim)
    sim.files.size = 256 * 1024
    sim.files.inject(FileFault.SLOW, task_id=task.task_id)  # both runs overlap
    opener = Opener()
    app, entry = await watched_app(sim, config, tmp_path, task, opener)
    key = str(entry.key)
    async with app.run_test(size=(100, 30)) as pilot:
        sim.files.requests.clear()
        app.action_download()
        app.action_download()  # at once: the first worker has not run yet
        await wait_for(pilot, lambda: "saved" in app.table.get_cell(key, "progress").plain, 10)
        await pilot.pause()
        assert len(sim.files.requests) == 1
        assert entry.download_error is None
        toasts = [str(n.message) for n in app._notifications]
        assert not any("failed" in t for t in toasts), toasts
        assert any("being downloaded already" in t for t in toasts), toasts  # the 2nd D
        saved = Path(entry.local_files[0].path)
        assert saved.read_bytes() == sim.files.content(f"{task.task_id}.mp4")
        await app.shutdown_poller()
