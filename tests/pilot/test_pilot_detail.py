"""The detail pane, the raw JSON view and what ``o`` / ``y`` / ``c`` say (issue 9: 7, 8, 10, 11)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import TextArea

from kling_tui.gateway.normalize import normalize
from kling_tui.models import ErrorType, Status, TaskSnapshot, Video
from kling_tui.ui.bindings import ACTION_HELP, command_title
from kling_tui.ui.screens.copy import CopyTextScreen
from kling_tui.ui.screens.help import HelpScreen
from tests.support.pilot import copy_after_a_failed_open, record_notes, select
from tests.support.ui_fakes import NOW, FakeFetcher, Opener, entry, fetch_error, wait_for


def long_raw(task_id: str) -> str:
    data = ",".join(f'"field_{i}": "value {i}"' for i in range(60))
    return '{"code": 0, "data": {"task_id": "' + task_id + '", ' + data + "}}"


async def test_detail_scroll_resets_when_the_selection_moves(make_app: Any) -> None:
    tasks = [
        entry(f"task-{i:02d}", Status.SUCCEEDED, label=f"clip {i}", raw=long_raw(f"task-{i:02d}"))
        for i in range(16)
    ]
    app = make_app(tasks)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await pilot.pause()
        assert app.detail.scroll_y > 0  # the raw answer is scrolled into view
        await pilot.press("j")
        await pilot.pause()
        scrolled = app.detail.scroll_y
        await pilot.press("down")
        await pilot.pause()
        assert app.detail.scroll_y == 0, f"kept scroll offset {scrolled}"
        assert app.detail.plain_text.splitlines()[0].endswith("clip 1")
        await pilot.press("j")
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        assert app.detail.scroll_y == 0


# -- o / c without a video URL: say what is true (issue 9, item 8) ---------------------------


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (entry("t-new", None), "No video URL for t-new: not checked yet."),
        (
            entry(
                "12",
                None,
                error=fetch_error(ErrorType.NOT_FOUND, "task not found on main", status_code=404),
            ),
            "No video URL for 12: not found on the gateway main (HTTP 404).",
        ),
        (
            entry("t-to", None, error=fetch_error(ErrorType.TIMEOUT)),
            "No video URL for t-to: no answer from the gateway yet: timeout.",
        ),
        (
            entry("t-bad", Status.FAILED, message="content moderation"),
            "No video URL for t-bad: failed: content moderation.",
        ),
        (
            entry("t-bad2", Status.FAILED),
            "No video URL for t-bad2: failed: no reason given.",
        ),
        (
            entry("t-run", Status.IN_PROGRESS, progress=42.0),
            "No video URL for t-run: still rendering 42%.",
        ),
        (
            entry("t-sub", Status.SUBMITTED),
            "No video URL for t-sub: submitted, waiting to start.",
        ),
        (
            entry("t-done", Status.SUCCEEDED, videos=[Video("v", None, 5.0)]),
            "No video URL for t-done: finished without a video URL.",
        ),
        (
            entry(
                "t-gone",
                Status.IN_PROGRESS,
                progress=10.0,
                error=fetch_error(ErrorType.NOT_FOUND, "gone", status_code=404),
            ),
            "No video URL for t-gone: the gateway main no longer finds it (HTTP 404).",
        ),
    ],
)
@pytest.mark.parametrize("key", ["o", "c"])
async def test_no_video_url_says_what_is_true(
    make_app: Any, item: Any, expected: str, key: str
) -> None:
    app = make_app([item])
    async with app.run_test(size=(100, 30)) as pilot:
        notes = record_notes(app)
        await pilot.press(key)
        await pilot.pause()
        assert (expected, "warning") in notes


async def test_a_real_not_found_answer_polled_then_o_says_so(make_app: Any) -> None:
    """A gateway's 404 body through the real normaliser and poller, then ``o``."""
    answer = normalize(
        404,
        {},
        b'{"code":1203,"message":"task not found"}',
        task_id="12",
        kind="text2video",
        origin="https://main.gateway.example",
        now=NOW,
    )
    assert not hasattr(answer, "status")  # a FetchError, not a snapshot
    fetcher = FakeFetcher({"12": answer})
    app = make_app([entry("12", None)], fetcher=fetcher)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.poller.poll_once()
        await pilot.pause()
        notes = record_notes(app)
        await pilot.press("o")
        assert notes and notes[-1][0].startswith(
            "No video URL for 12: not found on the gateway main"
        )


