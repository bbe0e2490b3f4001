"""Review of ``ui.widgets.progress._bar`` (the one bar drawing of the task and download
cells): every bar is as wide as asked, half cells by ``╸``, and the percent is the
fraction's, from 0 to 100 % and for any width."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from kling_tui.models import Status, TaskSnapshot
from kling_tui.ui.widgets.palette import Palette
from kling_tui.ui.widgets.progress import render_download, render_progress

PALETTE = Palette(
    badges={n: ("#00aa00", "#000000") for n in ("succeeded", "failed", "unknown", "in_progress")},
    foreground="#ffffff",
    muted="#888888",
    track="#444444",
    warning="#ffaa00",
    error="#ff0000",
)


def snapshot(progress: float | None) -> TaskSnapshot:
    from datetime import UTC, datetime

    t = datetime(2026, 1, 1, tzinfo=UTC)
    return TaskSnapshot("1", "text2video", Status.IN_PROGRESS, "processing", progress, (), "",
                        None, t, None, t)  # fmt: skip


@pytest.mark.parametrize("width", [1, 2, 7, 10, 23])
@pytest.mark.parametrize("progress", [0.0, 2.5, 4.9, 5.0, 49.99, 50.0, 95.0, 99.9, 100.0, 150.0])
def test_task_bar_is_as_wide_as_asked(width: int, progress: float) -> None:
    text = render_progress(snapshot(progress), PALETTE, width=width).plain
    bar, pct = text[:width], text[width:]
    assert set(bar) <= {"━", "╸", "─"} and cell_len(bar) == width
    assert bar.count("╸") <= 1 and bar.rstrip("─").rstrip("╸").strip("━") == ""
    fraction = min(progress, 100.0) / 100.0
    assert pct == f" {fraction * 100:>3.0f}%"
    halves = round(fraction * width * 2)
    assert bar.count("━") * 2 + bar.count("╸") == halves


@pytest.mark.parametrize("width", [1, 2, 10])
@pytest.mark.parametrize("fraction", [-0.5, 0.0, 0.33, 1.0, 2.0, float("nan")])
def test_download_bar_is_as_wide_as_asked(width: int, fraction: float) -> None:
    text = render_download("running", fraction, PALETTE, width=width).plain
    inner = max(1, width - 1)
    assert text[0] == "↓"
    bar = text[1 : 1 + inner]
    assert set(bar) <= {"━", "╸", "─"} and len(bar) == inner
    assert text[1 + inner :].endswith("%")
