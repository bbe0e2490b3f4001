"""Scrollbars drawn in whole cells.

Textual draws the ends of a scrollbar thumb with eighth-block glyphs (``▁▂▃…▇``, ``▉▊…▏``)
for smoothness. In tmux (256 colours, or a font that draws those blocks differently) they
showed as stray characters at the right edge of the table and the detail pane. A thumb made
of whole reversed cells reads the same everywhere; scrolling by wheel, drag and keys is
unchanged (only the drawing is replaced).
"""

from __future__ import annotations

from typing import ClassVar

from textual.scrollbar import ScrollBar, ScrollBarRender


class WholeCellScrollBarRender(ScrollBarRender):
    """A thumb of whole cells: no partial-block glyph at either end."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


def use_whole_cell_scrollbars() -> None:
    """Every scrollbar of this process draws whole cells (set once at app start)."""
    ScrollBar.renderer = WholeCellScrollBarRender
