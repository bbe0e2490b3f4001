"""What the dashboard shows of a task's downloads: one state per row, from many files.

Pure (no Textual): the downloader reports each file (``DownloadProgress``: queued,
running with bytes, done, failed, skipped); a task with a video and its watermarked copy,
or several images, is one row. ``TaskDownload`` folds a task's files into what its row and
detail pane show; ``DownloadBoard`` keeps them per task and hands out only what changed
since the last tick (the UI's coalescing: at most one redraw per task per tick, whatever
the number of progress reports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from kling_tui.models import TaskKey


class FileProgress(Protocol):
    """The fields of the downloader's ``DownloadProgress`` read here."""

    @property
    def key(self) -> TaskKey: ...
    @property
    def n(self) -> int: ...
    @property
    def role(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def done(self) -> int: ...
    @property
    def total(self) -> int | None: ...
    @property
    def state(self) -> str: ...
    @property
    def message(self) -> str: ...


QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
_CLAIM = (-1, "")
"""The placeholder file of a task claimed for download (:meth:`DownloadBoard.claim`)."""


@dataclass(frozen=True, slots=True)
class FileState:
    path: str
    state: str
    done: int = 0
    total: int | None = None
    message: str = ""


@dataclass(slots=True)
class TaskDownload:
    """A task's files as its row shows them."""

    files: dict[tuple[int, str], FileState] = field(default_factory=dict)

    @property
    def state(self) -> str:
        """``running`` while any file moves, ``queued`` while all wait, ``failed`` when one
        failed and none is left to do, else ``done`` (skipped: on disk already)."""
        states = {f.state for f in self.files.values()}
        if RUNNING in states or (QUEUED in states and states - {QUEUED}):
            return RUNNING
        if QUEUED in states:
            return QUEUED
        if FAILED in states:
            return FAILED
        return DONE

    @property
    def fraction(self) -> float | None:
        """Bytes done over bytes known (files done count whole); None: no size known yet."""
        done = total = 0
        for f in self.files.values():
            if f.state in (DONE, "skipped"):
                size = f.total or f.done
                done, total = done + size, total + size
            elif f.total:
                done, total = done + min(f.done, f.total), total + f.total
            else:
                return None
        return done / total if total else None

    @property
    def bytes_done(self) -> int:
        return sum(f.done for f in self.files.values())

    @property
    def message(self) -> str:
        """The first failure's words (the downloader's, cleaned there)."""
        return next((f.message for f in self.files.values() if f.state == FAILED), "")

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.files.values() if f.path]


class DownloadBoard:
    """Every task's download state, and which tasks changed since ``take_changed``."""

    def __init__(self) -> None:
        self.tasks: dict[str, TaskDownload] = {}
        self._changed: set[str] = set()

    def report(self, progress: FileProgress) -> bool:
        """Fold one file's report in. True when its task had no change pending yet (the
        caller then schedules one redraw for this tick)."""
        key = str(progress.key)
        task = self.tasks.setdefault(key, TaskDownload())
        task.files.pop(_CLAIM, None)  # the downloader speaks for the task now
        task.files[(progress.n, progress.role)] = FileState(
            progress.path, progress.state, progress.done, progress.total, progress.message
        )
        first = not self._changed
        self._changed.add(key)
        return first

    def take_changed(self) -> list[str]:
        changed, self._changed = sorted(self._changed), set()
        return changed

    def get(self, key: str) -> TaskDownload | None:
        return self.tasks.get(key)

    def claim(self, key: str) -> None:
        """The task is queued for download from now on (before the worker runs and its
        downloader reports a file): a second ``D`` meanwhile finds it :meth:`busy` and
        starts no second download of the same files."""
        task = self.tasks.setdefault(key, TaskDownload())
        if not task.files or task.state not in (QUEUED, RUNNING):
            task.files = {_CLAIM: FileState("", QUEUED)}
        self._changed.add(key)

    def busy(self, key: str) -> bool:
        task = self.tasks.get(key)
        return task is not None and task.state in (QUEUED, RUNNING)

    def forget(self, key: str) -> None:
        self.tasks.pop(key, None)
        self._changed.discard(key)
