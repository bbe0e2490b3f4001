"""``local_files`` and ``download_error`` in the watch list: written, read back, every
field's range checked at load, hostile text cleaned, and kept by the store's two paths."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kling_tui.config import DownloadConfig, load_config
from kling_tui.config.errors import ConfigError
from kling_tui.models import LocalFile, WatchEntry
from kling_tui.store.codec import entry_to_table, read_entry
from kling_tui.store.errors import EntryInvalid
from kling_tui.store.watchlist import WatchList

NOW = datetime(2026, 12, 1, tzinfo=UTC)
FILE = LocalFile("/videos/a.mp4", 1234, "ab" * 32, "https://cdn.example/a.mp4", 0, "video")


def entry(**kw: Any) -> WatchEntry:
    return WatchEntry("860000000000000001", "text2video", "relay", NOW, **kw)


def table(**file: Any) -> dict[str, Any]:
    t = entry_to_table(entry(local_files=(FILE,)))
    t["local_files"][0].update(file)
    return t


def test_round_trip() -> None:
    e = entry(local_files=(FILE,), download_error="expired on 2026-11-30")
    back = read_entry(entry_to_table(e))
    assert back.local_files == (FILE,) and back.download_error == "expired on 2026-11-30"
    assert "local_files" not in entry_to_table(entry())  # nothing written when none


def test_userinfo_is_never_written() -> None:
    f = LocalFile("/v/a.mp4", 1, "0" * 64, "https://u:secret@cdn.example/a.mp4", 0, "video")
    assert entry_to_table(entry(local_files=(f,)))["local_files"][0]["url"] == (
        "https://cdn.example/a.mp4"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("size", -1),
        ("size", 2**53 + 1),
        ("size", 1.5),
        ("size", True),
        ("sha256", "AB" * 32),
        ("sha256", "ab"),
        ("n", -1),
        ("n", 100_000),
        ("role", "thumbnail"),
        ("path", "relative/a.mp4"),
        ("path", 5),
        ("url", None),
    ],
)
def test_ranges_are_checked_at_load(field: str, value: Any) -> None:
    with pytest.raises(EntryInvalid, match="local_files"):
        read_entry(table(**{field: value}))


def test_too_many_files_and_unknown_keys_are_refused() -> None:
    t = entry_to_table(entry(local_files=(FILE,) * 193))
    with pytest.raises(EntryInvalid, match="over 192"):
        read_entry(t)
    with pytest.raises(EntryInvalid, match="unknown key"):
        read_entry(table(extra=1))


def test_hostile_text_is_cleaned_at_load() -> None:
    t = table(url="https://cdn.example/\x1b]52;c;eA==\x07a.mp4")
    t["download_error"] = "expired \x1b[2J\u202e"
    back = read_entry(t)
    assert back.local_files[0].url.isprintable()
    assert back.download_error is not None and "\x1b" not in back.download_error
    assert "\u202e" not in back.download_error


def test_store_keeps_downloads_across_updates(tmp_path: Path) -> None:
    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([entry()])
    other = WatchList(tmp_path / "w.toml")  # another process: the dashboard's poller
    other.load()
    done = other.entries[0]
    done.local_files, done.download_error = (FILE,), None
    assert other.record_downloads([done]) == 1
    polled = store.entries[0]  # a stale copy that knows nothing of the download
    polled.last_checked = NOW
    store.update([polled])
    (back,) = WatchList(tmp_path / "w.toml").load()
    assert back.local_files == (FILE,)
    with pytest.raises(TypeError):
        other.record_downloads([entry(local_files=[FILE])])  # type: ignore[arg-type]


def _config(tmp_path: Path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return load_config(config_flag=path, env={})


def test_download_config_defaults_and_ranges(tmp_path: Path) -> None:
    assert _config(tmp_path, "").download == DownloadConfig()
    got = _config(
        tmp_path,
        '[download]\ndir = "clips"\nname = "{task_id}.{ext}"\nmax_bytes = 1048576\n'
        "jobs = 16\nper_host = 1\nauto = true\n",
    ).download
    assert got.dir == tmp_path / "clips" and got.name == "{task_id}.{ext}"
    assert (got.max_bytes, got.jobs, got.per_host, got.auto) == (1048576, 16, 1, True)
    for bad in (
        "jobs = 0",
        "jobs = 17",
        "per_host = 0",
        "max_bytes = 1",
        "max_bytes = 1099511627777",
        'name = "{nope}.{ext}"',
        "auto = 1",
        'dir = ""',
        "typo = 1",
    ):
        with pytest.raises(ConfigError, match="download"):
            _config(tmp_path, f"[download]\n{bad}\n")


def test_default_folder_is_videos_then_downloads_then_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import platformdirs

    videos, downloads = tmp_path / "Videos", tmp_path / "Downloads"
    monkeypatch.setattr(platformdirs, "user_videos_path", lambda: videos)
    monkeypatch.setattr(platformdirs, "user_downloads_path", lambda: downloads)
    monkeypatch.chdir(tmp_path)
    assert DownloadConfig().folder() == tmp_path / "kling-videos"
    downloads.mkdir()
    assert DownloadConfig().folder() == downloads / "kling-tui"
    videos.mkdir()
    assert DownloadConfig().folder() == videos / "kling-tui"
