"""The ``[keys]`` table: grammar at load (``read_keymap``), collisions at start
(``resolve_keymap``), and the config loader keeping the app startable."""

from __future__ import annotations

from pathlib import Path

import pytest

from kling_tui.config import ConfigError, load_config
from kling_tui.config.keymap import (
    MAX_KEYMAP_ENTRIES,
    normalize_key,
    normalize_keys,
    read_keymap,
    resolve_keymap,
)

DEFAULTS = {"remove": "d", "open": "o", "open-enter": "enter", "add": "a", "help": "question_mark"}
ACTIONS = {"open": "open_video", "open-enter": "open_video"}


@pytest.mark.parametrize(
    ("typed", "long"),
    [
        ("x", "x"),
        ("X", "X"),
        ("?", "question_mark"),
        ("/", "slash"),
        ("$", "dollar_sign"),
        ("ctrl+s", "ctrl+s"),
        (" enter ", "enter"),
        ("shift+f2", "shift+f2"),
        ("question_mark", "question_mark"),
        ("+", "plus"),
        ("ctrl++", "ctrl+plus"),
        ("comma", "comma"),
        ("shift+d", "D"),  # what the terminal sends: else a binding that never fires
        ("shift+D", "D"),
        ("ctrl+shift+d", "ctrl+shift+d"),
    ],
)
def test_keys_in_the_grammar_are_normalized(typed: str, long: str) -> None:
    assert normalize_key(typed) == long


@pytest.mark.parametrize(
    "typed",
    ["", " ", "entr", "ctrl+", "hyper+ctrl+ctrl+x", "é", "\x1b", "x\x1b[2J", "a" * 50, "foo+x"],
)
def test_keys_outside_the_grammar_are_refused(typed: str) -> None:
    assert normalize_key(typed) is None


def test_a_value_holds_at_most_four_keys_and_no_repeats() -> None:
    assert normalize_keys("enter, o,o") == "enter,o"
    with pytest.raises(ValueError, match="at most 4 keys"):
        normalize_keys("a,b,c,d,e")
    with pytest.raises(ValueError, match="at most 100"):
        normalize_keys("x" * 101)


def test_read_keymap_keeps_good_entries_and_reports_bad_ones_cleaned() -> None:
    read = read_keymap(
        {"remove": "x", "open": "enter,o", "undo": "\x1b]52;c;AAAA\x07", "Bad\u202eId": "z", "n": 3}
    )
    assert read.keys == {"remove": "x", "open": "enter,o"}
    assert len(read.problems) == 3
    joined = "\n".join(read.problems)
    assert "keys.undo" in joined and "not a key" in joined
    assert "keys.n: expected a string" in joined
    for bad in ("\x1b", "\x07", "\u202e"):
        assert bad not in joined


def test_read_keymap_refuses_a_non_table_or_a_huge_one() -> None:
    with pytest.raises(TypeError):
        read_keymap("remove=x")
    with pytest.raises(TypeError, match="at most"):
        read_keymap({f"k{i}": "x" for i in range(MAX_KEYMAP_ENTRIES + 1)})


def test_resolve_accepts_a_swap_and_a_shared_action() -> None:
    keymap, problems = resolve_keymap(
        {"remove": "o", "open": "d,enter"}, DEFAULTS, {"down": "cursor"}, ACTIONS
    )
    assert keymap == {"remove": "o", "open": "d,enter"}
    assert problems == []


def test_resolve_reports_unknown_ids_and_collisions_and_keeps_defaults() -> None:
    keymap, problems = resolve_keymap(
        {"nope": "z", "remove": "a", "help": "down", "open": "x"},
        DEFAULTS,
        {"down": "the table's cursor down"},
        ACTIONS,
    )
    assert keymap == {"open": "x"}
    assert any(p.startswith("keys.nope: unknown binding id") for p in problems)
    assert "keys.remove: a is already the key of add; remove keeps d" in problems
    assert any(p.startswith("keys.help: down is already taken") for p in problems)


def test_two_rebinds_onto_one_key_are_both_left_out() -> None:
    keymap, problems = resolve_keymap({"remove": "z", "add": "z"}, DEFAULTS)
    assert keymap == {}
    assert len(problems) == 2


def test_config_file_keys_load_and_bad_ones_do_not_stop_loading(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keys]\nremove = "x"\nopen = "entr"\n')
    config = load_config(config_flag=path, env={})
    assert config.keys == {"remove": "x"}
    assert config.key_problems and "keys.open" in config.key_problems[0]


def test_config_keys_must_be_a_table(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('keys = "x"\n')
    with pytest.raises(ConfigError, match="keys"):
        load_config(config_flag=path, env={})


def readme_block(start: str) -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    return readme.split(f"```toml\n{start}\n", 1)[1].split("```", 1)[0]


def test_the_readme_key_map_example_loads_without_problems(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[keys]\n" + readme_block("[keys]"))
    config = load_config(config_flag=path, env={})
    assert config.keys == {"remove": "x", "open": "enter,o", "help": "f1,question_mark"}
    assert config.key_problems == ()


def test_shift_letter_is_the_capital_and_collides_with_its_binding() -> None:
    """``remove = "shift+d"`` is the key ``D`` (download's): reported, not a dead binding."""
    read = read_keymap({"remove": "shift+d"})
    assert read.keys == {"remove": "D"} and not read.problems
    keymap, problems = resolve_keymap(read.keys, {**DEFAULTS, "download": "D"})
    assert keymap == {}
    assert problems == ["keys.remove: D is already the key of download; remove keeps d"]
