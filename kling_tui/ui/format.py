"""Pure formatting helpers for the dashboard: durations, ages, short ids.

Kept free of Textual so they are trivially unit-testable and identical in every widget.
All times are aware datetimes; ``now`` is always passed in, never read here, so the
dashboard (and its snapshot tests) decide what "now" is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime

from rich.cells import cell_len
from rich.style import Style
from rich.table import Table
from rich.text import Text

from kling_tui.gateway.sanitize import ELLIPSIS

DASH = "—"


def fmt_span(seconds: float | None) -> str:
    """A compact span: ``45s``, ``2m05s``, ``1h02m``, ``3d04h``; ``—`` when unknown."""
    if seconds is None or math.isnan(seconds) or math.isinf(seconds):
        return DASH
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h{m:02d}m"
    d, h = divmod(h, 24)
    if d < 1000:
        return f"{d}d{h:02d}h"
    return ">999d"


def fmt_ago(then: datetime | None, now: datetime) -> str:
    """How long ago ``then`` was: ``just now``, ``12s ago``, ``3m04s ago``; ``never``."""
    if then is None:
        return "never"
    seconds = (now - then).total_seconds()
    if seconds < -5:
        return "in the future"
    if seconds < 1:
        return "just now"
    return f"{fmt_span(seconds)} ago"


def fmt_video_duration(seconds: float | None) -> str:
    """Video length: ``5s``, ``10.5s``, ``1m30s``."""
    if seconds is None or math.isnan(seconds) or seconds < 0:
        return DASH
    if seconds < 60:
        return f"{seconds:.1f}".rstrip("0").rstrip(".") + "s"
    return fmt_span(seconds)


def fmt_progress(progress: float | None) -> str:
    """``56%``; ``—`` when the gateway does not report progress."""
    if progress is None:
        return DASH
    return f"{max(0.0, min(100.0, progress)):.0f}%"


def fmt_time(value: datetime | None) -> str:
    """An absolute UTC time for the detail pane, second precision."""
    if value is None:
        return DASH
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def shorten_middle(value: str, width: int) -> str:
    """``abcdef…wxyz`` so both ends of an id stay recognisable; unchanged when it fits."""
    if width <= 0:
        return ""
    if cell_len(value) <= width:
        return value
    if width <= 3:
        return value[:width]
    tail = (width - 1) // 3
    head = width - 1 - tail
    return f"{value[:head]}…{value[len(value) - tail :]}" if tail else f"{value[:head]}…"


def truncate_text(text: Text, width: int) -> Text:
    """Cut a Text to ``width`` cells with an ellipsis (wide characters counted as 2)."""
    if text.cell_len > width:
        text = text.copy()
        text.truncate(width, overflow="ellipsis")
    return text


def clip(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters with ``…``: the length cap of ``clean_text``.

    For text that is clean already (everything in a ``WatchEntry``, ``TaskSnapshot`` or
    ``FetchError``: normalize and the watch-list loader cleaned it where it entered), so
    the UI bounds its layout cost without escaping it a second time.
    """
    if len(value) <= limit:
        return value
    return value[: max(0, limit - 1)] + ELLIPSIS if limit > 0 else ""


def fmt_bytes(size: int | None) -> str:
    """A file size: ``512 B``, ``12.3 KB``, ``4.0 MB``, ``1.2 GB`` (powers of 1024)."""
    if size is None or size < 0:
        return DASH
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return DASH


def text_table(columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]]) -> Table:
    """A borderless table with bold headers, ``columns`` as (name, justify) pairs.

    Every cell becomes a :class:`~rich.text.Text`, so a server string in a row is shown as
    it is, never read as markup (the Costs and Stats screens' tables)."""
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style=Style(bold=True))
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table
