"""`kling-tui add` warns on stderr about ids of no known form, and adds them all the same."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kling_tui.cli import main
from kling_tui.store.watchlist import WatchList


def test_add_warns_about_odd_ids_and_keeps_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    watchlist = tmp_path / "watchlist.toml"
    out = io.StringIO()
    argv = ["add", "--watchlist", str(watchlist), "--base-url", "https://relay.example"]
    code = main([*argv, "866889456698785800", "12", "abc-not-an-id"], out=out)
    assert code == 0
    err = capsys.readouterr().err
    assert "warning: 12 matches no Kling or relay id form" in err
    assert "warning: abc-not-an-id matches no Kling" in err
    assert "866889456698785800" not in err
    assert "18-19 digits" in err and "added anyway" in err
    store = WatchList(watchlist)
    assert [e.task_id for e in store.load()] == ["866889456698785800", "12", "abc-not-an-id"]
