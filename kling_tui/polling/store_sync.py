"""The poller's watch-list file sync (``StoreSyncMixin``): batched saves off the event
loop (``flush``), reloads of a file another process changed, and merging the file's task
set into the tracked one (``_merge_fresh``). A mixin of ``Poller`` (``polling.poller``)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from kling_tui.models import TaskKey, WatchEntry
from kling_tui.polling.events import ListChanged, Notice, PollerEvent
from kling_tui.store.watchlist import WatchList

log = logging.getLogger("kling_tui.polling.poller")  # the poller's logger, as before the split


class StoreSyncMixin:
    """Poller's store concern; the attributes below are ``Poller``'s."""

    store: WatchList
    _entries: dict[TaskKey, WatchEntry]
    _dirty: set[TaskKey]
    _store_lock: threading.Lock
    _scope: set[TaskKey] | None
    _last_save: float
    _clock: Callable[[], float]
    _publish: Callable[[PollerEvent], None]
    _update_state: Callable[[], None]
    _track: Callable[..., None]
    _untrack: Callable[[TaskKey], WatchEntry | None]

    async def flush(self) -> None:
        """Write pending results to the watch list in one atomic write, off the event loop."""
        if not self._dirty:
            return
        keys, self._dirty = self._dirty, set()
        batch = [self._entries[k] for k in keys if k in self._entries]
        self._last_save = self._clock()
        try:
            fresh = await asyncio.to_thread(self._save_locked, batch)
        except Exception:
            # Keep the results in memory and try again at the next save. The caller says
            # what failed (the dashboard a notice, the CLI one line): a traceback here went
            # to stderr through logging's last-resort handler, before the clean message.
            self._dirty |= {e.key for e in batch}
            log.debug("saving the watch list failed", exc_info=True)
            raise
        if fresh is not None:
            self._merge_fresh(fresh)

    async def _flush_reporting(self) -> None:
        """Flush from the loop: a failed save is reported and retried, never fatal."""
        try:
            await self.flush()
        except Exception as exc:
            self._publish(Notice(f"could not save the watch list: {exc}", "error"))

    def _save_locked(self, batch: list[WatchEntry]) -> dict[TaskKey, WatchEntry] | None:
        """Runs in a thread. The store re-reads a file another process changed before it
        writes, so the save may bring in their additions: hand them back to be merged."""
        with self._store_lock:
            # Not changed_on_disk() before update(): another process writing between that
            # look and update's lock had its task taken into the store but never tracked.
            reads = self.store.reads
            self.store.update(batch)
            return {e.key: e for e in self.store.entries} if self.store.reads != reads else None

    def _reload_locked(self) -> dict[TaskKey, WatchEntry] | None:
        """Runs in a thread: re-read the file if another process changed it."""
        with self._store_lock:
            if not self.store.reload_if_changed():
                return None
            return {e.key: e for e in self.store.entries}

    def _merge_fresh(self, fresh: dict[TaskKey, WatchEntry]) -> None:
        """Make the tracked set match the store's: schedule new tasks, drop removed ones.

        Tasks we already track keep our in-memory object (its snapshot may be fresher than
        the file's); only the hand-editable label is taken from the file.
        """
        if self._scope is not None:
            fresh = {k: e for k, e in fresh.items() if k in self._scope}
        added = [e for k, e in fresh.items() if k not in self._entries]
        removed = [k for k in self._entries if k not in fresh]
        for key in removed:
            self._untrack(key)
        for entry in added:
            self._track(entry)
        for key, entry in fresh.items():
            mine = self._entries.get(key)
            if mine is not None and mine is not entry:
                mine.label = entry.label
        if added or removed:
            self._publish(ListChanged(tuple(added), tuple(removed)))
            self._update_state()
