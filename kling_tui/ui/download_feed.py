"""The dashboard's downloads: ``D``, ``[download] auto``, opening a saved file, the
expiry reminder.

* ``D`` hands the chosen tasks (``_target_entries``: the marked ones, else the cursor's)
  to the core's ``Downloader`` in a background async worker (``exit_on_error=False``: a
  full disk or a dead link is a toast, never the end of the app). The downloader records
  each finished file on its task through the one store; the rows are redrawn from the
  entries when it ends.
* Progress reports (one per state change, bytes every 0.1 s per file) are folded into the
  table's ``DownloadBoard``; one redraw per loop tick carries the latest of every task that
  moved (as ``poller_feed`` coalesces poller events), and only the progress cells change.
* ``o`` / Enter on a downloaded task opens the saved file (``urls.local_file_url``: a file
  that exists under the download folder, as ``file://``), through the same injectable
  opener and thread worker as links; without one, the result's link as before.
* Once a day while any result expires within three days (not downloaded), one toast says
  so (``reminder.DailyReminder``: the day is kept in the state directory).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence

from kling_tui.downloads.manager import Downloader, DownloadProgress, DownloadResult
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.gateway.sanitize import clean_text
from kling_tui.gateway.urls import local_file_url
from kling_tui.models import Status, WatchEntry
from kling_tui.polling.poller import PollUpdate
from kling_tui.reminder import DailyReminder
from kling_tui.ui.format import clip
from kling_tui.ui.task_actions import entry_name, result_noun

log = logging.getLogger(__name__)


class DownloadMixin:
    """KlingApp's download concern (see the module docstring)."""

    _reminder: DailyReminder | None = None

    # -- D ---------------------------------------------------------------------------------

    def action_download(self) -> None:
        targets = self._target_entries()  # the marked tasks, else the cursor's (task_actions)
        if not targets:
            return  # _target_entries said why
        self.start_download(targets)

    def start_download(self, entries: Sequence[WatchEntry], *, auto: bool = False) -> int:
        """Download the results of those of ``entries`` that succeeded and have a URL and
        are not being downloaded already; returns how many tasks were started. ``auto``:
        from ``[download] auto`` (no toast for the tasks left out)."""
        board = self.table.downloads
        wanted: list[WatchEntry] = []
        skipped: list[str] = []
        for entry in entries:
            snap = entry.snapshot
            if snap is None or snap.status is not Status.SUCCEEDED or not snap.result_urls:
                skipped.append(f"{entry_name(entry, 40)} has no finished result to download")
            elif board.busy(str(entry.key)):
                skipped.append(f"{entry_name(entry, 40)} is being downloaded already")
            else:
                wanted.append(entry)
        if skipped and not auto:
            self.notify("; ".join(skipped[:3]) + ".", severity="warning", markup=False)
        if not wanted:
            return 0
        for entry in wanted:
            board.claim(str(entry.key))
        self._flush_downloads()  # the rows say "queued" now
        self.run_worker(
            self._download(wanted), name="download", group="download", exit_on_error=False
        )
        return len(wanted)

    async def _download(self, entries: list[WatchEntry]) -> None:
        fetcher = self.poller.fetcher
        try:
            async with Downloader(
                self.config.download,
                fetcher=fetcher if isinstance(fetcher, Fetcher) else None,
                store=self.poller.store,
            ) as downloader:
                results = await downloader.run(entries, self._on_download_progress)
        except Exception as exc:  # a folder that cannot be made, a broken store...
            log.exception("download failed")
            self._download_finished(entries, [], clean_text(f"{exc}", limit=300))
            return
        self._download_finished(entries, results, None)

    def _on_download_progress(self, progress: DownloadProgress) -> None:
        """The downloader's callback: fold in, one redraw per loop tick for all tasks.

        The downloader calls it on the app's loop (its transfer threads hop there first);
        a call from another thread is moved onto the loop all the same."""
        loop = self._loop
        if loop is not None and self._thread_id != threading.get_ident():
            loop.call_soon_threadsafe(self._on_download_progress, progress)
            return
        if self.table.downloads.report(progress):
            if loop is not None:
                loop.call_soon(self._flush_downloads)
            else:
                self._flush_downloads()

    def _flush_downloads(self) -> None:
        if self._quitting or not self.table.is_mounted:
            return
        changed = self.table.downloads.take_changed()
        if not changed:
            return
        with self.batch_update():
            self.table.refresh_downloads(changed)
            current = self.table.current_key()
            if current in changed:
                self.detail.redraw()

    def _download_finished(
        self, entries: list[WatchEntry], results: list[DownloadResult], error: str | None
    ) -> None:
        """The rows from their entries again (saved files, ``download_error``), one toast."""
        board = self.table.downloads
        for entry in entries:
            board.forget(str(entry.key))
        if self._quitting or not self.table.is_mounted:
            return
        with self.batch_update():
            self.view.upsert(entries)  # a saved result is no longer expiring
            self.table.upsert(entries)
            self.table.refresh_downloads(str(e.key) for e in entries)
            self._refresh_chrome()
        self._download_toast(entries, results, error)

    def _download_toast(
        self, entries: list[WatchEntry], results: list[DownloadResult], error: str | None
    ) -> None:
        if error is not None:
            self.notify(f"Download failed: {error}", severity="error", markup=False, timeout=10)
            return
        saved = [r for r in results if r.state == "done"]
        had = [r for r in results if r.state == "skipped"]
        failed = [r for r in results if r.state == "failed"]
        parts = []
        if saved:
            where = clip(saved[0].path, 120) if len(saved) == 1 else f"{len(saved)} files"
            parts.append(f"Saved {where}")
        if had:
            parts.append(f"{len(had)} already on disk")
        if failed:
            names = {r.key: e for e in entries for r in failed if e.key == r.key}
            first = failed[0]
            who = entry_name(names[first.key], 40) if first.key in names else "a task"
            parts.append(f"{len(failed)} failed ({who}: {clip(first.message, 160)})")
        if not parts:
            parts.append("Nothing to download")
        self.notify(
            "; ".join(parts) + ".",
            severity="error" if failed else "information",
            markup=False,
            timeout=10 if failed else 5,
        )

    def _auto_download(self, finished: list[PollUpdate]) -> None:
        """``[download] auto = true``: every task that just succeeded is downloaded."""
        if not self.config.download.auto:
            return
        done = [u.entry for u in finished if u.entry.status is Status.SUCCEEDED]
        if done:
            self.start_download(done, auto=True)

    # -- o on a saved task -------------------------------------------------------------------

    def _open_saved(self, entry: WatchEntry) -> bool:
        """Open the task's saved file if it has one on disk under the download folder;
        False when it has none (the caller opens the link instead)."""
        files = sorted(entry.local_files, key=lambda f: (f.role == "watermark", f.n))
        if not files:
            return False
        folder = self.config.download.folder()
        reasons = []
        for local in files:
            url, reason = local_file_url(local.path, folder)
            if url is not None:
                self._launch_opener(url, f"saved {result_noun(entry)}", what="file")
                return True
            reasons.append(reason)
        self.notify(
            f"Not opening the saved file: {reasons[0]}; opening the link instead.",
            severity="warning",
            markup=False,
        )
        return False

    # -- the daily reminder ------------------------------------------------------------------

    def _remind_expiring(self) -> None:
        """One toast a day while any result expires within three days, not downloaded."""
        now = self._now()
        count = self.view.expiring_count(now)
        if not count:
            return
        if self._reminder is None:
            self._reminder = DailyReminder()
        if not self._reminder.due(now):
            return
        self._reminder.done(now)
        noun = "result expires" if count == 1 else "results expire"
        with contextlib.suppress(Exception):  # a toast must never cost the app
            self.notify(
                f"{count} {noun} within 3 days and {'is' if count == 1 else 'are'} not "
                "downloaded: filter status:expiring, press D to save.",
                severity="warning",
                markup=False,
                timeout=15,
            )
