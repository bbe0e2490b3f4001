"""The dashboard's per-task download state, and which saved files may be opened.

The board is fed the downloader's own ``DownloadProgress`` records, as in the app.
"""

from __future__ import annotations

from pathlib import Path

from kling_tui.downloads.manager import DownloadProgress as Progress
from kling_tui.gateway.urls import local_file_url
from kling_tui.models import TaskKey
from kling_tui.ui.download_state import DownloadBoard

KEY = TaskKey("t-1", "text2video", "main")


def test_many_reports_one_change_per_task_per_tick() -> None:
    board = DownloadBoard()
    assert board.report(Progress(KEY, 0, "video", "/v/a.mp4", 0, None, "queued"))
    for done in range(0, 100, 10):  # bytes coming in: no further redraw asked this tick
        assert not board.report(Progress(KEY, 0, "video", "/v/a.mp4", done, 100, "running"))
    assert board.take_changed() == [str(KEY)]
    assert board.take_changed() == []
    task = board.get(str(KEY))
    assert task is not None and task.state == "running" and task.fraction == 0.9
    assert board.busy(str(KEY))


def test_a_task_of_several_files() -> None:
    board = DownloadBoard()
    board.report(Progress(KEY, 0, "video", "/v/a.mp4", 100, 100, "done"))
    board.report(Progress(KEY, 0, "watermark", "/v/a-wm.mp4", 0, None, "queued"))
    task = board.get(str(KEY))
    assert task is not None and task.state == "running" and task.fraction is None
    board.report(Progress(KEY, 0, "watermark", "/v/a-wm.mp4", 0, None, "failed", "HTTP 500"))
    assert task.state == "failed" and task.message == "HTTP 500"
    assert task.paths == ["/v/a.mp4", "/v/a-wm.mp4"]
    board.forget(str(KEY))
    assert board.get(str(KEY)) is None and not board.busy(str(KEY))


def test_only_an_existing_file_under_the_folder_opens(tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    video = folder / "clip one ü.mp4"
    video.write_bytes(b"x")
    url, reason = local_file_url(str(video), folder)
    assert reason is None and url == video.as_uri() and url.isascii() and " " not in url
    outside = tmp_path / "secret"
    outside.write_text("s")
    assert local_file_url(str(outside), folder) == (None, "it is outside the download folder")
    link = folder / "link.mp4"
    link.symlink_to(outside)  # a link inside the folder pointing out of it
    assert local_file_url(str(link), folder)[0] is None
    dotdot = str(folder / ".." / "secret")
    assert local_file_url(dotdot, folder)[0] is None
    assert local_file_url(str(folder / "gone.mp4"), folder) == (None, "it is no longer on disk")
    assert local_file_url(str(folder), folder)[0] is None
