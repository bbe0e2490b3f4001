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

Launch: ``run_app(poller, config, theme=None, demo_note=None) -> int``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
import webbrowser
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.notifications import Notification, Notify, SeverityLevel
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker

from kling_tui.config import TOKEN_ENV, AppConfig, SetupResult, config_path, remember_theme
from kling_tui.gateway.sanitize import clean_text
from kling_tui.gateway.urls import check_open_url
from kling_tui.models import Status, Video, WatchEntry, utcnow
from kling_tui.polling.poller import Notice, Poller, PollerEvent, PollerState, PollUpdate
from kling_tui.store.watchlist import new_entries
from kling_tui.themes import DEFAULT_THEME, ThemeCatalog, discover_themes
from kling_tui.ui import browser
from kling_tui.ui.format import clip
from kling_tui.ui.messages import PollerBatch, PollerCrashed
from kling_tui.ui.reasons import why_no_video
from kling_tui.ui.screens.add import AddRequest, AddTasksScreen
from kling_tui.ui.screens.confirm import ConfirmScreen
from kling_tui.ui.screens.copy import CopyTextScreen
from kling_tui.ui.screens.help import HelpScreen
from kling_tui.ui.screens.setup import GatewaySetupScreen
from kling_tui.ui.screens.videos import OpenFailedScreen, VideoChooserScreen
from kling_tui.ui.view import SortMode, TaskFilter, parse_filter
from kling_tui.ui.viewmodel import DashboardModel
from kling_tui.ui.widgets.detail import DetailPane
from kling_tui.ui.widgets.filter_bar import FilterBar
from kling_tui.ui.widgets.palette import Palette
from kling_tui.ui.widgets.scrollbars import use_whole_cell_scrollbars
from kling_tui.ui.widgets.summary import NoteLine, SummaryBar, SummaryData
from kling_tui.ui.widgets.table_layout import layout_for_width
from kling_tui.ui.widgets.task_table import TaskTable

log = logging.getLogger(__name__)

BESIDE_MIN_WIDTH = 180
"""From this width the detail pane sits beside the table instead of below it."""

ACTION_HELP: dict[str, str] = {
    # action -> what it does (help screen and command palette)
    "add_tasks": "Add tasks: paste one id or many, choose kind, gateway and label",
    "setup_gateway": "Set up a gateway: base URL, prefix, token variable",
    "remove_task": "Remove the selected task from the watch list (asks first)",
    "undo_remove": "Undo the last removal",
    "open_video": "Open the selected task's video in the web browser",
    "copy_url": "Copy the selected task's video URL",
    "copy_id": "Copy the selected task's id",
    "show_copied": "Show the copied text (to select and copy it by hand)",
    "refresh_task": "Refresh the selected task now",
    "refresh_all": "Refresh every task now (finished ones too)",
    "toggle_pause": "Pause or resume polling",
    "filter": "Filter by text or status (status:failed, kind:…, gw:…)",
    "cycle_sort": "Cycle the sort order: status, progress, added, label",
    "toggle_raw": "Show or hide the raw JSON of the last answer",
    "toggle_detail": "Show or hide the detail pane",
    "help": "Show keys and filter syntax",
    "quit": "Quit (saves the watch list)",
}

BrowserOpener = Callable[[str], bool]


def _default_opener(url: str) -> bool:
    # Looked up at call time so tests can patch ``kling_tui.ui.browser.open_in_browser``.
    return browser.open_in_browser(url)


def command_title(help_text: str) -> tuple[str, str]:
    """Split an ``ACTION_HELP`` text into the palette's title and the rest of it.

    ``"Add tasks: paste one id…"`` -> ``("Add tasks", "paste one id…")``;
    ``"Remove … (asks first)"`` -> ``("Remove …", "asks first")``.
    """
    title = help_text.split(":")[0].split(" (")[0]
    rest = help_text[len(title) :].lstrip(":").strip()
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1]
    return title, rest


