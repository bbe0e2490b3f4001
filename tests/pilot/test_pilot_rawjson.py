"""The raw-answer layout only re-indents: each token stays as the server and sanitiser wrote it."""

from __future__ import annotations

from kling_tui.ui.rawjson import MAX_INDENT_LEVELS, pretty_json


def test_keeps_tokens_duplicates_and_escapes() -> None:
    raw = '{"a":1,"a":"x\\u001b\\"y",  "n":-1.50E+3,"e":[],"o":{}}'
    assert pretty_json(raw) == (
        '{\n  "a": 1,\n  "a": "x\\u001b\\"y",\n  "n": -1.50E+3,\n  "e": [],\n  "o": {}\n}'
    )


def test_a_cut_off_body_is_indented_as_far_as_it_goes() -> None:
    assert pretty_json('{"data": {"msg": "unfinished str…') == (
        '{\n  "data": {\n    "msg": "unfinished str…'
    )


def test_brackets_inside_strings_are_text() -> None:
    assert pretty_json('["[{,:}]"]') == '[\n  "[{,:}]"\n]'


def test_not_json_is_left_alone() -> None:
    assert pretty_json("<html>502</html>") is None
    assert pretty_json("   ") is None


def test_deep_nesting_does_not_blow_up_the_layout() -> None:
    """A valid hostile body (900 nested arrays around 25,000 numbers, 52 KB) made 46 MB of
    indented text: seconds of work on the UI thread, and a pane of 1,800-column lines."""
    depth, count = 900, 25_000
    raw = '{"a":' + "[" * depth + ",".join(["1"] * count) + "]" * depth + "}"
    pretty = pretty_json(raw)
    assert pretty is not None
    assert len(pretty) < 15 * len(raw)
    assert max(len(line) for line in pretty.splitlines()) <= 2 * MAX_INDENT_LEVELS + 2
    # every token is still there, in order
    assert "".join(pretty.split()) == raw
