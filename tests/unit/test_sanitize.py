"""clean_text: hostile server text becomes visible, harmless, bounded text."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kling_tui.gateway.sanitize import ELLIPSIS, clean_optional, clean_text, redact

# Independent of the implementation's own pattern on purpose.
INVISIBLE = (
    "\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff\U000e0000-\U000e007f"
    "\u206a-\u206f\ufff9-\ufffb\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
)
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff"
    + INVISIBLE
    + "]"
)
UNSAFE_MULTILINE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029\ud800-\udfff" + INVISIBLE + "]"
)
ESCAPE = r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|[ntr])"

BIDI = [
    "\u061c",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
]


@pytest.mark.parametrize(
    "text",
    [
        "plain ascii text",
        "任务超时（1440分钟）",
        "emoji 🎬😀 and flags 🇫🇷",
        "[bold]not markup here[/bold]",
        "[@click=app.quit]x[/]",
        "oops[/]",
        "[$accent]styled?",
        "https://cdn.example.test/kling/v-1.mp4?sig=a%2Fb&x=1",
        "back\\slash \\x1b already escaped text",
        "",
    ],
)
def test_safe_text_is_kept_verbatim(text: str) -> None:
    assert clean_text(text) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mred", "\\x1b[31mred"),
        ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),  # OSC 52 clipboard write
        ("\x1b]8;;http://evil\x1b\\link", "\\x1b]8;;http://evil\\x1b\\link"),  # OSC 8
        ("a\x9b2Jb", "a\\x9b2Jb"),  # C1 CSI
        ("\x80\x85\x9f", "\\x80\\x85\\x9f"),
        ("del\x7f", "del\\x7f"),
        ("nul\x00", "nul\\x00"),
        ("bell\x07 bs\x08 vt\x0b ff\x0c", "bell\\x07 bs\\x08 vt\\x0b ff\\x0c"),
        ("line1\nline2", "line1\\nline2"),
        ("a\tb", "a\\tb"),
        ("a\r\nb", "a\\r\\nb"),
        ("evil\u202egnp.exe", "evil\\u202egnp.exe"),
        ("x\u2028y\u2029z", "x\\u2028y\\u2029z"),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
        ("[bold]\x1b[0m[/]", "[bold]\\x1b[0m[/]"),
        ("中文\x1b😀", "中文\\x1b😀"),
    ],
)
def test_unsafe_characters_become_visible_escapes(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize("ch", BIDI)
def test_every_bidi_control_is_escaped(ch: str) -> None:
    assert clean_text(f"a{ch}b") == f"a\\u{ord(ch):04x}b"


@pytest.mark.parametrize("code", [*range(0x20), *range(0x7F, 0xA0)])
def test_every_c0_c1_and_del_is_escaped(code: int) -> None:
    out = clean_text(chr(code))
    assert UNSAFE.search(out) is None
    assert out.startswith("\\")
    short = {0x0A: "\\n", 0x09: "\\t", 0x0D: "\\r"}
    assert out == short.get(code, f"\\x{code:02x}")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\u200bb", "a\\u200bb"),  # zero-width space
        ("a\u200cb\u200db", "a\\u200cb\\u200db"),  # zero-width (non-)joiner
        ("\ufeffbom", "\\ufeffbom"),
        ("word\u2060joiner\u2061\u2064", "word\\u2060joiner\\u2061\\u2064"),
        ("soft\u00adhyphen \u180e", "soft\\xadhyphen \\u180e"),
        ("tag \U000e0041\U000e007f", "tag \\U000e0041\\U000e007f"),
        ("a\u206ab\u206fc", "a\\u206ab\\u206fc"),  # deprecated shaping controls
        ("note\ufff9hidden\ufffb", "note\\ufff9hidden\\ufffb"),  # interlinear annotation
        ("x\U0001bca0\U0001d173y", "x\\U0001bca0\\U0001d173y"),  # shorthand, musical
    ],
)
def test_zero_width_and_tag_characters_are_escaped(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected
    assert clean_text(raw, multiline=True) == expected


def test_zero_width_joiner_inside_emoji_is_escaped_too() -> None:
    # Issue 10 demands every U+200D be visible, even in an emoji family (it changed from
    # "kept": a joiner is also how a server hides text between two visible characters).
    assert clean_text("👨\u200d👩") == "👨\\u200d👩"


def test_cap_appends_ellipsis_and_respects_limit() -> None:
    assert clean_text("x" * 3000) == "x" * 1999 + ELLIPSIS
    assert len(clean_text("x" * 3000)) == 2000
    assert clean_text("x" * 10, limit=10) == "x" * 10
    assert clean_text("x" * 11, limit=10) == "x" * 9 + ELLIPSIS
    assert clean_text("abc", limit=1) == ELLIPSIS
    assert clean_text("a", limit=1) == "a"
    assert clean_text("abc", limit=0) == ""


def test_cap_counts_escapes_and_never_splits_one() -> None:
    # each \x1b becomes 4 characters: 2 fit in 9, the ellipsis makes 10
    assert clean_text("\x1b" * 1000, limit=10) == "\\x1b\\x1b" + ELLIPSIS
    assert clean_text("ab\u202ecd", limit=5) == "ab" + ELLIPSIS
    # escaping alone can push a short text over the limit
    assert clean_text("\x1b\x1b\x1b", limit=8) == "\\x1b" + ELLIPSIS
    assert clean_text("\x1b\x1b", limit=8) == "\\x1b\\x1b"


def test_huge_input_is_bounded_and_fast() -> None:
    big = ("\x1b[2J" + "a" * 50) * 40_000  # about 2 MB
    start = time.perf_counter()
    out = clean_text(big, limit=2000)
    elapsed = time.perf_counter() - start
    assert len(out) == 2000
    assert out.endswith(ELLIPSIS)
    assert UNSAFE.search(out) is None
    assert elapsed < 0.5  # linear: about 5 ms here; a quadratic scan of 2 MB takes minutes


def test_multiline_keeps_line_breaks_and_tabs_but_not_escapes() -> None:
    assert clean_text('{\r\n\t"a": 1\n}', multiline=True) == '{\n\t"a": 1\n}'
    assert clean_text("a\x1bb\nc\u202e", multiline=True) == "a\\x1bb\nc\\u202e"
    assert clean_text("a\rb", multiline=True) == "a\\rb"
    assert clean_text("ab\r\ncd" * 10, limit=8, multiline=True) == "ab\ncdab" + ELLIPSIS


def test_non_string_input_is_converted() -> None:
    assert clean_text(42) == "42"  # type: ignore[arg-type]
    assert clean_text(None) == "None"  # type: ignore[arg-type]


def test_clean_optional() -> None:
    assert clean_optional(None) is None
    assert clean_optional("") == ""
    assert clean_optional("a\x1bb") == "a\\x1bb"
    assert clean_optional(827996385395363846) == "827996385395363846"
    assert clean_optional("y" * 50, limit=10) == "y" * 9 + ELLIPSIS


HOSTILE = ["\x1b", "\x9b", "\x7f", "\x00", "\u202e", "\u2066", "\ud800", "\udfff", "\n", "\r", "\t"]
hostile_text = st.text(
    alphabet=st.characters(exclude_categories=())
    | st.sampled_from([*HOSTILE, "\u2028", "\u200d", "\u200b", "\U000e0041"])
)


@settings(max_examples=500)
@given(hostile_text, st.integers(min_value=1, max_value=300))
def test_property_output_is_safe_and_bounded(text: str, limit: int) -> None:
    out = clean_text(text, limit)
    assert UNSAFE.search(out) is None
    assert len(out) <= limit
    if UNSAFE.search(text) is None and len(text) <= limit:
        assert out == text
    if len(text) > limit:
        assert out.endswith(ELLIPSIS)


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(["\x1b", "\u202e"])))
def test_property_escaping_keeps_every_safe_character_in_order(text: str) -> None:
    out = clean_text(text, limit=100_000)
    # removing the escapes we add gives back the safe characters of the input, in order
    stripped = re.sub(ESCAPE, "", out)
    expected = UNSAFE.sub("", re.sub(ESCAPE, "", text))
    assert stripped == expected


@settings(max_examples=500)
@given(hostile_text, st.integers(min_value=1, max_value=300))
def test_property_multiline_is_safe_and_bounded(text: str, limit: int) -> None:
    out = clean_text(text, limit, multiline=True)
    assert UNSAFE_MULTILINE.search(out) is None
    assert "\r" not in out
    assert len(out) <= limit


# -- redact (issue 10 item 8) ----------------------------------------------------------------


def test_redact_replaces_every_occurrence_of_every_secret() -> None:
    text = "invalid Bearer sk-abcdef0123 (key ak-12345, again sk-abcdef0123)"
    out = redact(text, ["sk-abcdef0123", "ak-12345"])
    assert out == "invalid Bearer *** (key ***, again ***)"


def test_redact_catches_a_secret_cut_short_by_the_cap() -> None:
    secret = "sk-" + "x" * 40
    capped = clean_text("said: Bearer " + secret, 30)
    assert capped.endswith(ELLIPSIS) and secret[:10] in capped
    out = redact(capped, [secret])
    assert "sk-x" not in out and out.endswith("***" + ELLIPSIS)
    inner = f"token rejected (server said: {capped}): check KLING_API_KEY"
    assert "sk-x" not in redact(inner, [secret])


def test_redact_leaves_short_values_and_plain_text_alone() -> None:
    assert redact("a b c", ["a", ""]) == "a b c"
    assert redact("nothing here…", ["sk-secret"]) == "nothing here…"
