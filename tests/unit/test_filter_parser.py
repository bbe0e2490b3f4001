"""The filter parser (``kling_tui.ui.view.parse_filter``): pure, no Textual.

Issue 9: ``status:bogus`` and ``status:!failed`` were ignored (every row shown, no word
said) and ``kind:i2v`` found nothing though the Kind column shows ``i2v``.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from kling_tui.models import Status, WatchEntry
from kling_tui.ui.view import parse_filter, split_terms
from kling_tui.ui.widgets.summary import COUNTED
from kling_tui.ui.widgets.table_cells import SHORT_KINDS
from tests.support.ui_fakes import entry, fetch_error


def shown(text: str, entries) -> list[str]:
    task_filter = parse_filter(text)
    return [e.task_id for e in entries if task_filter.matches(e)]


ENTRIES = [
    entry("t2v-1", Status.IN_PROGRESS, kind="text2video", gateway="demo-relay"),
    entry("i2v-2", Status.FAILED, kind="image2video", gateway="demo-native"),
    entry("multi-3", Status.SUBMITTED, kind="multi-image2video", gateway="other"),
    entry("err-4", None, kind="text2video", gateway="other", error=fetch_error()),
]


def test_the_parser_needs_no_textual() -> None:
    code = "import sys, kling_tui.ui.view; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("status:bogus", "unknown status 'bogus'"),
        ("!", "'!' needs a term"),
        ("status:!", "'!' needs a term"),
        ("!!failed", "'!!' is not a term"),
        ("!status:bogus", "unknown status 'bogus'"),
        ("kind:bogus", "unknown kind 'bogus'"),
        ("colour:red", "unknown filter colour:"),
        ("status:", "status: needs a value"),
    ],
)
def test_an_unknown_term_is_a_problem_and_matches_nothing(text: str, problem: str) -> None:
    task_filter = parse_filter(text)
    assert any(problem in p for p in task_filter.problems), task_filter.problems
    assert task_filter.hint  # says what would have worked
    assert task_filter.active  # the table is not silently unfiltered...
    assert shown(text, ENTRIES) == []  # ...it shows nothing, and the bar says why


def test_a_problem_anywhere_spoils_the_whole_filter() -> None:
    assert shown("status:failed kind:nope", ENTRIES) == []
    assert shown("status:failed", ENTRIES) == ["i2v-2"]


def test_every_short_kind_label_of_the_table_filters() -> None:
    present = {e.kind for e in ENTRIES}
    for kind, short in SHORT_KINDS.items():
        found = shown(f"kind:{short}", ENTRIES)
        assert found == shown(f"kind:{kind}", ENTRIES)
        assert (found != []) == (kind in present)
    assert shown("kind:mi2v", ENTRIES) == ["multi-3"]
    assert shown("kind:i2v", ENTRIES) == ["i2v-2"]
    assert shown("kind:T2V", ENTRIES) == ["t2v-1", "err-4"]
    assert shown("kind:i2v,multi-i2v", ENTRIES) == ["i2v-2", "multi-3"]


def test_every_status_word_shown_filters() -> None:
    # the badge words (quoted when they have a space) and the header's short count labels
    assert shown('status:"in progress"', ENTRIES) == ["t2v-1"]
    for name, long_label, short_label in COUNTED:
        for word in (name, long_label, short_label):
            task_filter = parse_filter(f'status:"{word}"')
            assert not task_filter.problems, word
            assert task_filter.statuses, word
    assert shown("status:sub", ENTRIES) == ["multi-3"]
    assert shown("status:run", ENTRIES) == ["t2v-1"]
    assert shown("status:err", ENTRIES) == ["err-4"]


def test_gateway_names_and_their_start_filter() -> None:
    assert shown("gw:demo-relay", ENTRIES) == ["t2v-1"]
    assert shown("gw:demo", ENTRIES) == ["t2v-1", "i2v-2"]  # the column cuts long names
    assert shown("gw:nowhere", ENTRIES) == []
    assert not parse_filter("gw:nowhere").problems


def test_free_words_with_colons_are_words() -> None:
    # labels such as "storyboard: 4 shots" and URLs are searched, not read as keys
    assert parse_filter("storyboard: 4").words == ("storyboard:", "4")
    assert parse_filter("https://cdn.example.com/x").words == ("https://cdn.example.com/x",)
    assert not parse_filter("storyboard: https://x").problems


def test_terms_split_on_spaces_and_quotes_keep_them() -> None:
    assert split_terms('a  "b c" status:"in progress"') == ["a", "b c", "status:in progress"]
    assert split_terms('"unclosed quote') == ["unclosed quote"]
    assert split_terms("") == []


def _relay_task() -> WatchEntry:
    """Watched by its relay id; the answer named Kling's id and the caller's external id."""
    e = entry("task_" + "Ab12" * 8, Status.IN_PROGRESS, external_task_id="order-42")
    assert e.snapshot is not None
    e.snapshot = replace(e.snapshot, kling_task_id="866889456698785798")
    return e


def test_id_term_finds_a_task_by_any_of_its_ids() -> None:
    """Issue 12: the relay's id, Kling's id inside its answer and the external id."""
    relay = _relay_task()
    entries = [*ENTRIES, relay]
    for asked in ("task_" + "Ab12" * 8, "866889456698785798", "order-42", "ORDER-42", "8668894"):
        assert shown(f"id:{asked}", entries) == [relay.task_id], asked
    assert shown("id:t2v-1,i2v-2", entries) == ["t2v-1", "i2v-2"]
    assert shown("id:nope", entries) == []
    assert not parse_filter("id:nope").problems
    assert parse_filter("id:").problems == ("id: needs a value",)


def test_plain_words_search_every_id() -> None:
    relay = _relay_task()
    assert shown("866889456698785798", [*ENTRIES, relay]) == [relay.task_id]
    assert shown("order-42", [*ENTRIES, relay]) == [relay.task_id]


# -- issue 14: negation, label:, model:, hostile text -----------------------------------


def test_negation_of_any_term_and_terms_anded() -> None:
    assert shown("!status:failed", ENTRIES) == ["t2v-1", "multi-3", "err-4"]
    assert shown("status:!failed", ENTRIES) == ["t2v-1", "multi-3", "err-4"]
    # the '!' after the colon negates every value, as '!' before the key does
    assert shown("status:!failed,error", ENTRIES) == ["t2v-1", "multi-3"]
    assert shown("kind:!t2v,i2v", ENTRIES) == shown("!kind:t2v,i2v", ENTRIES) == ["multi-3"]
    assert shown("!kind:t2v !gw:other", ENTRIES) == ["i2v-2"]
    assert shown("!i2v-2 !multi", ENTRIES) == ["t2v-1", "err-4"]
    assert shown("kind:t2v !status:err", ENTRIES) == ["t2v-1"]
    assert shown('!"demo-relay"', ENTRIES) == ["i2v-2", "multi-3", "err-4"]
    assert parse_filter("!status:failed").excluded[0].statuses == {"failed"}


def test_label_and_model_terms() -> None:
    labelled = [
        entry("a", Status.SUCCEEDED, label="Red, fox"),
        entry("b", Status.SUCCEEDED, label="blue"),
        entry("c", None),
    ]
    assert shown("label:red", labelled) == ["a"]
    assert shown('label:"red, fox"', labelled) == ["a"]  # commas belong to the label
    assert shown("!label:red", labelled) == ["b", "c"]
    modelled = [*labelled]
    assert labelled[1].snapshot is not None
    labelled[1].snapshot = replace(labelled[1].snapshot, model="kling-v2-1")
    assert shown("model:v2-1", modelled) == ["b"]
    assert shown("!model:v2", modelled) == ["a", "c"]
    assert parse_filter("model:").problems == ("model: needs a value",)


def test_unknown_terms_say_what_works_and_hostile_text_stays_data() -> None:
    task_filter = parse_filter("!colour:red")
    assert task_filter.problems == ("unknown filter colour:",)
    assert "! before a term negates it" in task_filter.hint
    hostile = "[@click=app.quit]x[/] \x1b]52;c;AAAA\x07 \u202e " + "!" * 5
    parsed = parse_filter(hostile)
    assert parsed.problems  # '!!!!!' is not a term
    assert shown("[@click=app.quit]x[/]", ENTRIES) == []
    assert len(parse_filter("x" * 100_000).text) == 500  # cut, never a huge term
