"""The once-a-day reminder of expiring results: which day it was last given, on disk.

The dashboard toasts "N results expire within 3 days" once a day while any are expiring;
the day is kept in the user's state directory (``platformdirs.user_state_path``), so a
restart the same day does not toast again. A missing, unreadable or garbled file only
means the reminder comes again: it is a courtesy, never a reason to fail.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from pathlib import Path

import platformdirs

from kling_tui.store.atomic import atomic_write
from kling_tui.store.safe_read import FileRefused, read_regular

__all__ = ["DailyReminder", "reminder_path"]

_LIMIT = 64
"""The file holds one ISO date: anything longer is not ours."""


def reminder_path() -> Path:
    return platformdirs.user_state_path("kling-tui") / "expiring-reminded"


class DailyReminder:
    """``due(now)``: not reminded yet on ``now``'s UTC day; ``done(now)`` remembers it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else reminder_path()
        self._last: date | None = None
        with contextlib.suppress(OSError, ValueError, FileRefused):
            data, _ = read_regular(self.path, limit=_LIMIT)
            self._last = date.fromisoformat(data.decode("ascii").strip())

    def due(self, now: datetime) -> bool:
        return self._last != now.date()

    def done(self, now: datetime) -> None:
        """Remember today (in memory at once; on disk as far as the disk allows)."""
        self._last = now.date()
        with contextlib.suppress(OSError):
            atomic_write(self.path, self._last.isoformat().encode("ascii") + b"\n")
