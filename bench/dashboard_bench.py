"""Benchmarks of the dashboard: table updates, start-up, peak memory, idle CPU.

Start-up, memory and idle CPU are measured in fresh child processes running the app with
Textual's real terminal driver on a pseudo-terminal (120x36), the way an operator runs it:
headless mode skips writing frames and would flatter the figures. The parent drains the
terminal; the child reports its own figures in a JSON file. Table updates are measured in
process, headless, with ``App.run_test`` as the issue asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import pty
import random
import select
import shutil
import signal
import struct
import sys
import tempfile
import termios
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kling_tui.config import AppConfig, GatewayConfig
from kling_tui.models import Status, TaskSnapshot, Video, WatchEntry
from kling_tui.polling.poller import Poller, PollUpdate, apply_result
from kling_tui.store.watchlist import WatchList

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import median, paired_ratio
from rss import peak_rss_mb
from save_bench import realistic_entries

COLUMNS, LINES = 120, 36
FIRST_LABEL = "shot 0: sunrise"
"""The label of the first task of ``realistic_entries``: on screen means the list is."""
DEAD_GATEWAY = "http://127.0.0.1:9"
"""Nothing listens there; the lists used with it have nothing to poll, or polling is off."""


def bench_config() -> AppConfig:
    """The two gateways ``realistic_entries`` uses; no token (nothing is fetched)."""
    gateways = {
        name: GatewayConfig(name=name, base_url=DEAD_GATEWAY, path_prefix=prefix, credential=None)
        for name, prefix in (("relay", "/kling/v1"), ("kling", "/v1"))
    }
    return AppConfig(gateways=gateways, default_gateway="relay")


def write_watchlist(path: Path, entries: list[WatchEntry]) -> None:
    store = WatchList(path)
    store.load()
    if entries:
        store.add(entries)


def finished_entries(n: int) -> list[WatchEntry]:
    """``n`` tasks that are all done (succeeded or failed): nothing left to poll."""
    out = []
    for entry in realistic_entries(n, seed=11):
        snap = entry.snapshot
        assert snap is not None
        if not snap.status.terminal:
            video = Video("1", f"https://cdn.example.com/{entry.task_id}.mp4", 5.0)
            entry.snapshot = replace(
                snap, status=Status.SUCCEEDED, status_raw="succeed", progress=100.0, videos=(video,)
            )
        entry.last_error = None
        out.append(entry)
    return out


# -- the child process ----------------------------------------------------------------------


MARKED = 500
"""Issue 14: rows marked (of 10,000; the same share of 100) in the marked case."""
NEGATED_FILTER = "!status:failed"
"""Issue 14: the negated filter active in the marked case (it hides few rows)."""


def marked_keys(entries: list[WatchEntry], n: int) -> set[str]:
    """Every ``len / n``-th task's key: ``MARKED`` of 10,000, spread over the list."""
    step = max(1, len(entries) // n)
    return {str(e.key) for e in entries[::step][:n]}


def child(mode: str, watchlist: str, result_file: str, seconds: float) -> None:
    """Runs inside the pseudo-terminal. ``mode``: ``startup`` (first render, then the end of
    the list, then peak RSS), ``startup-marked`` (the same with ``MARKED`` marks and the
    remembered ``NEGATED_FILTER``) or ``idle`` (CPU over ``seconds`` once settled)."""
    imported = time.time()
    import kling_tui.ui.app as app_module
    from kling_tui.gateway.fetcher import Fetcher
    from kling_tui.ui.app import KlingApp

    class MeasuredApp(KlingApp):
        # Relative CSS paths are read next to the subclass's own file: point at the app's.
        CSS_PATH = str(Path(app_module.__file__).with_name(KlingApp.CSS_PATH))

        def on_mount(self) -> None:
            # Textual also runs KlingApp.on_mount (handlers run for each class of the MRO);
            # this one only asks to be called once the first frame is out.
            if mode == "startup-marked":  # marked before the rows are built, as if kept
                self.table.marked = marked_keys(
                    store.entries, MARKED * len(store.entries) // 10_000
                )
            self.call_after_refresh(first_render)

    store = WatchList(watchlist)
    store.load()
    config = bench_config()
    poller = Poller(store, Fetcher(config), entries=store.entries)
    # Start-up and memory: the list's own cost, so polling stays off (it would only add
    # connection errors against the dead gateway). Idle: the real loop, nothing to poll.
    state = None
    if mode == "startup-marked":
        from kling_tui.store.view_state import ViewState, save_view_state

        state = Path(watchlist).with_suffix(".view.json")
        save_view_state(state, ViewState(filter_text=NEGATED_FILTER))
    app = MeasuredApp(
        poller,
        config,
        start_polling=mode == "idle",
        close_fetcher=True,
        view_state_path=state,
    )
    result: dict[str, Any] = {"imported": imported, "rows": 0}

    def finish() -> None:
        result["peak_rss_mb"] = peak_rss_mb()
        Path(result_file).write_text(json.dumps(result))
        app.exit()

    def rendered_end() -> None:
        finish()

    def first_render() -> None:
        result["first_render"] = time.time()
        result["rows"] = app.table.shown_count  # what the table holds, rows still coming too
        result["rows_in_first_frame"] = app.table.row_count
        if mode.startswith("startup"):
            when_all_rows_are_in()
        else:
            app.set_timer(2.0, start_idle)

    def when_all_rows_are_in() -> None:
        if app.table.rows_pending:
            app.set_timer(0.01, when_all_rows_are_in)
            return
        result["all_rows"] = time.time()
        app.table.action_scroll_end()  # draw the far end of the list too
        app.call_after_refresh(rendered_end)

    def start_idle() -> None:
        result["cpu0"] = time.process_time()
        result["wall0"] = time.monotonic()
        app.set_timer(seconds, end_idle)

    def end_idle() -> None:
        result["cpu"] = time.process_time() - result["cpu0"]
        result["wall"] = time.monotonic() - result["wall0"]
        finish()

    app.run()


def run_child(
    mode: str,
    watchlist: Path,
    seconds: float = 0.0,
    timeout: float = 120.0,
    marker: bytes | None = None,
) -> dict:
    """Start the child on a pseudo-terminal, drain its output, return its figures.

    ``marker``: text that appears on the terminal only once the first frame with the list
    is drawn; the time the parent reads it is when an operator would see it.
    """
    result_file = watchlist.with_suffix(f".{mode}.json")
    result_file.unlink(missing_ok=True)
    here = str(Path(__file__).resolve())
    home = watchlist.parent / "home"
    env = dict(
        os.environ,
        TERM="xterm-256color",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        KLING_TUI_CONFIG=str(home / "config.toml"),
        KLING_TUI_WATCHLIST=str(watchlist),
    )
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    argv = [sys.executable, here, "--child", mode, str(watchlist), str(result_file), str(seconds)]
    launched = time.time()
    pid, fd = pty.fork()
    if pid == 0:  # the child: size its terminal before Textual asks, then become the app
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
            os.execve(sys.executable, argv, env)
        finally:
            os._exit(127)
    deadline = time.monotonic() + timeout
    tail = b""
    seen: float | None = None
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 1 << 16)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                if marker is not None and seen is None and marker in tail[-200:] + chunk:
                    seen = time.time()
                tail = (tail + chunk)[-20_000:]
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                pid = 0
                break
        else:
            raise TimeoutError(f"the {mode} child did not finish in {timeout:g} s")
    finally:
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        os.close(fd)
    if not result_file.exists():
        shown = tail.decode(errors="replace")[-3000:]
        raise RuntimeError(f"the {mode} child wrote no result; its terminal showed:\n{shown}")
    result = json.loads(result_file.read_text())
    result["launched"] = launched
    if marker is not None:
        if seen is None:
            raise RuntimeError(f"the {mode} child never showed {marker!r}")
        result["seen"] = seen
    return result


