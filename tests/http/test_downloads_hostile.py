"""Downloads in a hostile folder: links, FIFOs and a second download planted at a file's
names never get written through, followed or shared."""

from __future__ import annotations

import asyncio
import fcntl
import os
from dataclasses import replace
from pathlib import Path

import pytest

from kling_tui.config import AppConfig
from kling_tui.downloads.transfer import part_path
from kling_tui.models import LocalFile
from kling_tui.sim.files import FileFault
from kling_tui.sim.simulator import SimTask, Simulator
from kling_tui.store.errors import WatchListError
from kling_tui.store.watchlist import WatchList
from tests.support.downloads import assert_downloaded, file_name
from tests.support.downloads import download as _download
from tests.support.downloads import expect as _expect
from tests.support.downloads import watched as _watched


def test_symlink_planted_at_part_is_never_written_through(
    sim: Simulator,
    app_config: AppConfig,
    store: WatchList,
    watched_task: SimTask,
    folder: Path,
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"someone's precious file")
    (folder / (file_name(watched_task) + ".part")).symlink_to(victim)
    results, _ = _download(app_config, store, folder)
    assert victim.read_bytes() == b"someone's precious file"
    assert results[0].state == "failed" and "not a regular file" in results[0].message
    assert not (folder / file_name(watched_task)).exists()


def test_fifo_planted_at_part_is_refused_not_hung_on(
    sim: Simulator,
    app_config: AppConfig,
    store: WatchList,
    watched_task: SimTask,
    folder: Path,
    tmp_path: Path,
) -> None:
    os.mkfifo(folder / (file_name(watched_task) + ".part"))
    results, _ = _download(app_config, store, folder)
    assert results[0].state == "failed" and "not a regular file" in results[0].message


def test_symlink_planted_at_final_name_is_not_adopted(
    sim: Simulator,
    app_config: AppConfig,
    store: WatchList,
    watched_task: SimTask,
    folder: Path,
    tmp_path: Path,
) -> None:
    """A link to a file of exactly the video's bytes: the size check with the server would
    pass, but the link is not this download's file (it may point anywhere)."""
    victim = tmp_path / "elsewhere.mp4"
    victim.write_bytes(_expect(sim, watched_task))
    (folder / file_name(watched_task)).symlink_to(victim)
    results, _ = _download(app_config, store, folder)
    assert results[0].state == "done"
    got = Path(results[0].path)
    assert got != folder / file_name(watched_task) and not got.is_symlink()
    assert got.read_bytes() == _expect(sim, watched_task)
    assert (folder / file_name(watched_task)).is_symlink()  # left alone


