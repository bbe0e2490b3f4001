"""The status badge: a coloured block naming the task's state, plus a stale marker."""

from __future__ import annotations

from rich.text import Text

from kling_tui.ui.view import STATE_LABELS, RowState, badge_name
from kling_tui.ui.widgets.palette import Palette

BADGE_WIDTH = 11
"""Fits the longest label, ``in progress``; fixed so the column never jitters."""


def render_badge(state: RowState, stale: bool, palette: Palette, *, compact: bool = False) -> Text:
    """`` in progress `` on the status colour; a stale row adds `` stale `` (or ``⚠``).

    Built from plain strings only: nothing here is ever parsed as markup.
    """
    label = STATE_LABELS[state]
    text = Text(f" {label:<{BADGE_WIDTH}} ", style=palette.badge_style(badge_name(state)))
    if stale:
        if compact:
            text.append("⚠", style=palette.badge_fg("stale", bold=True))
        else:
            text.append(" stale ", style=palette.badge_style("stale"))
    return text
