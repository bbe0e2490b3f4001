"""From the poller to the screen: the poll loop worker, event batching, finish toasts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from textual.notifications import Notification, Notify, SeverityLevel

from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import Status
from kling_tui.notify import osc_notification
from kling_tui.polling.poller import Notice, PollerEvent, PollUpdate
from kling_tui.ui.format import clip
from kling_tui.ui.messages import PollerBatch, PollerCrashed
from kling_tui.ui.task_actions import entry_name

log = logging.getLogger(__name__)


class PollerFeedMixin:
    """KlingApp's poller concern: keep the loop alive, fold its events into one batch per
    loop tick, apply each batch to the view model and table, and toast what finished."""

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
            self._notify_outside(batch.finished)
            self._auto_download(batch.finished)
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

    def _notify_outside(self, finished: list[PollUpdate]) -> None:
        """Beyond the toast: the ``[notify]`` command per task (in the background) and one
        OSC 9 / 777 terminal notification per batch where the terminal shows them."""
        runner = self.notifier
        for update in finished:
            task = runner.submit(update.entry)
            if task is not None:
                task.add_done_callback(lambda _task: self._report_notify_problem())
        self._report_notify_problem()
        if self._osc_kind is not None:
            message, _ = self._finish_message(finished)
            self._write_terminal(osc_notification(self._osc_kind, "kling-tui", message))

    def _report_notify_problem(self) -> None:
        """The notify command's first failure, once, as a notice."""
        problem = self.notifier.take_report()
        if problem is not None:
            self.notify(problem, severity="warning", markup=False, timeout=10)

    def _write_terminal(self, sequence: str) -> None:
        """An escape sequence straight to the terminal (never under ``run_test``)."""
        driver = self._driver
        if not self.is_headless and driver is not None:
            driver.write(sequence)

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
