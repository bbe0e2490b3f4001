"""What the dashboard looks like, pinned as SVG snapshots.

Every test injects a fixed ``now``, no clock tick and no live polling, so the pictures do
not depend on the clock or the network. Plain ``def`` tests, as pytest-textual-snapshot wants.
Regenerate with ``pytest tests/snapshots --snapshot-update`` and look at the diff.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kling_tui.config import AppConfig
from kling_tui.models import ErrorType, Status, Video, WatchEntry
from kling_tui.ui.app import KlingApp
from tests.support.ui_fakes import (
    NOW,
    FakeFetcher,
    entry,
    fetch_error,
    make_config,
    make_poller,
    mixed_entries,
)


def build(
    tmp_path: Path,
    entries: Iterable[WatchEntry] | None = None,
    *,
    fetcher: FakeFetcher | None = None,
    gateways: tuple[str, ...] = ("main",),
    **kwargs: Any,
) -> KlingApp:
    poller = make_poller(tmp_path, mixed_entries() if entries is None else entries, fetcher)
    return KlingApp(
        poller,
        make_config(*gateways),
        now=lambda: NOW,
        start_polling=False,
        open_browser=lambda _url: True,
        tick_interval=0,
        **kwargs,
    )


def test_empty_watch_list(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(build(tmp_path, []), terminal_size=(80, 24))


def test_mixed_statuses(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(build(tmp_path), terminal_size=(130, 32))


def test_mixed_statuses_80x24(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(build(tmp_path), terminal_size=(80, 24))


def test_large_terminal_detail_beside(snap_compare, tmp_path: Path) -> None:
    app = build(tmp_path, gateways=("main", "relay"))

    async def select_failed(pilot: Any) -> None:
        app.table.select_key("main:text2video:task-failed-0004")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(240, 45), run_before=select_failed)


def test_add_dialog_with_an_error(snap_compare, tmp_path: Path) -> None:
    app = build(tmp_path, [])
    assert snap_compare(app, terminal_size=(100, 30), press=["a", *"good-1 bad/id ..", "ctrl+s"])


def test_detail_pane_with_raw_json(snap_compare, tmp_path: Path) -> None:
    raw = '{"code":0,"message":"SUCCEED","data":{"task_id":"multi-01","task_status":"succeed"}}'
    videos = [
        Video("v-1", "https://cdn.example.com/videos/a.mp4", 5.0),
        Video("v-2", "javascript:alert(1)", 10.0),
    ]
    item = entry(
        "multi-01",
        Status.SUCCEEDED,
        label="two takes",
        videos=videos,
        raw=raw,
        message="done [@click=app.quit]x[/]",
        external_task_id="ext-77",
        error=fetch_error(ErrorType.RATE_LIMITED, "429 Too Many Requests", status_code=429),
    )
    app = build(tmp_path, [item])
    assert snap_compare(app, terminal_size=(120, 40), press=["j"])


@pytest.mark.parametrize("theme", ["kling-dark", "kling-light", "kling-high-contrast"])
def test_bundled_theme(snap_compare, tmp_path: Path, theme: str) -> None:
    assert snap_compare(build(tmp_path, theme=theme), terminal_size=(120, 30))


def test_authentication_failure(snap_compare, tmp_path: Path) -> None:
    denied = fetch_error(
        ErrorType.AUTH,
        "HTTP 401 from https://main.gateway.example: invalid API key (set KLING_API_KEY)",
        status_code=401,
        code="1004",
        ago=2,
    )
    fetcher = FakeFetcher()
    fetcher.default = lambda _entry: denied
    app = build(
        tmp_path,
        [entry("t-1", Status.IN_PROGRESS, progress=30.0, label="first"), entry("t-2", None)],
        fetcher=fetcher,
    )

    async def poll_once(pilot: Any) -> None:
        await app.poller.poll_once()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 24), run_before=poll_once)


def test_help_screen(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(build(tmp_path), terminal_size=(100, 36), press=["question_mark"])


def test_help_screen_80x24(snap_compare, tmp_path: Path) -> None:
    """The smallest supported terminal: the list scrolls, "Esc closes" stays in view."""
    assert snap_compare(build(tmp_path), terminal_size=(80, 24), press=["question_mark"])


def test_wide_layout_200x50(snap_compare, tmp_path: Path) -> None:
    """Spare width goes to the label and the id: both whole at 200 columns (issue 9)."""
    entries = [
        *mixed_entries(),
        entry(
            "8624687685557590591",
            Status.IN_PROGRESS,
            progress=30.0,
            label="a storyboard of four shots, at dusk",
            kind="multi-image2video",
        ),
    ]
    assert snap_compare(build(tmp_path, entries), terminal_size=(200, 50))


def test_header_with_a_filter_at_120(snap_compare, tmp_path: Path) -> None:
    """Title, gateways, counts, state and the filter on one line; the demo notice on one."""
    app = build(
        tmp_path,
        gateways=("demo-relay", "demo-native"),
        demo_note=(
            "demo · gateway http://127.0.0.1:34575 · watch list deleted on exit"
            " · /tmp/kling-tui-demo-dnihgl2d/watchlist.toml"
        ),
    )

    async def filter_running(pilot: Any) -> None:
        app.apply_filter("status:running")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=filter_running)


FIRST_RUN_CONFIG = Path("/nonexistent/.config/kling-tui/config.toml")
"""Fixed, so the picture shows no temporary directory; never written: the theme in the
config is the one shown, so nothing is remembered, and the setup is not saved here."""


def _first_run(tmp_path: Path) -> KlingApp:
    """No gateway at all, as on a first run without a config file."""
    config = AppConfig(
        gateways={}, default_gateway="default", theme="kling-dark", path=FIRST_RUN_CONFIG
    )
    app = KlingApp(
        make_poller(tmp_path, []),
        config,
        now=lambda: NOW,
        start_polling=False,
        open_browser=lambda _url: True,
        tick_interval=0,
    )
    assert app.theme == "kling-dark"
    return app


def test_first_run_without_config(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(_first_run(tmp_path), terminal_size=(80, 24))


def test_gateway_setup_screen(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(
        _first_run(tmp_path), terminal_size=(80, 24), press=["n", *"https://relay.example"]
    )


def test_add_dialog_warns_and_asks(snap_compare, tmp_path: Path) -> None:
    app = build(tmp_path, [entry("866889456698785800", Status.IN_PROGRESS, kind="image2video")])
    assert snap_compare(
        app, terminal_size=(100, 30), press=["a", *"866889456698785800 12", "ctrl+s"]
    )


def test_header_with_a_stuck_task_at_120(snap_compare, tmp_path: Path) -> None:
    """A stuck task: ``stuck`` badge in the warning colour, ``1 stuck`` in the header."""
    entries = mixed_entries()
    frozen = entry(
        "task-frozen-0007",
        Status.IN_PROGRESS,
        progress=30.0,
        label="frozen at 30 %",
        created_ago=3 * 3600,
    )
    frozen.state_since = NOW - timedelta(hours=2)
    entries.append(frozen)

    async def select_frozen(pilot: Any) -> None:
        await pilot.press("down", "down", "down", "down")  # its detail says since when
        await pilot.pause()

    assert snap_compare(build(tmp_path, entries), terminal_size=(120, 30), run_before=select_frozen)


def test_downloading_at_80x24(snap_compare, tmp_path: Path) -> None:
    """Issue 13: the progress cell while downloading (one at 42 %, one queued, one saved),
    time left on finished tasks (one expiring: the header counts it), the detail pane's
    download lines. Progress is reported straight into the board: a fixed picture."""
    from kling_tui.downloads.manager import DownloadProgress
    from kling_tui.models import LocalFile

    def done(task_id: str, label: str, updated_days: float) -> WatchEntry:
        return entry(
            task_id,
            Status.SUCCEEDED,
            progress=100.0,
            label=label,
            videos=[Video("v", f"https://cdn.example.com/{task_id}.mp4", 5.0)],
            created_ago=updated_days * 86400 + 190,
            updated_ago=updated_days * 86400,
            added_ago=updated_days * 86400 + 600,
        )

    saved = done("task-saved-0009", "harbour", 20)
    saved.local_files = (
        LocalFile(
            "/home/me/Videos/kling-tui/harbour-task-saved-0009-1.mp4",
            4 << 20,
            "0" * 64,
            "https://cdn.example.com/task-saved-0009.mp4",
            1,
            "video",
        ),
    )
    entries = [
        *mixed_entries()[:3],
        done("task-going-0007", "lighthouse", 1),
        done("task-old-0008", "old pier", 28),
        saved,
    ]
    app = build(tmp_path, entries)
    folder = "/home/me/Videos/kling-tui"

    async def downloading(pilot: Any) -> None:
        going = entries[3].key
        old = entries[4].key
        app.table.downloads.report(
            DownloadProgress(going, 1, "video", f"{folder}/lighthouse-1.mp4", 0, None, "queued")
        )
        app.table.downloads.report(
            DownloadProgress(
                going, 1, "video", f"{folder}/lighthouse-1.mp4", 42 << 18, 100 << 18, "running"
            )
        )
        app.table.downloads.report(
            DownloadProgress(old, 1, "video", f"{folder}/old-pier-1.mp4", 0, None, "queued")
        )
        app._flush_downloads()
        app.table.select_key(str(going))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=downloading)


# -- cost and capacity, stats (issue 14, items 6 and 7) -----------------------------------


def _cost_app(tmp_path: Path) -> KlingApp:
    """Tasks with costs on a native gateway whose two slots are both taken."""
    from tests.support.cost_fakes import PackFetcher, cost_entries, native_config

    poller = make_poller(tmp_path, cost_entries(), PackFetcher())
    return KlingApp(
        poller,
        native_config(2),
        now=lambda: NOW,
        start_polling=False,
        open_browser=lambda _url: True,
        tick_interval=0,
    )


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_header_with_cost_and_a_full_gauge(snap_compare, tmp_path: Path, size) -> None:
    assert snap_compare(_cost_app(tmp_path), terminal_size=size)


async def _open_costs(pilot: Any) -> None:
    await pilot.press("dollar_sign")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _open_stats(pilot: Any) -> None:
    await pilot.press("percent_sign")
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_costs_screen(snap_compare, tmp_path: Path, size) -> None:
    assert snap_compare(_cost_app(tmp_path), terminal_size=size, run_before=_open_costs)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_stats_screen(snap_compare, tmp_path: Path, size) -> None:
    assert snap_compare(_cost_app(tmp_path), terminal_size=size, run_before=_open_stats)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_header_with_marks_a_negated_filter_and_the_sort_arrow(
    snap_compare, tmp_path: Path, size: tuple[int, int]
) -> None:
    """Issue 14: "2 marked", the filter count of ``!status:failed`` and ``Label ▼``."""
    app = build(tmp_path)

    async def mark_filter_sort(pilot: Any) -> None:
        for task_id in ("task-running-0002", "task-done-0003"):
            app.table.select_key(f"main:text2video:{task_id}")
            await pilot.press("space")
        await pilot.press("slash", *"!status:failed", "enter", "s", "S")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=mark_filter_sort)
