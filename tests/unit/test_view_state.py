"""The remembered view (store/view_state.py): read as hostile input, written atomically."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from kling_tui.store.view_state import (
    MAX_STATE_BYTES,
    ViewState,
    load_view_state,
    save_view_state,
    view_state_path,
)

SORTS = {"status", "progress", "added", "label"}


def test_it_lives_in_the_state_dir_not_the_config_dir(_isolated_home: Path) -> None:
    path = view_state_path()
    assert path.is_relative_to(_isolated_home / "xdg_state_home")
    assert view_state_path({"KLING_TUI_VIEW_STATE": "/tmp/v.json"}) == Path("/tmp/v.json")


def test_round_trip_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "view.json"
    state = ViewState("!status:succeeded kind:t2v", True, "label", True)
    save_view_state(path, state)
    assert load_view_state(path, SORTS) == (state, None)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_missing_file_is_the_default_view(tmp_path: Path) -> None:
    assert load_view_state(tmp_path / "none.json", SORTS) == (ViewState(), None)


@pytest.mark.parametrize(
    "content",
    [b"not json", b"[1, 2]", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000],
)
def test_garbage_is_ignored_with_a_note(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "view.json"
    path.write_bytes(content[: MAX_STATE_BYTES * 20])
    state, note = load_view_state(path, SORTS)
    assert state == ViewState() and note


def test_each_bad_field_falls_back_alone(tmp_path: Path) -> None:
    path = tmp_path / "view.json"
    raw = {"filter_text": 5, "hide_finished": "yes", "sort": "evil", "sort_reverse": True}
    path.write_text(json.dumps(raw))
    state, note = load_view_state(path, SORTS)
    assert state == ViewState(sort_reverse=True)
    assert note and "filter_text" in note and "sort" in note


def test_control_characters_in_the_text_come_back_escaped(tmp_path: Path) -> None:
    path = tmp_path / "view.json"
    path.write_text(json.dumps({"filter_text": "a\x1b]52;c;AA\x07\u202eb"}))
    state, _ = load_view_state(path, SORTS)
    assert "\x1b" not in state.filter_text and "\u202e" not in state.filter_text


def test_a_fifo_or_a_huge_file_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert load_view_state(fifo, SORTS)[1]
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_STATE_BYTES + 1))
    assert load_view_state(big, SORTS)[1]
