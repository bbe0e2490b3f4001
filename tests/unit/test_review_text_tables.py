"""Review of ``ui.format.text_table`` as the Costs and Stats screens use it: a server's
string in a cell is shown as it is (markup stays text, no link is made), with its control,
bidi and zero-width characters taken out by the screens' ``clean_text``."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from kling_tui.costs import CostRow, CostSummary, PackReport, ResourcePack
from kling_tui.stats import Distribution, StatsSummary
from kling_tui.ui.format import text_table
from kling_tui.ui.screens.costs import packs_text, spend_table
from kling_tui.ui.screens.stats import numbers

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
MARKUP = "[bold]b[/bold][@click=app.quit]q[/]"
SNEAKY = "\x1b[31m\u202egnp.exe\u200b\x07"


def shown(renderable: object) -> str:
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


def assert_clean(text: str, cut: int = len(MARKUP)) -> None:
    assert MARKUP[:cut] in text
    for bad in ("\x1b", "\u202e", "\u200b", "\x07"):
        assert bad not in text, repr(bad)


def test_text_table_cells_are_text_not_markup() -> None:
    table = text_table((("a", "left"), ("b", "right")), [(MARKUP, "1"), ("[red]", "2")])
    out = shown(table)
    assert MARKUP in out and "[red]" in out
    assert [c.header for c in table.columns] == ["a", "b"]
    assert [c.justify for c in table.columns] == ["left", "right"]


def test_spend_table_shows_server_strings_literally_and_cleaned() -> None:
    row = CostRow(MARKUP + SNEAKY, "text2video", MARKUP + SNEAKY, "units", 2.0, 5.0, 1, 2)
    out = shown(spend_table(CostSummary(2.0, 5.0, rows=(row,))))
    assert_clean(out)


def test_packs_text_shows_server_strings_literally_and_cleaned() -> None:
    pack = ResourcePack(
        MARKUP + SNEAKY, "p1", "video", 100.0, 40.0, None, None, None, MARKUP + SNEAKY
    )
    out = shown(packs_text([PackReport("native", (pack,), NOW)], ["native"], NOW))
    assert_clean(out, cut=19)  # the status column is cut at 20 characters (with "…")


def test_stats_numbers_show_kinds_literally_and_cleaned() -> None:
    stats = StatsSummary(NOW, waits=(Distribution(MARKUP + SNEAKY, (1.0, 2.0, 3.0)),))
    assert_clean(shown(numbers(stats)), cut=29)  # kinds are cut at 30 (with "…")
