"""Downloads against the real simulator: every file fault, expiry, the token rule, records."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import httpx
import pytest

from kling_tui.config import AppConfig
from kling_tui.downloads.manager import Downloader, DownloadProgress, DownloadResult
from kling_tui.downloads.transfer import part_path
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.models import WatchEntry, utcnow
from kling_tui.sim.files import FileFault
from kling_tui.sim.simulator import SimTask, Simulator
from kling_tui.store.watchlist import WatchList
from tests.support.clock import FakeClock
from tests.support.downloads import assert_downloaded, download_past, file_name
from tests.support.downloads import download as _download
from tests.support.downloads import expect as _expect
from tests.support.downloads import watched as _watched
from tests.support.sim import TOKEN


def _finished(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.endswith(".part"))


def test_download_records_file_and_never_fetches_it_again(
    sim: Simulator, app_config: AppConfig, store: WatchList, watched_task: SimTask, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    results, seen = _download(app_config, store, folder)
    assert [r.state for r in results] == ["done"]
    path = Path(results[0].path)
    assert path.name == f"clip 0-{watched_task.task_id}-0.mp4"
    data = path.read_bytes()
    assert data == _expect(sim, watched_task)
    assert results[0].sha256 == hashlib.sha256(data).hexdigest()
    assert seen[0].state == "queued" and seen[-1].state == "done"
    reread = WatchList(store.path)
    (entry,) = reread.load()
    assert entry.local_files[0].path == str(path)
    assert entry.local_files[0].size == len(data) and entry.download_error is None
    sim.files.requests.clear()
    again, _ = _download(app_config, reread, folder)
    assert [r.state for r in again] == ["skipped"]
    assert sim.files.requests == []  # not one byte asked for


def test_drop_half_way_is_resumed_with_range(
    sim: Simulator, app_config: AppConfig, store: WatchList, watched_task: SimTask, tmp_path: Path
) -> None:
    result = download_past(FileFault.DROP, sim, app_config, store, watched_task, tmp_path / "out")
    assert_downloaded(sim, watched_task, result)
    ranges = [r for _, r, _ in sim.files.requests]
    assert ranges[0] is None and ranges[1] == f"bytes={sim.files.size // 2}-"
    assert result.fetched == sim.files.size  # the half already there was not asked again


def test_refused_range_restarts_from_zero(
    sim: Simulator,
    app_config: AppConfig,
    store: WatchList,
    watched_task: SimTask,
    folder: Path,
    tmp_path: Path,
) -> None:
    final = folder / file_name(watched_task)
    part_path(final).write_bytes(b"garbage that is not the file's start" * 10)
    sim.files.inject(FileFault.NO_RANGE, task_id=watched_task.task_id)
    results, _ = _download(app_config, store, folder)
    assert results[0].state == "done"
    assert final.read_bytes() == _expect(sim, watched_task)
    assert sim.files.requests[0][1] is not None  # a Range was asked, a 200 came back
    assert not part_path(final).exists()


def test_wrong_content_length_never_finishes_a_short_file(
    sim: Simulator, app_config: AppConfig, store: WatchList, watched_task: SimTask, tmp_path: Path
) -> None:
    result = download_past(
        FileFault.BAD_LENGTH, sim, app_config, store, watched_task, tmp_path / "out"
    )
    # The body ended short of what was announced: resumed, the server's real total (416
    # bytes */N) disagreed with the first announcement, so the file was fetched again whole.
    assert_downloaded(sim, watched_task, result)


def test_wrong_content_length_every_time_fails_without_a_final_file(
    sim: Simulator, app_config: AppConfig, store: WatchList, watched_task: SimTask, tmp_path: Path
) -> None:
    sim.files.inject(FileFault.BAD_LENGTH, count=-1, task_id=watched_task.task_id)
    sim.files.inject(FileFault.NO_RANGE, count=-1, task_id=watched_task.task_id)
    folder = tmp_path / "out"
    results, _ = _download(app_config, store, folder)
    assert results[0].state == "failed"
    assert _finished(folder) == []


def test_slow_bytes_report_progress(
    sim: Simulator, app_config: AppConfig, store: WatchList, done_task: SimTask, tmp_path: Path
) -> None:
    sim.files.size = 256 * 1024
    asyncio.run(_watched(sim, app_config, [done_task], store))
    sim.files.inject(FileFault.SLOW, task_id=done_task.task_id)
    results, seen = _download(app_config, store, tmp_path / "out")
    assert results[0].state == "done"
    assert Path(results[0].path).read_bytes() == _expect(sim, done_task)[: sim.files.size]
    running = [p for p in seen if p.state == "running" and 0 < p.done < sim.files.size]
    assert running and all(p.total == sim.files.size for p in running)


def test_expired_link_is_renewed_through_the_gateway(
    sim: Simulator, app_config: AppConfig, store: WatchList, watched_task: SimTask, tmp_path: Path
) -> None:
    sim.files.expire(watched_task.task_id)  # the stored link is dead, a fresh one exists
    sim.reset_log()
    results, _ = _download(app_config, store, tmp_path / "out")
    assert results[0].state == "done"
    statuses = [p for _, p in sim.requests if p.startswith("/kling/v1/videos/")]
    assert len(statuses) == 1  # the gateway asked once
    (entry,) = WatchList(store.path).load()
    assert entry.local_files[0].url.endswith("?e=1")
    assert entry.snapshot is not None and entry.snapshot.videos[0].url.endswith("?e=1")


def test_expired_for_good_says_expired_on_date(
    sim: Simulator, app_config: AppConfig, store: WatchList, watched_task: SimTask, tmp_path: Path
) -> None:
    sim.files.expire(watched_task.task_id, renew=False)
    folder = tmp_path / "out"
    results, _ = _download(app_config, store, folder)
    assert results[0].state == "failed"
    today = utcnow().date().isoformat()
    (entry,) = WatchList(store.path).load()
    assert entry.download_error == f"expired on {today}"
    assert entry.local_files == ()
    assert _finished(folder) == []


def test_redirect_to_another_origin_drops_the_token(
    sim: Simulator, app_config: AppConfig, store: WatchList, done_task: SimTask, tmp_path: Path
) -> None:
    sim.files.serve_by_content_url(done_task.task_id)  # the relay serves the bytes itself
    asyncio.run(_watched(sim, app_config, [done_task], store))
    assert "/v1/videos/" in store.entries[0].snapshot.videos[0].url  # type: ignore[union-attr]
    result = download_past(FileFault.REDIRECT, sim, app_config, store, done_task, tmp_path / "out")
    assert_downloaded(sim, done_task, result)
    first = sim.files.requests[0]
    assert first[2] == f"Bearer {TOKEN}"  # the relay's own content URL: the token
    assert sim.files.other_requests and all(a is None for _, a in sim.files.other_requests)


def test_cdn_url_never_gets_the_token(
    sim: Simulator, app_config: AppConfig, store: WatchList, watched_task: SimTask, tmp_path: Path
) -> None:
    results, _ = _download(app_config, store, tmp_path / "out")
    assert results[0].state == "done"
    assert sim.files.requests and all(a is None for _, _, a in sim.files.requests)


def test_content_url_on_another_origin_gets_no_token(tmp_path: Path) -> None:
    """The rule itself: only the gateway's own origin and content path earn the bearer."""
    from tests.support.sim import gateways_for

    config = gateways_for("http://127.0.0.1:9")
    fetcher = Fetcher(config)
    entry = WatchEntry("123", "text2video", "relay", utcnow())
    assert fetcher.download_auth(entry, "http://127.0.0.1:9/v1/videos/123/content") is not None
    assert fetcher.download_auth(entry, "http://127.0.0.1:10/v1/videos/123/content") is None
    assert fetcher.download_auth(entry, "http://127.0.0.1:9/files/123.mp4") is None
    assert fetcher.download_auth(entry, "https://127.0.0.1:9/v1/videos/123/content") is None


