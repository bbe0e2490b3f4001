"""Task ids: refuse what could change the URL or fool the eye; encode the rest."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kling_tui.gateway.ids import (
    ID_FORMS_HINT,
    MAX_ID_LENGTH,
    IdForm,
    InvalidTaskId,
    classify_id,
    percent_encode_id,
    split_ids,
    validate_task_id,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("827996385395363846", "827996385395363846"),
        ("8279963853953638467", "8279963853953638467"),  # 19 digits, beyond 2**53
        ("CjMT7WdSwWcAAAAAALvB3g", "CjMT7WdSwWcAAAAAALvB3g"),
        ("task_Q2xvbmVkQnlLbGluZ1R1aURlbW8xMjM0", "task_Q2xvbmVkQnlLbGluZ1R1aURlbW8xMjM0"),
        ("kling-v1825380683199176793", "kling-v1825380683199176793"),
        ("order-42", "order-42"),
        ("  827996385395363846\n", "827996385395363846"),
        ("\t order-42 \r\n", "order-42"),
        ("订单-42", "订单-42"),
        ("a.b", "a.b"),
        (".hidden", ".hidden"),
        ("a%2Fb", "a%2Fb"),  # stays literal; it is percent-encoded again on the way out
        ("x" * MAX_ID_LENGTH, "x" * MAX_ID_LENGTH),
    ],
)
def test_valid_ids_are_returned_stripped(raw: str, expected: str) -> None:
    assert validate_task_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "task id is empty"),
        ("   \n\t", "task id is empty"),
        ("x" * (MAX_ID_LENGTH + 1), "longer than 256 characters (257)"),
        (".", '"." is not a task id'),
        ("..", 'contains ".."'),
        ("a..b", 'contains ".."'),
        ("../etc/passwd", 'contains ".."'),
        ("a/b", 'contains "/" (a path separator)'),
        ("a\\b", 'contains "\\" (a path separator on some servers)'),
        ("a?b=1", 'contains "?" (it would start a query string)'),
        ("a#frag", 'contains "#" (it would start a URL fragment)'),
        ("a b", "contains whitespace (U+0020 SPACE)"),
        ("a\tb", "contains whitespace (U+0009)"),
        ("a\nb", "contains whitespace (U+000A)"),
        ("a\u3000b", "contains whitespace (U+3000 IDEOGRAPHIC SPACE)"),
        ("a\x1bb", "contains a control character (U+001B)"),
        ("a\x00b", "contains a control character (U+0000)"),
        ("a\x7fb", "contains a control character (U+007F)"),
        ("a\x9bb", "contains a control character (U+009B)"),
        ("a\u202eb", "contains a control character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
        ("a\u200bb", "contains a control character (U+200B ZERO WIDTH SPACE)"),
        ("a\u2028b", "contains whitespace (U+2028 LINE SEPARATOR)"),
        ("a\ud800b", "contains a control character (U+D800)"),
    ],
)
def test_invalid_ids_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidTaskId) as info:
        validate_task_id(raw)
    assert reason in str(info.value)
    assert info.value.reason.startswith(reason)


def test_invalid_id_message_names_the_id_escaped() -> None:
    with pytest.raises(InvalidTaskId) as info:
        validate_task_id("evil\x1b]52;c;x\x07/")
    message = str(info.value)
    assert message == "'evil\\x1b]52;c;x\\x07/': contains \"/\" (a path separator)"
    assert "\x1b" not in message
    assert info.value.task_id == "evil\x1b]52;c;x\x07/"


def test_invalid_id_message_caps_a_long_id() -> None:
    with pytest.raises(InvalidTaskId) as info:
        validate_task_id("y" * 5000)
    assert len(str(info.value)) < 200
    assert str(info.value).endswith("longer than 256 characters (5000)")


def test_invalid_task_id_is_a_value_error() -> None:
    assert issubclass(InvalidTaskId, ValueError)
    with pytest.raises(ValueError, match="must be text"):
        validate_task_id(12345)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a b,c\nd", ["a", "b", "c", "d"]),
        ("a, b ,, c", ["a", "b", "c"]),
        ("  \n, ,\t", []),
        ("", []),
        ("x\r\ny\r\n", ["x", "y"]),
        ("b a b c a", ["b", "a", "c"]),
        (
            "827996385395363846,827996385395363846\n827996385395363847",
            [
                "827996385395363846",
                "827996385395363847",
            ],
        ),
        ("one", ["one"]),
        ("a\u3000b", ["a", "b"]),
    ],
)
def test_split_ids(text: str, expected: list[str]) -> None:
    assert split_ids(text) == expected


@pytest.mark.parametrize(
    ("task_id", "encoded"),
    [
        ("827996385395363846", "827996385395363846"),
        ("task_AbC-1.2~x", "task_AbC-1.2~x"),
        ("a b/c?d#e%f", "a%20b%2Fc%3Fd%23e%25f"),
        ("订单", "%E8%AE%A2%E5%8D%95"),
        ("a+b&c=d", "a%2Bb%26c%3Dd"),
    ],
)
def test_percent_encode_id(task_id: str, encoded: str) -> None:
    assert percent_encode_id(task_id) == encoded


@settings(max_examples=500)
@given(st.text(max_size=300))
def test_property_accepted_ids_are_one_safe_path_segment(raw: str) -> None:
    try:
        task_id = validate_task_id(raw)
    except InvalidTaskId as exc:
        assert str(exc)
        return
    assert task_id == raw.strip()
    assert 0 < len(task_id) <= MAX_ID_LENGTH
    assert not any(ch in task_id for ch in "/\\?#")
    assert ".." not in task_id and task_id != "."
    assert not any(ch.isspace() for ch in task_id)
    assert re.fullmatch(r"[A-Za-z0-9_.~%-]+", percent_encode_id(task_id))


@settings(max_examples=500)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=12), max_size=20))
def test_property_split_ids_has_no_empties_separators_or_repeats(parts: list[str]) -> None:
    ids = split_ids(" , ".join(parts))
    assert len(ids) == len(set(ids))
    for item in ids:
        assert item
        assert "," not in item
        assert not any(ch.isspace() for ch in item)


# -- id forms: a warning for what looks like no known id --------------------------------


@pytest.mark.parametrize(
    ("task_id", "form"),
    [
        ("827996385395363846", IdForm.KLING_NUMERIC),
        ("8279963853953638467", IdForm.KLING_NUMERIC),
        ("CjMT7WdSwWcAAAAAALvB3g", IdForm.KLING_BASE64),
        ("task_Q2xvbmVkQnlLbGluZ1R1aURlbW8xMjM0", IdForm.RELAY_TASK),
        ("task_QW5vdGhlclRhc2tGb3JUaGVEYXNoYm9hcmQ", IdForm.RELAY_TASK),  # a fixture: 35
        ("kling-v1825380683199176793", IdForm.RELAY_KLING),
    ],
)
def test_known_id_forms_are_recognised(task_id: str, form: IdForm) -> None:
    assert classify_id(task_id) is form


@pytest.mark.parametrize(
    "task_id",
    [
        "abc-not-an-id",
        "12",
        "1" * 32,  # a 32-digit number: neither a Kling id nor a relay id
        "1" * 17,
        "1" * 20,
        "1" * 22,  # 22 digits: a mistyped number, not a base64 id
        "task_short",
        "task-" + "a" * 32,
        "order-42",  # an external id: free text, allowed, but worth a second look
        "８２７９９６３８５３９５３６３８４６",  # fullwidth digits
        " 827996385395363846",  # not stripped: classify what will be sent
    ],
)
def test_other_ids_match_no_form(task_id: str) -> None:
    assert classify_id(task_id) is None


def test_the_hint_names_both_forms() -> None:
    assert "18-19 digits" in ID_FORMS_HINT and "task_" in ID_FORMS_HINT


@pytest.mark.parametrize(
    "raw",
    ["866889456698785798", "abcDEF0123", "a" * 256, "a" * 257, "9", "é1", "１２３", "a.b", "a_b"],
)
def test_ascii_alnum_shortcut_agrees_with_the_full_rules(raw: str) -> None:
    """Letters and digits only take a shortcut: accepted exactly when the full rules accept
    (up to 256 characters; a non-ASCII letter or digit goes through the full rules)."""
    try:
        got: str | None = validate_task_id(raw)
    except InvalidTaskId:
        got = None
    expected = None if len(raw) > 256 else raw
    assert got == expected
