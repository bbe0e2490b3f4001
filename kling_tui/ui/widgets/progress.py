"""The progress cell: a thin text bar and a percentage, coloured by the task's state.

A text bar (not a Rich ``ProgressBar``) so a cell is a plain ``Text``: cheap to compare,
so an unchanged bar is never sent to ``update_cell`` again.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from kling_tui.models import Status, TaskSnapshot
from kling_tui.ui.widgets.palette import Palette


def bar_fraction(snapshot: TaskSnapshot | None) -> float | None:
    """0..1, or None when there is nothing to show (no snapshot / no progress yet)."""
    if snapshot is None:
        return None
    if snapshot.status is Status.SUCCEEDED:
        return 1.0
    if snapshot.progress is None:
        return None
    return max(0.0, min(1.0, snapshot.progress / 100.0))


def _bar(text: Text, fraction: float, width: int, bar_style: Style, track_style: Style) -> Text:
    """Append ``━━━╸──`` (half cells by ``╸``) and `` 42%`` to ``text``: the one bar drawing."""
    full, half = divmod(round(fraction * width * 2), 2)
    text.append("━" * full, style=bar_style)
    if half:
        text.append("╸", style=bar_style)
    rest = width - full - half
    if rest > 0:
        text.append("─" * rest, style=track_style)
    text.append(f" {fraction * 100:>3.0f}%")
    return text


def render_progress(snapshot: TaskSnapshot | None, palette: Palette, *, width: int = 10) -> Text:
    """``━━━━━╸────  56%``. Unknown progress shows an empty track and ``—``."""
    fraction = bar_fraction(snapshot)
    status = snapshot.status if snapshot is not None else None
    colour_name = (
        {
            Status.SUCCEEDED: "succeeded",
            Status.FAILED: "failed",
            Status.UNKNOWN: "unknown",
        }.get(status, "in_progress")
        if status is not None
        else "unknown"
    )
    bar_style = palette.badge_fg(colour_name)
    track_style = palette.track_style
    text = Text()
    if fraction is None:
        text.append("─" * width, style=track_style)
        text.append("    —", style=palette.muted_style)
        return text
    return _bar(text, fraction, width, bar_style, track_style)


def render_download(
    state: str, fraction: float | None, palette: Palette, *, width: int = 10
) -> Text:
    """The progress cell of a task being (or done being) downloaded, as wide as a bar:
    ``↓ queued``, ``↓━━━╸──  42%``, ``✓ saved``, ``✗ dl failed``."""
    if state == "queued":
        return Text("↓ queued", style=palette.muted_style)
    if state == "failed":
        return Text("✗ dl failed", style=palette.badge_fg("failed", bold=True))
    if state != "running":
        return Text("✓ saved", style=palette.badge_fg("succeeded"))
    bar_style = palette.badge_fg("unknown")  # the accent: not the task's own green bar
    text = Text("↓", style=bar_style)
    inner = max(1, width - 1)
    if fraction is None:
        text.append("─" * inner, style=palette.track_style)
        text.append("   …", style=palette.muted_style)
        return text
    return _bar(text, max(0.0, min(1.0, fraction)), inner, bar_style, palette.track_style)