def test_too_large_is_refused_and_leaves_nothing_final(
    sim: Simulator, app_config: AppConfig, store: WatchList, watched_task: SimTask, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    results, _ = _download(app_config, store, folder, max_bytes=1024 * 1024)
    assert results[0].state == "failed" and "over the limit" in results[0].message
    assert _finished(folder) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_read_only_folder_is_a_clear_error(
    sim: Simulator, app_config: AppConfig, store: WatchList, watched_task: SimTask, tmp_path: Path
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        results, _ = _download(app_config, store, folder)
    finally:
        folder.chmod(0o700)
    assert results[0].state == "failed" and "no permission to write" in results[0].message
    assert list(folder.iterdir()) == []


@pytest.mark.usefixtures("watched_task")  # the task to download, watched in store
def test_read_only_filesystem_is_a_clear_error(
    app_config: AppConfig, store: WatchList, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What EROFS says (root cannot be refused by a mode, so the refusal is made here)."""
    import errno

    from kling_tui.downloads import transfer

    real_open = os.open

    def read_only(path, flags, *args):  # type: ignore[no-untyped-def]
        if str(path).endswith(".part"):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr(transfer.os, "open", read_only)
    folder = tmp_path / "out"
    results, seen = _download(app_config, store, folder)
    monkeypatch.undo()
    assert results[0].state == "failed" and "read-only filesystem" in results[0].message
    assert seen[-1].state == "failed" and _finished(folder) == []


@pytest.mark.usefixtures("watched_task")  # the task to download, watched in store
def test_full_disk_is_a_clear_error(
    app_config: AppConfig, store: WatchList, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from kling_tui.downloads import transfer

    real_write = os.write
    calls = {"n": 0}

    def full(fd: int, data) -> int:  # the disk under the .part fills after the first write
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".part"):
            calls["n"] += 1
            if calls["n"] > 1:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(transfer.os, "write", full)
    folder = tmp_path / "out"
    results, _ = _download(app_config, store, folder)
    monkeypatch.undo()
    assert results[0].state == "failed" and "is full" in results[0].message
    assert _finished(folder) == []


def test_two_tasks_with_one_name_never_share_a_file(
    sim: Simulator, app_config: AppConfig, store: WatchList, sim_clock: FakeClock, tmp_path: Path
) -> None:
    tasks = [sim.add_task("text2video", queue_seconds=0, run_seconds=1) for _ in range(3)]
    sim_clock.advance(5)
    asyncio.run(_watched(sim, app_config, tasks, store))
    folder = tmp_path / "out"
    results, _ = _download(app_config, store, folder, template="video.{ext}", jobs=3)
    paths = {r.path for r in results}
    assert len(paths) == 3 and all(r.state == "done" for r in results)
    for r, task in zip(results, tasks, strict=True):
        assert Path(r.path).read_bytes() == _expect(sim, task)


def test_per_host_limit_bounds_concurrency(
    sim: Simulator, app_config: AppConfig, store: WatchList, sim_clock: FakeClock, tmp_path: Path
) -> None:
    sim.files.size = 128 * 1024
    tasks = [sim.add_task("text2video", queue_seconds=0, run_seconds=1) for _ in range(4)]
    sim_clock.advance(5)
    asyncio.run(_watched(sim, app_config, tasks, store))
    for t in tasks:
        sim.files.inject(FileFault.SLOW, task_id=t.task_id)
    running: set[tuple] = set()
    most = [0]

    def watch(p: DownloadProgress) -> None:
        if p.state == "running":
            running.add((p.key, p.n))
        elif p.state in ("done", "failed"):
            running.discard((p.key, p.n))
        most[0] = max(most[0], len(running))

    async def go() -> list[DownloadResult]:
        async with Downloader(folder=tmp_path / "out", jobs=4, per_host=2) as d:
            return await d.run(store.entries, watch)

    results = asyncio.run(go())
    assert all(r.state == "done" for r in results) and most[0] == 2


def test_simulator_serves_ranges_exactly(sim: Simulator, done_task: SimTask) -> None:
    url = f"{sim.base_url}/files/{done_task.task_id}.mp4"
    whole = _expect(sim, done_task)
    got = httpx.get(url, headers={"Range": "bytes=1048570-1048590"})
    assert got.status_code == 206 and got.content == whole[1048570:1048591]
    assert got.headers["content-range"] == f"bytes 1048570-1048590/{len(whole)}"
    tail = httpx.get(url, headers={"Range": f"bytes={len(whole)}-"})
    assert tail.status_code == 416 and tail.headers["content-range"] == f"bytes */{len(whole)}"
    assert whole.startswith(b"\x00\x00\x00\x18ftyp") and len(whole) == sim.files.size


def test_wide_reads_reach_the_connection(sim: Simulator, done_task: SimTask) -> None:
    """Pins the private httpx / httpcore attributes ``transfer._widen_reads`` walks: when an
    upgrade moves them, downloads still work but at half speed, and this test says so."""
    from kling_tui.downloads.transfer import READ_BYTES, _widen_reads

    with httpx.Client() as client:
        url = f"{sim.base_url}/files/{done_task.task_id}.mp4"
        with client.stream("GET", url) as response:
            widened = _widen_reads(response)
            conn = response.stream._stream._httpcore_stream._stream._connection  # type: ignore[attr-defined]
            response.read()
            read_bytes = conn.READ_NUM_BYTES
    assert widened and read_bytes == READ_BYTES
    import httpcore

    assert httpcore.HTTP11Connection.READ_NUM_BYTES == 64 * 1024  # others keep theirs


def test_a_finished_file_left_unrecorded_is_adopted_not_fetched_again(
    sim: Simulator,
    app_config: AppConfig,
    store: WatchList,
    watched_task: SimTask,
    folder: Path,
    tmp_path: Path,
) -> None:
    """A run killed between the rename and the record left the whole file, unrecorded: the
    next run asks the server its size (Range from the end: 416) and takes it."""
    name = file_name(watched_task)
    (folder / name).write_bytes(_expect(sim, watched_task))
    results, _ = _download(app_config, store, folder)
    assert results[0].state == "done" and results[0].fetched == 0
    assert results[0].path == str(folder / name)
    assert [r for _, r, _ in sim.files.requests] == [f"bytes={sim.files.size}-"]


def test_another_file_under_the_name_is_left_alone(
    sim: Simulator,
    app_config: AppConfig,
    store: WatchList,
    watched_task: SimTask,
    folder: Path,
    tmp_path: Path,
) -> None:
    name = file_name(watched_task)
    (folder / name).write_bytes(b"the operator's own file")
    results, _ = _download(app_config, store, folder)
    assert results[0].state == "done" and results[0].path != str(folder / name)
    assert (folder / name).read_bytes() == b"the operator's own file"
    assert Path(results[0].path).read_bytes() == _expect(sim, watched_task)