# -- startup_ratio_10k and peak_rss_10k_mb ------------------------------------------------


def measure_startup(directory: Path, rounds: int) -> dict[str, float]:
    """Launch to the list on screen: empty list, then 10,000 tasks twice, once *cold* (no
    parsed-document cache: tomllib reads the file, as after another program changed it)
    and once *warm* (the cache the cold launch left, as after the dashboard's own quit).
    The figure is warm / empty; cold / empty is reported beside it."""
    empty, full = directory / "empty.toml", directory / "full.toml"
    write_watchlist(empty, [])
    tasks = realistic_entries(10_000)
    write_watchlist(full, tasks)
    from kling_tui.ui.view import parse_filter  # pure (no Textual); the parent only

    negated = parse_filter(NEGATED_FILTER)
    shown_marked = sum(1 for e in tasks if negated.matches(e))
    cache_dir = directory / "home" / "cache"
    names = ("empty", "cold", "warm", "marked")
    launch: dict[str, list[float]] = {name: [] for name in names}
    reported: dict[str, list[float]] = {name: [] for name in names}
    all_rows: list[float] = []
    after_imports: dict[str, list[float]] = {name: [] for name in names}
    rss: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        shutil.rmtree(cache_dir, ignore_errors=True)
        for name, path, rows, marker in (
            ("empty", empty, 0, b"No tasks watched yet"),
            ("cold", full, 10_000, FIRST_LABEL.encode()),
            ("warm", full, 10_000, FIRST_LABEL.encode()),
            ("marked", full, shown_marked, b"marked"),  # warm too; "500 marked" in the header
        ):
            mode = "startup-marked" if name == "marked" else "startup"
            r = run_child(mode, path, marker=marker)
            if r["rows"] != rows:
                raise RuntimeError(f"{name}: the table showed {r['rows']} rows, not {rows}")
            launch[name].append(r["seen"] - r["launched"])
            reported[name].append(r["first_render"] - r["launched"])
            if name == "warm":
                all_rows.append(r["all_rows"] - r["launched"])
            after_imports[name].append(r["first_render"] - r["imported"])
            rss[name].append(r["peak_rss_mb"])
    return {
        "startup_ratio_10k": paired_ratio(launch["warm"], launch["empty"]),
        "startup_cold_ratio_10k": paired_ratio(launch["cold"], launch["empty"]),
        "startup_ratio_10k_marked": paired_ratio(launch["marked"], launch["empty"]),
        "startup_empty_s": median(launch["empty"]),
        "startup_10k_s": median(launch["warm"]),
        "startup_10k_cold_s": median(launch["cold"]),
        "first_frame_callback_10k_s": median(reported["warm"]),
        "all_10k_rows_in_table_s": median(all_rows),
        "startup_after_imports_empty_s": median(after_imports["empty"]),
        "startup_after_imports_10k_s": median(after_imports["warm"]),
        "startup_after_imports_ratio": paired_ratio(after_imports["warm"], after_imports["empty"]),
        "peak_rss_empty_mb": max(rss["empty"]),
        "peak_rss_10k_mb": max(rss["cold"] + rss["warm"]),
    }


