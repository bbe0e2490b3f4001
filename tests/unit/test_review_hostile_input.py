"""A second probe of the trust boundaries (issue 10 review): hostile but well-formed-looking
files and arguments that used to end in a Python traceback or in output that is not JSON."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kling_tui.cli import main
from kling_tui.config import ConfigError, load_config
from kling_tui.gateway.trust import TrustedOrigins
from kling_tui.store.watchlist import WatchList, WatchListError
from kling_tui.themes import ThemeError, discover_themes, load_theme_file

HUGE_INT = "1" + "0" * 400  # a TOML integer no float can hold
TOO_MANY_DIGITS = "1" + "0" * 5000  # over Python's int-from-string digit limit
DEEP = "[" * 5000 + "]" * 5000  # tomllib recurses once per level

TASK = 'version = 1\n[[tasks]]\nid = "1"\nkind = "text2video"\ngateway = "h"\n'


def private(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    "line",
    [f"x = {TOO_MANY_DIGITS}", f"x = {DEEP}", "x = " + "{a=" * 5000 + "1" + "}" * 5000],
    ids=["5000-digit-int", "deep-array", "deep-table"],
)
def test_toml_that_tomllib_cannot_build_is_a_clean_error(tmp_path: Path, line: str) -> None:
    """tomllib raises ValueError (digit limit) or RecursionError, not TOMLDecodeError."""
    config = private(tmp_path / "config.toml", line + "\n")
    with pytest.raises(ConfigError, match="valid TOML"):
        load_config(config_flag=config, env={})
    watch = private(tmp_path / "w.toml", f"version = 1\n{line}\n")
    with pytest.raises(WatchListError, match=r"not valid TOML|nests more than \d+ levels"):
        WatchList(watch).load()
    trust = private(tmp_path / "trusted-origins.toml", line + "\n")
    origins = TrustedOrigins(trust)
    assert not origins.allows("a", "http://127.0.0.1")
    assert origins.problem is not None and "not valid TOML" in origins.problem
    theme = private(tmp_path / "t.toml", line + "\n")
    with pytest.raises(ThemeError, match="not valid TOML"):
        load_theme_file(theme)


@pytest.mark.parametrize("key", ["timeout", "connect_timeout"])
def test_a_config_number_too_big_for_a_float_is_a_range_error(tmp_path: Path, key: str) -> None:
    config = private(
        tmp_path / "config.toml",
        f'[gateways.a]\nbase_url = "http://127.0.0.1:9"\n{key} = {HUGE_INT}\n',
    )
    with pytest.raises(ConfigError, match=rf"gateways\.a\.{key}: expected a number from 1"):
        load_config(config_flag=config, env={})


def test_a_poll_interval_too_big_for_a_float_is_a_range_error(tmp_path: Path) -> None:
    config = private(tmp_path / "config.toml", f"[poll]\ninterval = {HUGE_INT}\n")
    with pytest.raises(ConfigError, match=r"poll\.interval: expected a number from 1"):
        load_config(config_flag=config, env={})


@pytest.mark.parametrize(
    "value", [HUGE_INT, "nan", "inf", "-inf"], ids=["huge", "nan", "inf", "-inf"]
)
@pytest.mark.parametrize("field", ["progress", "duration", "retry_after"])
def test_a_watch_list_number_must_be_finite(tmp_path: Path, value: str, field: str) -> None:
    """A hand-edited ``progress = nan`` used to be printed by ``ls --json`` as ``NaN``, which
    is not JSON (``jq`` refuses the line); a 400-digit integer raised OverflowError."""
    last = '[tasks.last]\nstatus = "in_progress"\nfetched_at = 2026-01-01T00:00:00Z\n'
    tables = {
        "progress": f"{last}progress = {value}\n",
        "duration": f"{last}[[tasks.last.videos]]\nduration = {value}\n",
        "retry_after": (
            f'[tasks.error]\ntype = "rate_limited"\nat = 2026-01-01T00:00:00Z\n'
            f"retry_after = {value}\n"
        ),
    }
    path = private(tmp_path / "w.toml", TASK + tables[field])
    with pytest.raises(WatchListError, match="must be a finite number"):
        WatchList(path).load()


def test_argparse_errors_print_no_raw_escape(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse repeats unknown arguments verbatim ("unrecognized arguments: ESC]52;...")."""
    with pytest.raises(SystemExit) as info:
        main(["ls", "\x1b]52;c;cHduZWQ=\x07", "\x9b2J\u202e"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments" in err
    assert "\x1b" not in err and "\x07" not in err and "\x9b" not in err
    assert "\u202e" not in err and "\\x1b]52" in err


def test_a_watch_list_made_writable_by_others_meanwhile_is_refused(tmp_path: Path) -> None:
    """A chmod changes neither mtime, size nor inode: the running dashboard must still see it
    (and not go on saving, and reloading, a file others can now write)."""
    path = private(tmp_path / "w.toml", TASK)
    store = WatchList(path)
    assert len(store.load()) == 1
    os.chmod(path, 0o666)
    assert store.changed_on_disk()
    with pytest.raises(WatchListError, match="can write to it"):
        store.reload_if_changed()
    assert not store.reload_if_changed()  # said once, not at every poll
    with pytest.raises(WatchListError, match="can write to it"):
        store.remove_ids(["1"])  # but never saved
    assert 'id = "1"' in path.read_text()
    os.chmod(path, 0o600)  # a chmod back is all it takes
    assert [e.task_id for e in store.remove_ids(["1"])] == ["1"]


def test_theme_errors_carry_no_raw_escape(tmp_path: Path) -> None:
    """A theme file's keys and name reach the start-up toast ("Theme not loaded: ...")."""
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "a.toml").write_text(
        '[colors]\nprimary = "#112233"\n"\\u001b]52;c;cHduZWQ=\\u0007" = "#000000"\n'
    )
    (themes / "b\x1b[2J.toml").write_text("not = [toml\n")
    errors = [str(e) for e in discover_themes(bundled_dir=None, user_dir=themes).errors]
    assert len(errors) == 2
    for text in errors:
        assert "\x1b" not in text and "\x07" not in text, text
    assert any("\\x1b]52" in text for text in errors)


def test_wait_on_an_empty_list_prints_its_path_cleaned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The path comes from --watchlist or $KLING_TUI_WATCHLIST; ``ls`` cleaned it already."""
    where = tmp_path / "\x1b]52;c;cHduZWQ=\x07"
    where.mkdir()
    assert main(["wait", "--watchlist", str(where / "w.toml")]) == 0
    err = capsys.readouterr().err
    assert "nothing to wait for" in err and "\\x1b]52" in err
    assert "\x1b" not in err and "\x07" not in err
