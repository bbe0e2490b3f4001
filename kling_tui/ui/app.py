"""The kling-tui dashboard: a Textual app over the core's ``Poller``.

How it fits together:

* The poller runs in ONE long-lived async worker (``exit_on_error=False``); if ``run()``
  ever raises, the header says so and the loop is restarted with a backoff. Nothing a
  gateway does can end the app.
* The poller calls our subscriber once per event. Events of one loop tick are folded into
  one ``PollerBatch`` message, applied in one ``batch_update()``: only changed cells are
  redrawn, new tasks are appended by key, and the selection stays on its task.
* Changes flow one way: store -> poller -> ``ListChanged`` / ``PollUpdate`` -> batch ->
  view model (``viewmodel.DashboardModel``: header counts, ETA readings) and table. The
  add / remove / undo actions call the poller only and then apply its batch at once.
* Everything shown is built from plain strings (``Text``, ``markup=False``): server text is
  data, never markup.
* Browsers are started through one injectable function from a thread worker, only for
  URLs that ``urls.check_open_url`` accepts.

Where each concern lives (``KlingApp`` is composed of one mixin per concern):

* ``bindings``: the keys (``APP_BINDINGS``) and what each action does (``ACTION_HELP``);
* ``task_actions``: add / set up a gateway / remove / undo / open / copy / refresh;
* ``importer``: the gateway import (``I``) in a background worker;
* ``exporter``: ``e``, the rows shown written as CSV (``kling_tui.export``);
* ``download_feed``: downloads (``D``, ``[download] auto``), opening saved files, the
  daily reminder of expiring results;
* ``poller_feed``: the poll loop worker, event batching, applying batches, finish toasts;
* ``chrome``: header, alert line, empty and first-run notice, the clock tick;
* ``theming``: loading, switching and remembering themes;
* ``commands``: keys as bound now, the command palette's commands, the help screen;
* here: composition, mounting, the view controls (pause, filter, sort, panes), quitting.

Launch: ``run_app(poller, config, theme=None, demo_note=None) -> int``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.notifications import Notification
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker

from kling_tui.config import AppConfig
from kling_tui.models import WatchEntry, utcnow
from kling_tui.notify import NotifyRunner, secret_env_names, terminal_osc
from kling_tui.polling.eta import EtaEstimator
from kling_tui.polling.poller import Poller, PollUpdate
from kling_tui.store.view_state import view_state_path
from kling_tui.themes import ThemeCatalog
from kling_tui.ui.bindings import APP_BINDINGS
from kling_tui.ui.chrome import BESIDE_MIN_WIDTH, ChromeMixin
from kling_tui.ui.commands import CommandsMixin
from kling_tui.ui.costs_view import CostsMixin
from kling_tui.ui.download_feed import DownloadMixin
from kling_tui.ui.exporter import ExportMixin
from kling_tui.ui.importer import ImportMixin
from kling_tui.ui.keymap import keymap_for
from kling_tui.ui.messages import PollerBatch
from kling_tui.ui.poller_feed import PollerFeedMixin
from kling_tui.ui.selection import REHIDE_EVERY, SelectionMixin
from kling_tui.ui.task_actions import BrowserOpener, TaskActionsMixin, default_opener
from kling_tui.ui.theming import ThemesMixin
from kling_tui.ui.view import TaskFilter
from kling_tui.ui.viewmodel import DashboardModel
from kling_tui.ui.widgets.detail import DetailPane
from kling_tui.ui.widgets.filter_bar import FilterBar
from kling_tui.ui.widgets.scrollbars import use_whole_cell_scrollbars
from kling_tui.ui.widgets.summary import NoteLine, SummaryBar
from kling_tui.ui.widgets.table_layout import layout_for_width
from kling_tui.ui.widgets.task_table import TaskTable


class KlingApp(
    SelectionMixin,
    TaskActionsMixin,
    DownloadMixin,
    ImportMixin,
    ExportMixin,
    PollerFeedMixin,
    ChromeMixin,
    ThemesMixin,
    CommandsMixin,
    CostsMixin,
    App[int],
):
    """Watches Kling tasks. See the module docstring for the moving parts."""

    CSS_PATH = "app.tcss"
    TITLE = "kling-tui"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = APP_BINDINGS

    restart_delay: float = 1.0
    """Seconds before a crashed poll loop is restarted (doubles up to 30 s)."""

    summary: SummaryBar
    alert: Static
    table: TaskTable
    empty_notice: Static
    detail: DetailPane
    filter_bar: FilterBar
    main_area: Vertical

    def __init__(
        self,
        poller: Poller,
        config: AppConfig,
        *,
        theme: str | None = None,
        demo_note: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
        open_browser: BrowserOpener | None = None,
        start_polling: bool = True,
        close_fetcher: bool = False,
        tick_interval: float = 1.0,
        themes: ThemeCatalog | None = None,
        view_state_path: Path | None = None,
    ) -> None:
        """
        Args:
            poller: the core poller; its ``run()`` is started here unless ``start_polling``
                is False (tests and snapshots drive it themselves).
            config: gateways, poll settings (``poll.bell``), theme and config path.
            theme: theme name from ``--theme``; remembered in the config when it differs.
            demo_note: a line shown under the header in demo mode.
            clock: monotonic seconds, for rate limits (the bell).
            now: aware-UTC "now" for elapsed / ETA / last-checked texts (fixed in snapshots).
            open_browser: replaces ``webbrowser.open`` (tests must never launch a browser).
            close_fetcher: close ``poller.fetcher`` on quit (``run_app`` owns it then).
            themes: theme catalog; default: bundled + user themes from disk.
            view_state_path: where the filter, the ``h`` toggle and the sort are
                remembered (``store.view_state``); None: not remembered (tests, the demo).
        """
        super().__init__()
        use_whole_cell_scrollbars()  # no eighth-block glyphs at the right edge (tmux)
        self.poller = poller
        self.config = config
        self.demo_note = demo_note
        self._clock = clock
        self._now = now
        self._open_browser: BrowserOpener = open_browser or default_opener
        self._start_polling = start_polling
        self._close_fetcher = close_fetcher
        self._tick_interval = tick_interval
        self.view = DashboardModel(EtaEstimator(poller.render_times))
        """Header counts and ETA readings, fed from poller batches like the table."""
        self._eta = self.view.eta
        self._pending = PollerBatch()
        self._batch_scheduled = False
        self._unsubscribe: Callable[[], None] | None = None
        self._poller_worker: Worker[None] | None = None
        self._quitting = False
        self._crash: str | None = None
        self._state = poller.state.value
        self._state_detail = ""
        self._undo: list[list[WatchEntry]] = []
        self._last_bell = -1e9
        self._startup_notes: list[tuple[str, str]] = []
        self._filter_text = ""
        self._typed_filter = TaskFilter()
        self.hide_finished = False
        """``h``: succeeded tasks hidden (after ``view.hide_finished_after`` seconds)."""
        self._view_state_path = view_state_path
        self._copied: tuple[str, str] | None = None
        self._finish_toast: tuple[Notification, list[PollUpdate]] | None = None
        """The finish toast on screen and the tasks it names: the next batch merges in."""
        """(text, what) of the last copy, for the copy-by-hand dialog."""
        self._load_themes(themes, theme)
        self._apply_config_keymap()
        hints = [h for g in config.gateways.values() for h in (g.auth_hint, g.task_log_hint)]
        self.notifier = NotifyRunner(
            config.notify.command,
            timeout=config.notify.timeout,
            secret_names=secret_env_names(hints),
        )
        """The ``[notify]`` command, run for each task that finishes (``poller_feed``)."""
        self._osc_kind = terminal_osc(os.environ) if config.notify.terminal else None
        """OSC 9 / 777 notifications (``[notify] terminal``), None when off or unknown."""

    def _apply_config_keymap(self) -> None:
        """``[keys]`` of the config, set before the first frame; entries left out (unknown
        id, collision, not a key) are said in one toast at start, defaults kept for them."""
        keymap, problems = keymap_for(self.config)
        if keymap:
            self.set_keymap(keymap)
        if problems:
            shown = problems[:5] + (
                [f"… and {len(problems) - 5} more"] if len(problems) > 5 else []
            )
            self._startup_notes.append(("Key map: " + "\n".join(shown), "warning"))

    # -- composition ---------------------------------------------------------------------

    @property
    def gateway_names(self) -> list[str]:
        return list(self.config.gateways)

    def _origins(self) -> dict[str, str]:
        origins: dict[str, str] = {}
        for name, gateway in self.config.gateways.items():
            with contextlib.suppress(Exception):
                origins[name] = str(gateway.origin)
        return origins

    def compose(self) -> ComposeResult:
        # The main widgets are kept as attributes: ``App.query_one`` searches the *active*
        # screen, which is a modal dialog while one is open, and poll updates keep coming.
        self.summary = SummaryBar(self._palette, id="summary")
        self.alert = Static(Text(""), id="alert")
        self.table = TaskTable(now=self._now, eta=self._eta, palette=self._palette, id="tasks")
        self.empty_notice = Static(Text(""), id="empty")
        self.detail = DetailPane(
            now=self._now,
            eta=self._eta,
            palette=self._palette,
            origins=self._origins(),
            id="detail",
        )
        self.detail.downloads = self.table.downloads  # one board: rows and detail agree
        self.filter_bar = FilterBar(id="filter")
        self.main_area = Vertical(id="main")
        yield self.summary
        yield self.alert
        if self.demo_note:
            yield NoteLine(self.demo_note, id="demo-note")
        with self.main_area:
            yield self.table
            yield self.empty_notice
            yield self.detail
        yield self.filter_bar
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.table
        entries = self.poller.entries
        gateways = set(self.gateway_names) | {e.gateway for e in entries}
        table.show_gateway = len(gateways) > 1
        # Pick the column set for the expected width now: building 10,000 rows twice (once
        # narrow, again on the first resize) would double the start-up time.
        width = self.size.width
        beside = width >= BESIDE_MIN_WIDTH
        self.main_area.set_class(beside, "-beside")
        table.layout_spec = layout_for_width(
            int(width * 0.7) if beside else width,  # the detail pane takes 30 % beside
            gateway=table.show_gateway,
        )
        self.view.load(entries)
        self._load_view_state()  # the remembered filter and sort, before the one build
        table.load(entries)  # the last known state, at once, before any poll
        table.focus()
        self._refresh_chrome()
        self.theme_changed_signal.subscribe(self, self._on_theme_changed)
        self._unsubscribe = self.poller.subscribe(self._on_poller_event)
        if self._tick_interval > 0:
            self.set_interval(self._tick_interval, self._tick, name="clock-tick")
        self.call_after_refresh(self._remind_expiring)  # results expiring: once a day
        if self.config.view.hide_finished_after > 0:
            self.set_interval(REHIDE_EVERY, self._rehide, name="rehide")
        for message, severity in self._startup_notes:
            self.notify(message, severity=severity, markup=False, timeout=10)  # type: ignore[arg-type]
        if self._remembered_theme != self.theme:
            self._remember_theme(self.theme)
        # The next start reads a big list much faster from this (see WatchList): after the
        # first frame, in a thread, since it takes 0.1 s at 10,000 tasks.
        self.call_after_refresh(
            self.run_worker,
            self.poller.store.remember_parsed,
            name="remember-parsed",
            thread=True,
            exit_on_error=False,
        )
        if self._start_polling:
            self._poller_worker = self.run_worker(
                self._run_poller(), name="poller", group="poller", exit_on_error=False
            )

    async def run_async(self, **kwargs: Any) -> int | None:
        """Run with everything alive at launch kept out of the cyclic collector's passes.

        At launch that is mostly the watch list just loaded (90,000 tracked objects at
        10,000 tasks, against 40,000 for the modules), which lives as long as the app.
        Left to the collector, one generation-1 and one full pass walked all of it before
        the first frame (0.035 s of a 0.7 s cold start: ``startup_cold_ratio_10k`` in
        bench/run.py). Frozen objects are still freed by reference counting as usual (a
        replaced snapshot, a removed task); only a cycle among them would wait for
        ``unfreeze``, on exit. Tests (``run_test``) do not come through here.
        """
        gc.freeze()
        try:
            return await super().run_async(**kwargs)
        finally:
            gc.unfreeze()

    def on_unmount(self) -> None:
        self._quitting = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.poller.stop()

    def on_resize(self, event: events.Resize) -> None:
        self.main_area.set_class(event.size.width >= BESIDE_MIN_WIDTH, "-beside")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.detail.show(self.table.current_entry())

    # -- view controls -------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        if self.poller.paused:
            self.poller.resume()
            self.notify("Polling resumed.", markup=False, timeout=2)
        else:
            self.poller.pause()
            self.notify("Polling paused.", markup=False, timeout=2)
        self._state = self.poller.state.value
        self._refresh_chrome()

    def action_filter(self) -> None:
        self.filter_bar.open(self._filter_text)

    def on_input_changed(self, event: FilterBar.Changed) -> None:
        if isinstance(event.input, FilterBar):
            self.apply_filter(event.value)

    def on_filter_bar_done(self, event: FilterBar.Done) -> None:
        task_filter = self.apply_filter(event.text)
        self.table.focus()
        self._save_view_state()
        if task_filter.problems:
            self.notify(
                "Filter: " + "; ".join(task_filter.problems), severity="warning", markup=False
            )

    def action_toggle_raw(self) -> None:
        detail = self.detail
        detail.remove_class("-hidden")
        self.table.remove_class("-alone")
        shown = detail.toggle_raw()
        if shown:
            detail.scroll_end(animate=False)

    def action_toggle_detail(self) -> None:
        self.detail.toggle_class("-hidden")
        self.table.set_class(self.detail.has_class("-hidden"), "-alone")

    async def action_quit(self) -> None:
        await self.shutdown_poller()
        self.exit(0)


def run_app(
    poller: Poller,
    config: AppConfig,
    *,
    theme: str | None = None,
    demo_note: str | None = None,
) -> int:
    """Run the dashboard until the user quits; returns the process exit status.

    The poller loop runs inside the app (one async worker) and is stopped, flushed and its
    fetcher closed on quit, on the app's own event loop.
    """
    app = KlingApp(
        poller,
        config,
        theme=theme,
        demo_note=demo_note,
        close_fetcher=True,
        # The demo's own list starts from a clean view; the user's view is not the demo's.
        view_state_path=None if demo_note else view_state_path(),
    )
    app.run()
    # Normally the poll loop saved everything on quit; after a crash exit, try once more.
    with contextlib.suppress(Exception):
        asyncio.run(poller.flush())
    with contextlib.suppress(Exception):  # a speed-up for the next start, nothing more
        poller.store.remember_parsed()
    return app.return_code if app.return_code is not None else 0