# -- idle_cpu_percent -----------------------------------------------------------------------


def measure_idle(directory: Path, seconds: float) -> dict[str, float]:
    path = directory / "finished.toml"
    write_watchlist(path, finished_entries(1000))
    r = run_child("idle", path, seconds=seconds, timeout=seconds + 60)
    if r["rows"] != 1000:
        raise RuntimeError(f"idle: the table showed {r['rows']} rows, not 1000")
    return {"idle_cpu_percent": 100 * r["cpu"] / r["wall"], "idle_window_s": r["wall"]}


# -- table_update_scaling_ratio -------------------------------------------------------------


class _NoFetch:
    async def fetch(self, entry: WatchEntry) -> Any:  # never called: polling is off
        raise AssertionError("the table benchmark must not fetch")


def _next_snapshot(entry: WatchEntry, step: int, at: datetime) -> TaskSnapshot:
    """What a poll of this task would bring: progress moves; every 10th one finishes."""
    snap = entry.snapshot
    assert snap is not None
    if step % 10 == 9:
        video = Video("1", f"https://cdn.example.com/{entry.task_id}.mp4", 5.1)
        return replace(
            snap,
            status=Status.SUCCEEDED,
            status_raw="succeed",
            progress=100.0,
            videos=(video,),
            fetched_at=at,
        )
    progress = ((snap.progress or 0.0) + 7.0) % 99.0 + 1.0
    return replace(
        snap, status=Status.IN_PROGRESS, status_raw="processing", progress=progress, fetched_at=at
    )


