"""Issue 9, items 4, 6, 12, 13: the filter bar's errors, the header at every width, the
table's wide layout, Home/End/g/G and columns that keep their width."""

from __future__ import annotations

from kling_tui.models import Status
from tests.pilot.ui_fakes import entry


def key(task_id: str, gateway: str = "main", kind: str = "text2video") -> str:
    return f"{gateway}:{kind}:{task_id}"


# -- 4: the filter bar says what it cannot understand ------------------------------------------


async def test_unknown_filter_terms_show_an_error_in_the_bar(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        bar = app.filter_bar
        await pilot.press("slash", *"status:bogus")
        await pilot.pause()
        assert "unknown status 'bogus'" in bar.error
        assert bar.has_class("-error")
        assert "bogus" in str(bar.border_subtitle)
        # not silently unfiltered: no row, the header counts 0 of 6, the notice says why
        assert app.table.shown_count == 0
        assert "filter 0/6" in str(app.summary.render())
        assert "The filter has an error" in str(app.empty_notice.render())
        # Enter does not keep a filter it cannot use: the bar stays, with its error
        await pilot.press("enter")
        assert bar.has_class("-open") and app.focused is bar
        # fixing the term clears the error and filters
        for _ in "bogus":
            await pilot.press("backspace")
        await pilot.press(*"failed")
        await pilot.pause()
        assert bar.error == "" and not bar.has_class("-error")
        assert app.table.shown_keys() == [key("task-failed-0004")]
        await pilot.press("enter")
        assert not bar.has_class("-open") and app.focused is app.table


async def test_negation_and_unknown_keys_are_errors_and_escape_clears(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        bar = app.filter_bar
        await pilot.press("slash", *"status:!failed")
        await pilot.pause()
        assert "'!' (not) is not supported" in bar.error
        assert app.table.shown_count == 0
        bar.value = "colour:red"
        await pilot.pause()
        assert "unknown filter colour:" in bar.error
        await pilot.press("escape")
        await pilot.pause()
        assert bar.error == "" and app.table.shown_count == 6


async def test_kind_short_label_from_the_table_filters(make_app) -> None:
    entries = [
        entry("t-1", Status.IN_PROGRESS, kind="text2video"),
        entry("i-2", Status.IN_PROGRESS, kind="image2video"),
    ]
    app = make_app(entries)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert "i2v" in {str(c) for c in app.table.get_column("kind")}
        await pilot.press("slash", *"kind:i2v", "enter")
        await pilot.pause()
        assert app.table.shown_keys() == [key("i-2", kind="image2video")]
        assert app.filter_bar.error == ""