# -- j: the raw answer, pretty-printed and still data (issue 9, item 11) ---------------------


HOSTILE_RAW = (
    '{"code":0,"zeta":1,"alpha":{"b":[1,2.50,true,null],"a":{}},'
    '"message":"[@click=app.quit]x[/] oops[/] \\u001b[31m red \\u202e"}'
)


async def test_raw_json_is_indented_in_the_order_received_and_shown_as_text(
    make_app: Any,
) -> None:
    item = entry("t-raw", Status.SUCCEEDED, raw=HOSTILE_RAW)
    app = make_app([item])
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("j")
        await pilot.pause()
        rendered = app.query_one("#detail-raw").render()
        assert rendered.plain.splitlines() == [
            "raw answer:",
            "{",
            '  "code": 0,',
            '  "zeta": 1,',
            '  "alpha": {',
            '    "b": [',
            "      1,",
            "      2.50,",
            "      true,",
            "      null",
            "    ],",
            '    "a": {}',
            "  },",
            '  "message": "[@click=app.quit]x[/] oops[/] \\u001b[31m red \\u202e"',
            "}",
        ]
        # highlighted: keys and strings carry colours from the theme
        styles = {str(span.style) for span in rendered.spans}
        assert len(styles) >= 4
        assert not any("@click" in str(span.style) for span in rendered.spans)
        # the escapes are characters on screen, not a real ESC or bidi override
        assert "\x1b" not in rendered.plain and "\u202e" not in rendered.plain


async def test_raw_json_shows_the_sanitised_body_the_normaliser_stored(make_app: Any) -> None:
    """Raw C1 and bidi characters in the body arrive as visible escapes; JSON escapes as text."""
    body = (
        '{"data":{"task_id":"t-1","task_status":"succeed",'
        '"task_status_msg":"a\u009b31m \u202eb \\u001b]52;c;eA==\\u0007"}}'
    )
    snap = normalize(200, {}, body.encode(), task_id="t-1", kind="text2video", now=NOW)
    assert isinstance(snap, TaskSnapshot) and snap.raw is not None
    item = entry("t-1", Status.SUCCEEDED)
    item.snapshot = snap
    app = make_app([item])
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("j")
        await pilot.pause()
        plain = app.query_one("#detail-raw").render().plain
        assert '"task_status_msg": "a\\x9b31m \\u202eb \\u001b]52;c;eA==\\u0007"' in plain
        assert not any(ch in plain for ch in "\x1b\x07\x9b\u202e")


async def test_a_body_that_is_not_json_is_shown_as_it_is(make_app: Any) -> None:
    item = entry("t-html", Status.SUCCEEDED, raw="<html>[b]bad gateway[/b]</html>")
    app = make_app([item])
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("j")
        await pilot.pause()
        assert app.query_one("#detail-raw").render().plain == (
            "raw answer:\n<html>[b]bad gateway[/b]</html>"
        )


# -- y / c: say the copy went through the terminal, offer it by hand (issue 9, item 10) -----