def test_a_part_being_written_by_another_download_is_not_shared(
    sim: Simulator,
    app_config: AppConfig,
    store: WatchList,
    watched_task: SimTask,
    folder: Path,
    tmp_path: Path,
) -> None:
    """Another ``kling-tui download`` (or a second ``D``) holds the part: refused, the
    other's bytes untouched."""
    part = part_path(folder / file_name(watched_task))
    part.write_bytes(b"x" * 1000)
    fd = os.open(part, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        results, _ = _download(app_config, store, folder)
    finally:
        os.close(fd)
    assert results[0].state == "failed" and "being downloaded already" in results[0].message
    assert part.read_bytes() == b"x" * 1000
    assert not (folder / file_name(watched_task)).exists()


def _hand_edited(store: WatchList, path: Path, size: int) -> None:
    """The task's record pointed at ``path`` (a hand edit of the watch list)."""
    (entry,) = store.entries
    entry.local_files = (LocalFile(str(path), size, "0" * 64, "https://x/y.mp4", 0, "video"),)
    store.record_downloads([entry])


def test_a_record_outside_the_folder_does_not_skip_the_download(
    sim: Simulator,
    app_config: AppConfig,
    store: WatchList,
    watched_task: SimTask,
    folder: Path,
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "passwd"
    elsewhere.write_bytes(b"root:x:0:0")
    _hand_edited(store, elsewhere, elsewhere.stat().st_size)
    results, _ = _download(app_config, store, folder)
    assert results[0].state == "done" and Path(results[0].path).parent == folder
    assert Path(results[0].path).read_bytes() == _expect(sim, watched_task)
    assert elsewhere.read_bytes() == b"root:x:0:0"
    (entry,) = store.entries
    assert [f.path for f in entry.local_files] == [results[0].path]


def test_a_record_of_a_link_to_elsewhere_does_not_skip_the_download(
    sim: Simulator,
    app_config: AppConfig,
    store: WatchList,
    watched_task: SimTask,
    folder: Path,
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "secret"
    elsewhere.write_bytes(b"not a video")
    link = folder / "clip.mp4"
    link.symlink_to(elsewhere)
    _hand_edited(store, link, elsewhere.stat().st_size)
    results, _ = _download(app_config, store, folder)
    assert results[0].state == "done" and results[0].path != str(link)
    assert Path(results[0].path).read_bytes() == _expect(sim, watched_task)


def test_a_part_left_by_another_task_of_the_same_name_is_not_resumed(
    sim: Simulator, app_config: AppConfig, store: WatchList, sim_clock, tmp_path: Path
) -> None:
    """``--name '{label}.{ext}'`` and two tasks labelled alike: A's download broke off and
    left ``cat.mp4.part``; B's download must not append B's tail to A's head."""
    a = sim.add_task("text2video", queue_seconds=0, run_seconds=1)
    b = sim.add_task("text2video", queue_seconds=0, run_seconds=1)
    sim_clock.advance(5)
    first, second = asyncio.run(_watched(sim, app_config, [a, b], store))
    first.label = second.label = "cat"
    folder = tmp_path / "out"
    sim.files.inject(FileFault.DROP, count=-1, task_id=a.task_id)
    broke, _ = _download(app_config, store, folder, [first], template="{label}.{ext}")
    assert broke[0].state == "failed" and (folder / "cat.mp4.part").stat().st_size
    sim.files.clear()
    got, _ = _download(app_config, store, folder, [second], template="{label}.{ext}")
    assert_downloaded(sim, b, got[0])
    again, _ = _download(app_config, store, folder, [first], template="{label}.{ext}")
    assert again[0].state == "done" and 0 < again[0].fetched < sim.files.size  # resumed
    assert Path(again[0].path).read_bytes() == _expect(sim, a)


@pytest.mark.parametrize("url", ["http://xn--/x.mp4", "http://h\u00e9\u200b.com/x.mp4"])
def test_a_url_httpx_cannot_even_build_fails_that_file_not_the_run(
    sim: Simulator, app_config: AppConfig, store: WatchList, sim_clock, tmp_path: Path, url: str
) -> None:
    """A host name IDNA refuses (a server's answer, a redirect's Location) raised
    ``InvalidURL`` / ``IDNAError`` out of the transfer: the whole run (every other file,
    the CLI's summary and exit code) fell with it."""
    a = sim.add_task("text2video", queue_seconds=0, run_seconds=1)
    b = sim.add_task("text2video", queue_seconds=0, run_seconds=1)
    sim_clock.advance(5)
    bad, _good = asyncio.run(_watched(sim, app_config, [a, b], store))
    snap = bad.snapshot
    assert snap is not None
    bad.snapshot = replace(snap, videos=(replace(snap.videos[0], url=url),))
    results, _ = _download(app_config, store, tmp_path / "out")
    by_task = {r.key.task_id: r for r in results}
    assert by_task[a.task_id].state == "failed"
    assert "http" in by_task[a.task_id].message
    assert by_task[b.task_id].state == "done"


def test_a_store_that_cannot_save_the_fresh_answer_still_downloads_at_the_fresh_url(
    sim: Simulator,
    app_config: AppConfig,
    store: WatchList,
    watched_task: SimTask,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The re-query's answer could not be written (a full disk, a watch list changed on
    disk): the error escaped the downloader, lost the run and left the task's other files
    waiting for the answer for ever."""
    sim.files.expire(watched_task.task_id)

    def broken(entries: object) -> None:
        raise WatchListError(store.path, None, "cannot write the watch list")

    monkeypatch.setattr(store, "update", broken)
    results, _ = _download(app_config, store, tmp_path / "out")
    assert_downloaded(sim, watched_task, results[0])
