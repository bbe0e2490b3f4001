"""The watch list's errors: what the operator reads when the file cannot be used."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class WatchListError(Exception):
    """The watch list cannot be read, is invalid, or cannot be written.

    ``line`` points the operator at what to fix by hand (1-based; ``None`` when unknown).
    While the file is invalid, every mutating call raises this and leaves the file alone.
    """

    def __init__(self, path: Path | None, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = "watch list" if self.path is None else f"watch list {self.path}"
        if self.line is not None:
            where += f", line {self.line}"
        return f"{where}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.line, self.message))


class EntryInvalid(Exception):
    """An entry field is wrong; the codec's callers turn it into a WatchListError with the
    path and line (or a ValueError for an entry about to be saved)."""