async def test_copy_says_osc52_and_shift_y_shows_the_text_to_copy_by_hand(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        notes = record_notes(app)
        select(app, "task-done-0003")
        await pilot.press("y")
        assert app.clipboard == "task-done-0003"
        message, severity = notes[-1]
        assert severity == "information"
        assert message.startswith(
            "Sent the task id to the terminal clipboard (OSC 52): task-done-0003"
        )
        assert "Y shows it" in message and "Copied" not in message
        await pilot.press("c")
        assert "video URL" in notes[-1][0]
        await pilot.press("Y")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CopyTextScreen)
        area = screen.query_one(TextArea)
        assert area.read_only and area.has_focus
        assert area.text == "https://cdn.example.com/videos/sunrise.mp4"
        assert area.selected_text == area.text  # ready for ctrl+c or a mouse copy
        # the note sits below the text: it pointed "below", at nothing
        nodes = list(screen.query("#copy-text, #copy-note"))
        assert [n.id for n in nodes] == ["copy-text", "copy-note"]
        assert "Select the text above" in str(nodes[1].render())
        await pilot.press("x", "delete")  # read-only: typing changes nothing
        assert area.text == "https://cdn.example.com/videos/sunrise.mp4"
        await pilot.press("escape")
        assert not isinstance(app.screen, CopyTextScreen)


async def test_show_copied_before_any_copy_says_how(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        notes = record_notes(app)
        await pilot.press("Y")
        assert notes == [("Nothing copied yet: y copies the task id, c the video URL.", "warning")]
        assert not isinstance(app.screen, CopyTextScreen)


async def test_copy_hint_follows_a_rebinding(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.set_keymap({"show-copied": "w"})
        notes = record_notes(app)
        await pilot.press("y")
        assert "w shows it" in notes[-1][0]
        await pilot.press("w")
        assert isinstance(app.screen, CopyTextScreen)


async def test_open_fallback_copy_offers_the_dialog_too(make_app: Any) -> None:
    app = make_app(opener=Opener(False))
    async with app.run_test(size=(80, 24)) as pilot:
        await copy_after_a_failed_open(app, pilot, "task-done-0003")
        await pilot.press("Y")
        assert isinstance(app.screen, CopyTextScreen)
        assert app.screen.text == "https://cdn.example.com/videos/sunrise.mp4"


# -- help at 80x24 and the command palette's keys (issue 9, item 15) -------------------------


async def test_help_at_80x24_keeps_esc_closes_in_view_and_wraps_under_the_text(
    make_app: Any,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        hint = screen.query_one("#help-close-hint")
        body = screen.query_one("#help-body")
        assert "Esc closes" in str(hint.render())
        assert hint.region.bottom <= 23 and hint.region.height == 1  # above the border
        assert not body.region.overlaps(hint.region)
        assert body.max_scroll_y > 0 and body.has_focus  # the rest is a scroll away
        await pilot.press("end")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
        assert hint.region.bottom <= 23
        # a wrapped description continues under itself, never at the key column
        for width in (body.content_region.width - 1, 48):
            lines = screen.plain_text(width).splitlines()
            keys = lines[1 : lines.index("")]
            column = keys[0].index("Add tasks")
            for line in keys:
                assert line[:column].strip() or line[column] != " ", line
            assert any(not line[:column].strip() for line in keys) == (width == 48)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_shows_each_commands_key_as_bound_now(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)):
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert commands["Add tasks"] == (
            "key a  ·  paste one id or many, choose kind, gateway and label"
        )
        assert commands["Remove the selected task from the watch list"] == "key d  ·  asks first"
        assert commands["Undo the last removal"] == "key u"
        assert commands["Open the selected task's video in the web browser"].startswith(
            "key o/enter"
        )
        ours = [command_title(text)[0] for action, text in ACTION_HELP.items() if action != "quit"]
        for title in ours:
            assert commands[title].startswith("key ")
            assert title not in commands[title]  # no title repeated as its description
        app.set_keymap({"add": "n"})
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert commands["Add tasks"].startswith("key n  ·")


async def test_palette_lists_the_keys_of_the_screen_under_it(make_app: Any) -> None:
    app = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p", *"Add tasks")
        await wait_for(pilot, lambda: app.screen.query_one("CommandList").option_count > 0)
        option = app.screen.query_one("CommandList").get_option_at_index(0)
        assert "key a" in str(option.prompt)
