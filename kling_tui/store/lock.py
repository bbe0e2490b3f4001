"""The watch list's lock: one read-modify-write at a time, across processes.

The lock is an exclusive ``flock`` on a sidecar ``<name>.lock`` (never the data file,
which ``os.replace`` swaps out from under any lock held on it). It is never deleted:
deleting lock files races.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from kling_tui.store.errors import WatchListError

LOCK_TIMEOUT = 30.0
"""Seconds to wait for another process's read-modify-write (which takes well under one)."""


@contextlib.contextmanager
def exclusive_lock(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the lock of the watch list at ``path`` (one lock per file, whatever the link)."""
    target = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WatchListError(path, None, f"cannot create {target.parent}: {exc.strerror}") from exc
    lock_path = target.with_name(target.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise WatchListError(
            path, None, f"cannot open the lock file {lock_path}: {exc.strerror}"
        ) from exc
    try:
        deadline = time.monotonic() + timeout
        pause = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise WatchListError(
                        path, None, f"another process has held {lock_path} for {timeout:.0f} s"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.02)
        yield
    finally:
        os.close(fd)  # releases the flock
