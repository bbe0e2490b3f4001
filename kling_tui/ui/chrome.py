"""The dashboard's chrome: header, alert line, empty / first-run notice, the clock tick."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from rich.style import Style
from rich.text import Text

from kling_tui.config import TOKEN_ENV, config_path
from kling_tui.gateway.sanitize import clean_text
from kling_tui.polling.poller import PollerState
from kling_tui.ui.widgets.summary import SummaryData

BESIDE_MIN_WIDTH = 180
"""From this width the detail pane sits beside the table instead of below it."""


class ChromeMixin:
    """KlingApp's layout concern: everything around the table that is redrawn from its
    entries and the poller state (``_refresh_chrome``), and the once-a-second tick."""

    _shown_expiring = 0
    """The header's expiring count as last drawn (the tick redraws when it moves)."""

    def _tick(self) -> None:
        """Once a second: the time-dependent cells on screen, the detail pane, the header's
        expiring count (it moves with the clock) and the daily expiry reminder."""
        with self.batch_update():
            self.table.refresh_times()
            self.detail.redraw()
            if self.view.expiring_count(self._now()) != self._shown_expiring:
                self._refresh_chrome()
        self._remind_expiring()

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
        counts = Counter(self.view.state_counts)
        expiring = self._shown_expiring = self.view.expiring_count(self._now())
        if expiring:
            counts["expiring"] = expiring
        self.summary.show(
            SummaryData(
                gateways=self.gateway_names or sorted(self.view.gateway_counts),
                counts=counts,
                total=self.view.total,
                shown=table.shown_count,
                state=state,
                detail=detail,
                sort=table.sort_mode.value,
                filter_text=self._filter_text,
                cost=self.header_cost(),
                sort_reverse=table.sort_reverse,
                marked=len(table.marked),
                hide_finished=self.hide_finished,
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
            alert.remove_class("-info")
        elif self._import_progress is not None:
            alert.update(Text(clean_text(self._import_progress, limit=200)))
            alert.add_class("-show", "-info")
        else:
            alert.remove_class("-show", "-info")
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
