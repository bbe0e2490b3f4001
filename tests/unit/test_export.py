"""The exporter (``kling_tui.export``) and its commands: ``ls --csv`` and ``export``."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from kling_tui.cli import main
from kling_tui.export import HEADER, _local_files, csv_cell, export_row, to_csv, write_export
from kling_tui.models import LocalFile, Status, Video
from kling_tui.store.watchlist import WatchList
from tests.support.ui_fakes import entry, fetch_error

HOSTILE = '=HYPERLINK("http://evil")\x1b]52;c;AAAA\x07\u202e'


def sample() -> list:
    video = Video("v1", "https://cdn.example.com/v/sunrise.mp4", 5.0)
    done = entry("task-done-1", Status.SUCCEEDED, label="sunrise", videos=[video])
    done = replace(
        done, snapshot=replace(done.snapshot, final_unit_deduction=2.5, model="kling-v2")
    )
    failed = entry("task-failed-2", Status.FAILED, label="@cmd|x", message=HOSTILE)
    running = entry("task-run-3", Status.IN_PROGRESS, progress=42.0, kind="image2video")
    broken = entry("task-err-4", None, error=fetch_error(message="-1 boom\r\n=2"))
    return [done, failed, running, broken]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\\tx"),
        ("plain", "plain"),
        (None, ""),
        (2.5, "2.5"),
        (["https://a/1", "https://a/2"], "https://a/1 https://a/2"),
        ("a\x1bb\u202ec", "a\\x1bb\\u202ec"),
        ("  =HYPERLINK(1)", "'  =HYPERLINK(1)"),
        (" @SUM(A1)", "' @SUM(A1)"),
        (["  =b", "c"], "'  =b c"),
    ],
)
def test_csv_cells_are_cleaned_and_formulas_neutralised(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


def test_rows_have_every_column_and_hostile_text_is_cleaned() -> None:
    rows = [export_row(e) for e in sample()]
    assert tuple(rows[0]) == HEADER
    for column in (
        "task_id",
        "kling_task_id",
        "external_task_id",
        "kind",
        "status",
        "progress",
        "durations",
        "video_urls",
        "cost",
        "local_files",
        "created_at",
        "updated_at",
    ):
        assert column in HEADER
    assert rows[0]["video_urls"] == ["https://cdn.example.com/v/sunrise.mp4"]
    assert rows[0]["durations"] == [5.0]
    assert rows[0]["cost"] == 2.5
    assert rows[2]["progress"] == 42.0
    assert rows[3]["status"] == "error"
    text = to_csv(sample())
    for bad in ("\x1b", "\x07", "\u202e"):
        assert bad not in text
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == list(HEADER)
    assert len(parsed) == 5
    for row in parsed[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_local_files_fill_themselves_once_the_field_exists() -> None:
    assert export_row(sample()[0])["local_files"] == []
    saved = LocalFile(
        path="/d/a.mp4", size=3, sha256="0" * 64, url="https://cdn/a", n=1, role="video"
    )
    entry = replace(sample()[0], local_files=(saved,))
    assert _local_files(entry) == ["/d/a.mp4"]
    assert export_row(entry)["local_files"] == ["/d/a.mp4"]


def test_write_export_is_atomic_and_jsonl_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("old")
    assert write_export(path, sample(), "jsonl") == 4
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["task_id"] for r in records] == [
        "task-done-1",
        "task-failed-2",
        "task-run-3",
        "task-err-4",
    ]
    assert "\x1b" not in path.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name != "out.jsonl"]


@pytest.fixture
def watchlist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "watchlist.toml"
    store = WatchList(path)
    store.load()
    store.add(sample())
    monkeypatch.setenv("KLING_TUI_WATCHLIST", str(path))
    return path


def test_ls_csv_prints_the_export_rows(watchlist: Path) -> None:
    out = io.StringIO()
    assert main(["ls", "--csv"], out=out) == 0
    assert out.getvalue() == to_csv(WatchList(watchlist).load())


def test_export_uses_the_dashboard_filter(watchlist: Path, tmp_path: Path) -> None:
    target = tmp_path / "failed.csv"
    assert main(["export", "--filter", "status:failed,error", str(target)]) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [r["task_id"] for r in rows] == ["task-failed-2", "task-err-4"]
    out = io.StringIO()
    assert main(["export", "--format", "jsonl", "--filter", "kind:i2v", "-"], out=out) == 0
    assert [json.loads(x)["task_id"] for x in out.getvalue().splitlines()] == ["task-run-3"]


def test_export_refuses_a_filter_it_cannot_read(watchlist: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "x.csv"
    assert main(["export", "--filter", "colour:red", str(target)]) == 2
    assert "unknown filter colour:" in capsys.readouterr().err
    assert not target.exists()


def test_export_target_resolves_folders_suffixes_and_refuses_missing_folders(
    tmp_path: Path,
) -> None:
    from kling_tui.export import export_target

    assert export_target(str(tmp_path), "d.csv", Path("/")) == (tmp_path / "d.csv", "csv")
    assert export_target("x.jsonl", "d.csv", tmp_path) == (tmp_path / "x.jsonl", "jsonl")
    assert export_target("x.txt", "d.csv", tmp_path) == (tmp_path / "x.txt", "csv")
    for bad in ("", "   ", "nope/x.csv", "a\x1b.csv", "x" * 5000):
        with pytest.raises(ValueError):
            export_target(bad, "d.csv", tmp_path)