def entry_name(entry: WatchEntry, limit: int = 60) -> str:
    """How a task is named in toasts and questions: its label, else its id."""
    return clip(entry.label or entry.task_id, limit)


class KlingApp(App[int]):
    """Watches Kling tasks. See the module docstring for the moving parts."""

    CSS_PATH = "app.tcss"
    TITLE = "kling-tui"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add_tasks", "Add", id="add"),
        Binding("n", "setup_gateway", "New gateway", id="setup-gateway", show=False),
        Binding("d", "remove_task", "Remove", id="remove"),
        Binding("u", "undo_remove", "Undo", id="undo", show=False),
        Binding("o", "open_video", "Open", id="open"),
        Binding("c", "copy_url", "Copy URL", id="copy-url", show=False),
        Binding("y", "copy_id", "Copy ID", id="copy-id", show=False),
        Binding("Y", "show_copied", "Show copied", id="show-copied", show=False),
        Binding("r", "refresh_task", "Refresh", id="refresh"),
        Binding("R", "refresh_all", "Refresh all", id="refresh-all", show=False),
        Binding("p", "toggle_pause", "Pause", id="pause"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("s", "cycle_sort", "Sort", id="sort"),
        Binding("j", "toggle_raw", "Raw JSON", id="raw-json", show=False),
        Binding("i", "toggle_detail", "Details", id="details", show=False),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

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
        """
        super().__init__()
        use_whole_cell_scrollbars()  # no eighth-block glyphs at the right edge (tmux)
        self.poller = poller
        self.config = config
        self.demo_note = demo_note
        self._clock = clock
        self._now = now
        self._open_browser: BrowserOpener = open_browser or _default_opener
        self._start_polling = start_polling
        self._close_fetcher = close_fetcher
        self._tick_interval = tick_interval
        self.view = DashboardModel()
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
        self._copied: tuple[str, str] | None = None
        self._finish_toast: tuple[Notification, list[PollUpdate]] | None = None
        """The finish toast on screen and the tasks it names: the next batch merges in."""
        """(text, what) of the last copy, for the copy-by-hand dialog."""

        self.theme_catalog = themes if themes is not None else discover_themes()
        for error in self.theme_catalog.errors[:5]:
            self._startup_notes.append((f"Theme not loaded: {error}", "warning"))
        for spec in self.theme_catalog.themes.values():
            try:
                candidate = Theme(**spec.theme_kwargs())
                candidate.to_color_system().generate()  # prove Textual accepts every colour
            except Exception as exc:  # validated already; never let a theme stop the app
                self._startup_notes.append((f"Theme {spec.name} not usable: {exc}", "warning"))
                continue
            self.register_theme(candidate)
        self._remembered_theme = config.theme or None
        wanted = theme or self._remembered_theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            names = ", ".join(sorted(self.theme_catalog.themes)) or "none found"
            self._startup_notes.append((f"Unknown theme {wanted!r}; available: {names}", "warning"))
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self.theme = wanted
        self._palette = Palette.from_variables(self.get_css_variables())

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
        table.load(entries)  # the last known state, at once, before any poll
        table.focus()
        self._refresh_chrome()
        self.theme_changed_signal.subscribe(self, self._on_theme_changed)
        self._unsubscribe = self.poller.subscribe(self._on_poller_event)
        if self._tick_interval > 0:
            self.set_interval(self._tick_interval, self._tick, name="clock-tick")
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

    # -- the poller ----------------------------------------------------------------------

    async def _run_poller(self) -> None:
        """Keep ``poller.run()`` alive: a crash is shown and the loop restarted."""
        delay = self.restart_delay
        while not self._quitting:
            try:
                await self.poller.run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("poller loop crashed")
                if self._quitting:
                    return
                error = clean_text(f"{type(exc).__name__}: {exc}", limit=300)
                self.post_message(PollerCrashed(error, delay))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                self._crash = None
                self._refresh_chrome()

    def on_poller_crashed(self, message: PollerCrashed) -> None:
        self._crash = f"{message.error} (restarting in {message.retry_in:g}s)"
        self._refresh_chrome()

    def _on_poller_event(self, event: PollerEvent) -> None:
        """Subscriber: collect events; one message per loop tick carries them all."""
        loop = self._loop
        if loop is not None and self._thread_id != threading.get_ident():
            loop.call_soon_threadsafe(self._on_poller_event, event)
            return
        self._pending.add_event(event)
        if not self._batch_scheduled:
            self._batch_scheduled = True
            if loop is not None:
                loop.call_soon(self._emit_batch)
            else:
                self._emit_batch()

    def _emit_batch(self) -> None:
        batch, self._pending = self._pending, PollerBatch()
        self._batch_scheduled = False
        if not batch.empty:
            self.post_message(batch)

    def on_poller_batch(self, batch: PollerBatch) -> None:
        if self._quitting or not self.table.is_mounted:
            return  # the last polls of a shutdown: the list is saved, nothing to draw
        try:
            self.apply_batch(batch)
        except Exception:  # a drawing bug must not end the dashboard
            log.exception("applying poller updates failed")
            self._crash = "display update failed (see log)"
            self._refresh_chrome()

    def _apply_now(self) -> None:
        """Apply at once the events the poller has published and the UI not drawn yet.

        An action (add, remove, undo) calls the poller only; the poller publishes the change
        as a ``ListChanged`` like any other (another process's edit, say), and the table is
        updated from that one path. The action then needs the rows in place before it moves
        the cursor or toasts, so the batch is applied now instead of on the next loop tick.
        """
        batch, self._pending = self._pending, PollerBatch()
        if not batch.empty:
            self.on_poller_batch(batch)

    def apply_batch(self, batch: PollerBatch) -> None:
        """The one way changes reach the screen: view model and table, from one batch."""
        table = self.table
        with self.batch_update():
            if batch.removed:
                self.view.remove(batch.removed)
                table.remove_keys(str(k) for k in batch.removed)
            changed = list(batch.added.values()) + [u.entry for u in batch.updates.values()]
            if changed:
                self.view.upsert(changed)
                table.upsert(changed)
            if batch.state is not None:
                self._state = batch.state.state.value
                self._state_detail = batch.state.detail
            self._refresh_chrome()
        if batch.finished:
            self._announce(batch.finished)
        if batch.notices:
            self._announce_notices(batch.notices)

    def _announce_notices(self, notices: list[Notice]) -> None:
        """One toast for the notices of a batch: stacked toasts would cover the detail pane."""
        ranks = {"information": 0, "warning": 1, "error": 2}
        severity = max(
            (n.severity if n.severity in ranks else "warning" for n in notices),
            key=ranks.__getitem__,
        )
        lines = [clean_text(n.message, limit=300) for n in notices[:3]]
        if len(notices) > 3:
            lines.append(f"… and {len(notices) - 3} more")
        self.notify("\n".join(lines), severity=severity, markup=False, timeout=10)  # type: ignore[arg-type]

    def _announce(self, finished: list[PollUpdate]) -> None:
        """Toast the tasks that just finished, one toast at a time, and ring the bell.

        One task gets its own toast (with the failure reason); several share one: "3 tasks
        finished: 2 succeeded, 1 failed", with their names when there are only a few. The
        answers of one poll round reach the UI a few loop ticks apart, one batch each, so a
        batch arriving while the last finish toast is still shown replaces it with one
        covering both (stacked toasts would cover the detail pane).
        """
        shown = self._finish_toast
        if shown is not None and shown[0] in self._notifications and not shown[0].has_expired:
            self._unnotify(shown[0])
            merged = {u.entry.key: u for u in shown[1]}
            merged.update((u.entry.key, u) for u in finished)
            finished = list(merged.values())
        message, severity = self._finish_message(finished)
        notification = Notification(message, "", severity, self.NOTIFICATION_TIMEOUT)
        # notify() posts this message; handled here and now, the next batch finds the toast
        # on screen (a batch already queued would otherwise miss it) and can take it back.
        self._on_notify(Notify(notification))
        self._finish_toast = (notification, finished)
        if self.config.poll.bell:
            now = self._clock()
            if now - self._last_bell >= 1.0:
                self._last_bell = now
                self.bell()

    @staticmethod
    def _finish_message(finished: list[PollUpdate]) -> tuple[str, SeverityLevel]:
        """The finish toast's text and severity for ``finished`` (at least one task)."""
        done = [u for u in finished if u.entry.status is Status.SUCCEEDED]
        failed = [u for u in finished if u.entry.status is Status.FAILED]
        if len(finished) == 1:
            entry = finished[0].entry
            if failed:
                snap = entry.snapshot
                why = f" — {clip(snap.message, 160)}" if snap and snap.message else ""
                return f"✗ Failed: {entry_name(entry)}{why}", "error"
            return f"✓ Succeeded: {entry_name(entry)}", "information"
        parts = []
        if done:
            parts.append(f"{len(done)} succeeded")
        if failed:
            parts.append(f"{len(failed)} failed")
        message = f"{len(finished)} tasks finished: " + ", ".join(parts)
        if len(finished) <= 3:
            names = [f"✓ {entry_name(u.entry, 30)}" for u in done]
            names += [f"✗ {entry_name(u.entry, 30)}" for u in failed]
            message += "\n" + "  ".join(names)
        return message, "error" if failed else "information"

    # -- chrome --------------------------------------------------------------------------

    def _tick(self) -> None:
        """Once a second: the time-dependent cells on screen and the detail pane."""
        with self.batch_update():
            self.table.refresh_times()
            self.detail.redraw()

    @property
    def config_file(self) -> Path:
        """The config file this app reads (or would read: it may not exist yet)."""
        path = self.config.path
        return Path(path) if path is not None else config_path(None, os.environ)

    def _no_gateway(self) -> bool:
        """Nothing to add tasks to: no configured gateway, none remembered by a task."""
        return not self.gateway_names and not self._remembered_gateways()

    def _empty_text(self) -> Text:
        return Text("No tasks watched yet.\nPress a to add task ids (paste many at once).")

    def _first_run_text(self) -> Text:
        """The empty screen of a first run: where the config is and the three ways in."""
        path = self.config_file
        state = "has no gateway" if path.exists() else "not found"
        bold = Style(bold=True)
        text = Text("No tasks watched yet, and no gateway is configured.\n\n")
        text.append("Config file: ")
        text.append(clean_text(str(path), limit=300), style=bold)
        text.append(f" ({state})\n\n")
        text.append("Press ")
        text.append("n", style=bold)
        text.append(" to set up a gateway here (base URL, path prefix, token variable),\n")
        text.append("or start with  ")
        text.append("kling-tui --base-url URL", style=bold)
        text.append(f"  and the token in ${TOKEN_ENV}.\n")
        text.append("Just looking?  ")
        text.append("kling-tui --demo", style=bold)
        text.append("  runs a demo gateway with demo tasks.")
        return text

    def _refresh_chrome(self) -> None:
        """Header, alert line, empty notice and detail pane, from the table's entries."""
        table = self.table
        state = self._state
        detail = self._state_detail
        if self._crash:
            state, detail = "crashed", self._crash
        elif self.poller.paused:
            state = PollerState.PAUSED.value
        self.summary.show(
            SummaryData(
                gateways=self.gateway_names or sorted(self.view.gateway_counts),
                counts=Counter(self.view.state_counts),
                total=self.view.total,
                shown=table.shown_count,
                state=state,
                detail=detail,
                sort=table.sort_mode.value,
                filter_text=self._filter_text,
            )
        )
        alert = self.alert
        if state in (PollerState.AUTH_FAILED.value, "crashed"):
            if state == "crashed":
                message = Text("Polling stopped: ", style=Style(bold=True))
                message.append(clean_text(detail, limit=400))
            else:
                message = Text("Authentication failed: ", style=Style(bold=True))
                message.append(
                    clean_text(detail or "the gateway refused the credentials", limit=400)
                )
                message.append(" — fix the key in the config, then press R to retry.")
            alert.update(message)
            alert.add_class("-show")
        else:
            alert.remove_class("-show")
        empty = self.empty_notice
        if table.total_count == 0:
            empty.update(self._first_run_text() if self._no_gateway() else self._empty_text())
        elif table.task_filter.problems:
            notice = Text("The filter has an error: ")
            notice.append(clean_text("; ".join(table.task_filter.problems), limit=200))
            notice.append("\nPress / to fix it; Escape in the filter clears it.")
            empty.update(notice)
        elif table.shown_count == 0:
            notice = Text("No task matches the filter “")
            notice.append(clean_text(self._filter_text, limit=80))
            notice.append("”.\nPress / to change it; Escape in the filter clears it.")
            empty.update(notice)
        showing_empty = table.shown_count == 0
        empty.set_class(showing_empty, "-show")
        table.display = not showing_empty
        self.detail.set_class(showing_empty, "-nothing")
        self.detail.show(table.current_entry())

    # -- themes --------------------------------------------------------------------------

    def _on_theme_changed(self, theme: Theme) -> None:
        self._palette = Palette.from_variables(self.get_css_variables())
        with self.batch_update():
            self.table.set_palette(self._palette)
            self.detail.set_palette(self._palette)
            self.summary.set_palette(self._palette)
        if theme.name != self._remembered_theme:
            self._remember_theme(theme.name)

    def _remember_theme(self, name: str) -> None:
        """Save the theme choice in the config file (off the event loop)."""
        self._remembered_theme = name
        path = self.config.path
        if path is None:
            return

        def save() -> None:
            try:
                remember_theme(path, name)
            except Exception as exc:
                self.call_from_thread(
                    self.notify,
                    f"Could not remember the theme in {path}: {exc}",
                    severity="warning",
                    markup=False,
                )

        self.run_worker(
            save, thread=True, exit_on_error=False, group="remember-theme", name="remember-theme"
        )

    # -- command palette -----------------------------------------------------------------

    def _keys_for(self, action: str, screen: Screen[Any] | None = None) -> str:
        """The keys bound to an action right now (keymap applied), app-level keys first.

        ``screen``: whose bindings count (default: the active one; the command palette
        passes the screen it was opened over, toasts the dashboard's own).
        """
        found: list[tuple[bool, str]] = []
        screen = screen if screen is not None else self.screen
        for key, active in screen.active_bindings.items():
            if active.binding.action in (action, f"app.{action}"):
                shown = key if key in ("enter", "escape") else self.get_key_display(active.binding)
                found.append((active.node is not self, shown))
        found.sort(key=lambda item: item[0])
        return "/".join(dict.fromkeys(shown for _, shown in found))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action, help_text in ACTION_HELP.items():
            if action == "quit":
                continue
            title, detail = command_title(help_text)
            keys = self._keys_for(action, screen)
            shown = [f"key {keys}" if keys else "no key bound", *([detail] if detail else [])]
            yield SystemCommand(title, "  ·  ".join(shown), partial(self.run_action, action))
        current = self.theme
        for name in sorted(self.theme_catalog.themes):
            if name in self.available_themes and name != current:
                yield SystemCommand(
                    f"Theme: {name}",
                    f"Switch to the {name} theme",
                    partial(setattr, self, "theme", name),
                )

    def help_keys(self) -> list[tuple[str, str]]:
        """(keys, description) for every action, with the keys as currently bound."""
        rows = []
        for action, help_text in ACTION_HELP.items():
            keys = self._keys_for(action) or "—"
            rows.append((keys, help_text))
        rows.append(("ctrl+p", "Command palette (every action, themes)"))
        return rows

    # -- selection helpers ---------------------------------------------------------------

    def _selected(self) -> WatchEntry | None:
        entry = self.table.current_entry()
        if entry is None:
            self.notify("No task selected.", severity="warning", markup=False)
        return entry

    def _videos_with_url(self, entry: WatchEntry) -> list[Video]:
        snap = entry.snapshot
        return [v for v in snap.videos if v.url] if snap is not None else []

    def _with_video(self, entry: WatchEntry, purpose: str, then: Callable[[Video], None]) -> None:
        videos = self._videos_with_url(entry)
        if not videos:
            self.notify(
                f"No video URL for {entry_name(entry)}: {why_no_video(entry)}.",
                severity="warning",
                markup=False,
            )
            return
        if len(videos) == 1:
            then(videos[0])
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                then(videos[index])

        self.push_screen(VideoChooserScreen(videos, purpose=purpose), chosen)

    # -- actions -------------------------------------------------------------------------

    def _remembered_gateways(self) -> dict[str, WatchEntry]:
        """Gateways known only from tasks added with ``--base-url``: name -> one such task.

        Without a config file, ``kling-tui add --base-url URL`` is how a list starts; the
        dialog must offer that gateway too, and new tasks must live where it lives.
        """
        configured = set(self.gateway_names)
        found: dict[str, WatchEntry] = {}
        for entry in self.poller.entries:
            if entry.base_url and entry.gateway not in configured:
                found.setdefault(entry.gateway, entry)
        return found

    def action_add_tasks(self) -> None:
        remembered = self._remembered_gateways()
        names = self.gateway_names + [g for g in remembered if g not in self.gateway_names]
        default = self.config.default_gateway
        if default not in names and names:
            default = names[0]
        watched: dict[str, list[tuple[str, str]]] = {}
        for entry in self.poller.entries:
            watched.setdefault(entry.task_id, []).append((entry.kind, entry.gateway))
        screen = AddTasksScreen(
            names,
            default,
            watched=watched,
            config_file=self.config_file,
            on_setup=self.action_setup_gateway,
        )
        self.push_screen(screen, self._add_requested)

    def action_setup_gateway(self) -> None:
        """The one-screen gateway setup; the new gateway is usable as soon as it is saved."""
        self.push_screen(GatewaySetupScreen(self.config_file), self._gateway_added)

    def _gateway_added(self, result: SetupResult | None) -> None:
        """Use a gateway the setup just wrote, without a restart.

        The fetcher reads gateways from the config object at every fetch, so adding it to
        that object (and to the fetcher's, should it hold another) is all a hot reload takes.
        """
        if result is None:
            return
        gateway = result.gateway
        configs = [self.config]
        other = getattr(self.poller.fetcher, "config", None)
        if isinstance(other, AppConfig) and other is not self.config:
            configs.append(other)
        for config in configs:
            had_default = config.default_gateway in config.gateways
            config.gateways[gateway.name] = gateway
            if not had_default:
                config.default_gateway = gateway.name
        self.detail.set_origins(self._origins())
        several = len(set(self.gateway_names) | set(self.view.gateway_counts)) > 1
        if several != self.table.show_gateway:
            width = self.size.width
            beside = width >= BESIDE_MIN_WIDTH
            self.table.set_layout_for_width(
                int(width * 0.65) if beside else width, show_gateway=several
            )
        self._refresh_chrome()
        what = "written to" if result.created else "added to"
        note = ""
        if gateway.credential is None:
            note = (
                f" No credential yet: set {gateway.credential_hint} and restart kling-tui"
                " (or polls report 'no token')."
            )
        dialog = self.screen if isinstance(self.screen, AddTasksScreen) else None
        then = "" if dialog is not None else " Press a to add task ids."
        self.notify(
            f"Gateway {clean_text(gateway.name, limit=64)} {what} "
            f"{clean_text(str(result.path), limit=200)}.{then}{note}",
            markup=False,
            timeout=12,
        )
        if dialog is not None:
            dialog.set_gateways(self.gateway_names, self.config.default_gateway)

    def _add_requested(self, request: AddRequest | None) -> None:
        if request is None:
            return
        now = self._now()
        where = self._remembered_gateways().get(request.gateway)
        entries = new_entries(
            request.ids,
            kind=request.kind,
            gateway=request.gateway,
            now=now,
            label=request.label,
            base_url=where.base_url if where else None,
            path_prefix=where.path_prefix if where else None,
        )
        try:
            result = self.poller.add(entries)
        except Exception as exc:
            self.notify(
                f"Could not add: {clean_text(str(exc), limit=300)}", severity="error", markup=False
            )
            return
        added = list(getattr(result, "added", []))
        duplicates = list(getattr(result, "duplicates", []))
        if added:
            self._apply_now()  # the rows arrive through the poller's ListChanged
            self.table.select_key(str(added[0].key))
        parts = []
        if added:
            parts.append(f"Watching {len(added)} new task{'s' if len(added) != 1 else ''}")
        if duplicates:
            parts.append(f"{len(duplicates)} already watched")
        self.notify(". ".join(parts) or "Nothing added.", markup=False)

    def action_remove_task(self) -> None:
        entry = self._selected()
        if entry is None:
            return
        question = Text("Stop watching ")
        question.append(entry_name(entry, 80), style=Style(bold=True))
        question.append(f" ({clip(entry.kind, 40)} on {clip(entry.gateway, 40)})?")
        question.append("\nu undoes it.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._remove(entry)

        self.push_screen(ConfirmScreen(question, yes="Remove"), answered)

    def _remove(self, entry: WatchEntry) -> None:
        try:
            removed = self.poller.remove([entry.key])
        except Exception as exc:
            self.notify(
                f"Could not remove: {clean_text(str(exc), limit=300)}",
                severity="error",
                markup=False,
            )
            return
        if removed:
            self._undo.append(list(removed))
            del self._undo[:-20]
        self._apply_now()  # the row leaves through the poller's ListChanged
        self.notify(f"Removed {entry_name(entry)}. Press u to undo.", markup=False)

    def action_undo_remove(self) -> None:
        if not self._undo:
            self.notify("Nothing to undo.", severity="warning", markup=False)
            return
        entries = self._undo.pop()
        try:
            self.poller.restore(entries)
        except Exception as exc:
            self._undo.append(entries)
            self.notify(
                f"Could not restore: {clean_text(str(exc), limit=300)}",
                severity="error",
                markup=False,
            )
            return
        self._apply_now()  # the rows come back (in place) through the poller's ListChanged
        self.notify(f"Restored {', '.join(entry_name(e, 40) for e in entries)}.", markup=False)

    def action_open_video(self) -> None:
        entry = self._selected()
        if entry is not None:
            self._with_video(entry, "open", lambda video: self.open_video_url(video.url or ""))

    def open_video_url(self, url: str) -> None:
        """Open a URL from a server answer, if it is a plain http(s) link; never blocks."""
        reason = check_open_url(url)
        if reason is not None:
            self.notify(
                f"Not opening this link: {reason}.", severity="warning", markup=False, timeout=8
            )
            return
        opener = self._open_browser

        def launch() -> None:
            try:
                ok = bool(opener(url))
                error = None if ok else "no web browser could be started"
            except (webbrowser.Error, ValueError, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            except Exception as exc:  # any failure of the browser command is reported, not raised
                error = f"{type(exc).__name__}: {exc}"
            with contextlib.suppress(RuntimeError):  # the app may be closing
                self.call_from_thread(self._browser_done, url, error)

        self.run_worker(
            launch, thread=True, exit_on_error=False, group="browser", name="open-browser"
        )

    def _browser_done(self, url: str, error: str | None) -> None:
        if error is None:
            self.notify("Opened the video in your browser.", markup=False)
            return

        def answered(copy: bool | None) -> None:
            if copy:
                self._copy(url, "video URL")

        self.push_screen(OpenFailedScreen(url, clean_text(error, limit=300)), answered)

    def _copy(self, text: str, what: str) -> None:
        """Copy through the terminal (OSC 52): say so, since nothing can tell if it arrived."""
        self.copy_to_clipboard(text)
        self._copied = (text, what)
        show = self._keys_for("show_copied", self.screen_stack[0])
        hint = f"{show} shows it" if show else "“Show the copied text” (ctrl+p) shows it"
        self.notify(
            f"Sent the {what} to the terminal clipboard (OSC 52): {clean_text(text, limit=120)}"
            f"\nNot there? {hint} to copy by hand.",
            markup=False,
            timeout=8,
        )

    def action_show_copied(self) -> None:
        if self._copied is None:
            base = self.screen_stack[0]
            self.notify(
                f"Nothing copied yet: {self._keys_for('copy_id', base) or 'copy id'} copies the "
                f"task id, {self._keys_for('copy_url', base) or 'copy URL'} the video URL.",
                severity="warning",
                markup=False,
            )
            return
        text, what = self._copied
        self.push_screen(CopyTextScreen(text, what))

    def action_copy_url(self) -> None:
        entry = self._selected()
        if entry is not None:
            self._with_video(entry, "copy", lambda video: self._copy(video.url or "", "video URL"))

    def action_copy_id(self) -> None:
        entry = self._selected()
        if entry is not None:
            self._copy(entry.task_id, "task id")

    def action_refresh_task(self) -> None:
        entry = self._selected()
        if entry is None:
            return
        self.poller.refresh(entry.key)
        # The refresh runs while paused too (issue 9): say so, not "(polling is paused)".
        note = "; polling stays paused" if self.poller.paused else ""
        self.notify(f"Refreshing {entry_name(entry)} now{note}.", markup=False, timeout=2)

    def action_refresh_all(self) -> None:
        self.poller.refresh(None)
        note = "; polling stays paused" if self.poller.paused else ""
        self.notify(
            f"Refreshing all {self.table.total_count} tasks now{note}.", markup=False, timeout=2
        )

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

    def apply_filter(self, text: str) -> TaskFilter:
        task_filter = parse_filter(text)
        self._filter_text = task_filter.text if task_filter.active else ""
        self.table.set_filter(task_filter)
        self._refresh_chrome()
        return task_filter

    def on_input_changed(self, event: FilterBar.Changed) -> None:
        if isinstance(event.input, FilterBar):
            self.apply_filter(event.value)

    def on_filter_bar_done(self, event: FilterBar.Done) -> None:
        task_filter = self.apply_filter(event.text)
        self.table.focus()
        if task_filter.problems:
            self.notify(
                "Filter: " + "; ".join(task_filter.problems), severity="warning", markup=False
            )

    def action_cycle_sort(self) -> None:
        mode = self.table.sort_mode.next()
        self.table.set_sort(mode)
        self._refresh_chrome()
        self.notify(f"Sorted by {mode.value}.", markup=False, timeout=2)

    def set_sort(self, mode: SortMode) -> None:
        self.table.set_sort(mode)
        self._refresh_chrome()

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

    def action_help(self) -> None:
        colour = self._palette.badge_color("stale")
        self.push_screen(HelpScreen(self.help_keys(), key_colour=colour))

    async def action_quit(self) -> None:
        await self.shutdown_poller()
        self.exit(0)

    async def shutdown_poller(self, timeout: float = 5.0) -> None:
        """Stop the poll loop, let it save the watch list, close the fetcher we own."""
        self._quitting = True
        self.poller.stop()
        worker = self._poller_worker
        if worker is not None and not worker.is_finished:
            try:
                await asyncio.wait_for(worker.wait(), timeout)
            except Exception:  # a timeout or a failed final save must not block quitting
                log.exception("poller did not stop cleanly")
        if self._close_fetcher:
            close = getattr(self.poller.fetcher, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(close(), timeout)


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
    app = KlingApp(poller, config, theme=theme, demo_note=demo_note, close_fetcher=True)
    app.run()
    # Normally the poll loop saved everything on quit; after a crash exit, try once more.
    with contextlib.suppress(Exception):
        asyncio.run(poller.flush())
    with contextlib.suppress(Exception):  # a speed-up for the next start, nothing more
        poller.store.remember_parsed()
    return app.return_code if app.return_code is not None else 0
