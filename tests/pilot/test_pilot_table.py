"""Issue 9, items 4, 6, 12, 13: the filter bar's errors, the header at every width, the
table's wide layout, Home/End/g/G and columns that keep their width."""

from __future__ import annotations

from kling_tui.models import Status
from kling_tui.polling.poller import PollUpdate
from kling_tui.ui.messages import PollerBatch
from tests.support.ui_fakes import entry


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
        assert "bogus" in str(bar.border_title)
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
        await pilot.press("slash", *"status:!")
        await pilot.pause()
        assert "'!' needs a term" in bar.error
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


# -- 13: Home/End/g/G, a steady ETA column ------------------------------------------------------


async def test_home_end_and_shift_g_go_to_the_first_and_last_row(make_app) -> None:
    """``g`` was the first row too until issue 14 gave it to the Stats screen."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.table
        table.focus()
        await pilot.pause()
        last = table.row_count - 1
        assert table.cursor_row == 0 and last == 5
        for press, row in (("end", last), ("home", 0), ("G", last), ("home", 0)):
            await pilot.press(press)
            await pilot.pause()
            assert table.cursor_row == row, press
        await pilot.press("G")
        assert table.current_key() == table.shown_keys()[-1]


async def test_end_reaches_rows_a_rebuild_has_not_added_yet(make_app) -> None:
    entries = [entry(f"task-{n:05d}", Status.SUBMITTED, added_ago=5000 - n) for n in range(1500)]
    app = make_app(entries)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.table
        table.focus()
        table.rebuild()  # 200 rows now, the rest a step at a time after the next frames
        assert table.rows_pending
        await pilot.press("end")
        await pilot.pause()
        assert table.row_count == 1500 and not table.rows_pending
        assert table.current_key() == key("task-01499")


async def test_the_eta_column_keeps_its_width_as_values_change(make_app) -> None:
    from textual.widgets.data_table import ColumnKey

    first = entry("task-a", Status.IN_PROGRESS, progress=10.0, fetched_ago=2000)
    app = make_app([first])
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.table
        await pilot.pause()

        def widths() -> tuple[int, int]:
            eta = table.columns[ColumnKey("eta")]
            left_of_checked = sum(
                c.get_render_width(table)
                for k, c in table.columns.items()
                if list(table.columns).index(k) < list(table.columns).index(ColumnKey("checked"))
            )
            return eta.content_width, left_of_checked

        before = widths()
        seen = {before}
        etas = {str(next(iter(table.get_column("eta"))))}
        # progress moves: the ETA goes from "—" to minutes, then hours, then seconds
        for progress, ago in ((11.0, 1990), (60.0, 1000), (99.5, 0)):
            moved = entry("task-a", Status.IN_PROGRESS, progress=progress, fetched_ago=ago)
            # through the app's one path (view model feeds the ETA, the table draws)
            update = PollUpdate(moved, Status.IN_PROGRESS, stale=False)
            app.apply_batch(PollerBatch(updates={moved.key: update}))
            await pilot.pause()
            etas.add(str(next(iter(table.get_column("eta")))))
            seen.add(widths())
        assert len({len(text) for text in etas}) >= 3, etas  # values of several widths...
        assert seen == {before}, seen  # ...and neither the ETA nor Checked column moved


# -- 12: a wide terminal gives its spare width to the label and the id ---------------------------


async def test_at_200_columns_a_35_character_label_and_a_19_digit_id_show_whole(make_app) -> None:
    label = "a storyboard of four shots, at dusk"
    task_id = "8624687685557590591"
    assert (len(label), len(task_id)) == (35, 19)
    app = make_app([entry(task_id, Status.IN_PROGRESS, progress=30.0, label=label)])
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        table = app.table
        assert app.main_area.has_class("-beside")
        cells = {str(c) for column in ("label", "id") for c in table.get_column(column)}
        assert cells == {label, task_id}
        assert table.virtual_size.width <= table.size.width  # and nothing scrolls sideways


def test_spare_width_goes_to_the_id_then_the_label_in_steps() -> None:
    from kling_tui.ui.widgets.table_layout import layout_for_width

    assert (layout_for_width(120).label_width, layout_for_width(120).id_width) == (20, 14)
    assert (layout_for_width(80).label_width, layout_for_width(80).id_width) == (16, 12)
    wider = layout_for_width(140)
    assert (wider.name, wider.id_width, wider.label_width) == ("normal", 19, 35)
    assert layout_for_width(141) == layout_for_width(144) == wider  # no rebuild per column
    assert layout_for_width(400).label_width == 60


# -- 6: the header's parts give way in a fixed order, never mid-word ------------------------------

DEMO_NOTE = (
    "demo · gateway http://127.0.0.1:34575 · watch list deleted on exit"
    " · /tmp/kling-tui-demo-dnihgl2d/watchlist.toml"
)


async def header_at(make_app, width: int, text: str = "status:running") -> tuple[str, str]:
    app = make_app(gateways=("demo-relay", "demo-native"), demo_note=DEMO_NOTE)
    async with app.run_test(size=(width, 30)) as pilot:
        app.apply_filter(text)
        await pilot.pause()
        note = app.query_one("#demo-note")
        assert note.size.height == 1  # the notice never wraps to a second line
        return str(app.summary.render()), str(note.render())


async def test_header_with_a_filter_and_the_demo_notice_at_80_120_200(make_app) -> None:
    headers = {w: await header_at(make_app, w) for w in (80, 120, 200)}
    for width, (header, note) in headers.items():
        assert len(header) <= width and len(note) <= width - 2, width
        assert "…" not in header and "…" not in note  # whole parts and words only
        assert header.rstrip().endswith("filter 2/6") or "filter 2/6 │" in header, header
        assert note.startswith("demo · gateway http://127.0.0.1:34575"), note
    h80, h120, h200 = (headers[w][0] for w in (80, 120, 200))
    assert all("kling-tui" in h for h in (h80, h120, h200))  # it vanished at 120 only
    assert "demo-relay, demo-native" in h200 and "1 submitted · 2 in progress" in h200
    assert "sort: added" in h200
    assert "demo-relay" in h120 and "sort" not in h120
    assert "1 sub 2 run" in h80
    n80, n120, n200 = (headers[w][1] for w in (80, 120, 200))
    assert n80 == "demo · gateway http://127.0.0.1:34575 · watch list deleted on exit"
    assert n120 == n200 == DEMO_NOTE


def test_fit_parts_drops_in_the_given_order_and_never_cuts_a_word() -> None:
    from rich.text import Text

    from kling_tui.ui.widgets.fit import cut_at_word, fit_parts

    parts = [
        [Text("title"), Text()],
        [Text("alpha beta"), Text("alpha")],
        [Text("count"), Text()],
    ]
    sep = Text(" | ")
    assert fit_parts(parts, [1, 0, 2], 100, sep).plain == "title | alpha beta | count"
    assert fit_parts(parts, [1, 0, 2], 21, sep).plain == "title | alpha | count"
    assert fit_parts(parts, [1, 0, 2], 14, sep).plain == "alpha | count"
    assert fit_parts(parts, [1, 0, 2], 6, sep).plain == "alpha"
    # an earlier step is undone when a later one freed enough room
    longer = [[Text("a" * 10), Text()], [Text("b" * 30), Text("b")]]
    assert fit_parts(longer, [0, 1], 14, sep).plain == "a" * 10 + " | b"
    assert cut_at_word(Text("one two three"), 10).plain == "one two…"
    assert cut_at_word(Text("unbreakable"), 5).plain == "…"