async def _updates_once(
    directory: Path, n: int, indices: list[int], marked: bool = False
) -> tuple[float, float]:
    """Seconds for the updates to be applied and drawn, and seconds inside ``apply_batch``.

    ``marked``: ``MARKED`` of 10,000 rows (the same share of fewer) marked and
    ``NEGATED_FILTER`` active, as an operator at work has them (issue 14)."""
    from kling_tui.ui.app import KlingApp

    path = directory / f"table-{n}-{time.monotonic_ns()}.toml"
    write_watchlist(path, realistic_entries(n))
    store = WatchList(path)
    entries = store.load()
    poller = Poller(store, _NoFetch(), entries=entries)
    app = KlingApp(poller, bench_config(), start_polling=False, tick_interval=0)
    applying = 0.0
    real_apply = app.apply_batch

    def timed_apply(batch: Any) -> None:
        nonlocal applying
        started = time.perf_counter()
        real_apply(batch)
        applying += time.perf_counter() - started

    app.apply_batch = timed_apply  # type: ignore[method-assign]
    async with app.run_test(size=(COLUMNS, LINES)) as pilot:
        await pilot.pause()
        if marked:
            app.apply_filter(NEGATED_FILTER)
            app.table.set_marked(marked_keys(entries, max(1, MARKED * n // 10_000)), True)
            while app.table.rows_pending:  # the filter's rebuild adds rows a step at a time
                await pilot.pause(0.05)
            await pilot.pause()
        at = datetime.now(UTC)
        started = time.perf_counter()
        for step, index in enumerate(indices):
            entry = entries[index % n]
            previous = entry.status
            apply_result(entry, _next_snapshot(entry, step, at))
            app._on_poller_event(PollUpdate(entry, previous, stale=False))
            await asyncio.sleep(0)  # the coalescing hand-off posts the batch message
            # Every widget has processed what was queued (the batch included), then the
            # screen is drawn. (A plain pause() also sleeps until the CPU looks idle,
            # which measured the sleeping: 50 ms an update whatever the table size.)
            await pilot.pause(0)
        elapsed = time.perf_counter() - started
    return elapsed, applying


def measure_table_updates(directory: Path, rounds: int, updates: int = 200) -> dict[str, float]:
    rng = random.Random(5)
    indices = [rng.randrange(10_000) for _ in range(updates)]
    indices[:10] = list(range(10))  # a few on screen for sure, at the top
    small: list[float] = []
    large: list[float] = []
    small_apply: list[float] = []
    large_apply: list[float] = []
    small_marked: list[float] = []
    large_marked: list[float] = []
    for _ in range(rounds):
        for n, out, inner in ((100, small, small_apply), (10_000, large, large_apply)):
            elapsed, applying = asyncio.run(_updates_once(directory, n, indices))
            out.append(elapsed)
            inner.append(applying)
        for n, out in ((100, small_marked), (10_000, large_marked)):
            out.append(asyncio.run(_updates_once(directory, n, indices, marked=True))[0])
    return {
        "table_update_scaling_ratio": paired_ratio(large, small),
        "table_update_scaling_ratio_marked": paired_ratio(large_marked, small_marked),
        "table_updates_10k_marked_s": median(large_marked),
        "table_updates_100_s": median(small),
        "table_updates_10k_s": median(large),
        "apply_batch_100_s": median(small_apply),
        "apply_batch_10k_s": median(large_apply),
        "apply_batch_ratio": paired_ratio(large_apply, small_apply),
    }


# -- all of it ------------------------------------------------------------------------------


def measure_dashboard(quick: bool, progress: Any = lambda _: None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kling-bench-ui-") as tmp:
        directory = Path(tmp)
        progress("dashboard: 200 table updates, 100 vs 10,000 rows")
        table = measure_table_updates(directory, rounds=1 if quick else 3)
        progress("dashboard: start-up and memory, empty vs 10,000 tasks")
        startup = measure_startup(directory, rounds=1 if quick else 3)
        idle_seconds = 5.0 if quick else 10.0
        progress(f"dashboard: idle CPU over {idle_seconds:g} s, 1,000 finished tasks")
        idle = measure_idle(directory, idle_seconds)
    figures = {
        "table_update_scaling_ratio": table.pop("table_update_scaling_ratio"),
        "table_update_scaling_ratio_marked": table.pop("table_update_scaling_ratio_marked"),
        "startup_ratio_10k": startup.pop("startup_ratio_10k"),
        "startup_ratio_10k_marked": startup.pop("startup_ratio_10k_marked"),
        "peak_rss_10k_mb": startup.pop("peak_rss_10k_mb"),
        "idle_cpu_percent": idle.pop("idle_cpu_percent"),
    }
    return {**figures, "details": {**table, **startup, **idle}}


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    else:
        print(json.dumps(measure_dashboard("--quick" in sys.argv, progress=print), indent=2))
