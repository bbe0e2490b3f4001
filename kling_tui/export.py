"""Tasks as CSV or JSON lines: ``kling-tui ls --csv``, ``kling-tui export`` and the
dashboard's ``e`` all build their rows here (:func:`export_row`), so the three agree.

A spreadsheet is a hostile reader of its own: a cell starting with ``=``, ``+``, ``-``,
``@``, tab or CR is a formula there (``=HYPERLINK(...)`` from a server message). Every CSV
cell is cleaned (``clean_text``: no control, bidi or zero-width character, capped) and such
a cell gets a leading ``'`` (OWASP's advice). Files are replaced atomically
(``store.atomic``): a reader never sees half an export.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from kling_tui.filtering import TaskFilter, row_state
from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import WatchEntry
from kling_tui.store.atomic import atomic_write

CELL_LIMIT = 10_000
"""Cap of one cell (a message is at most a few KiB, a URL 4 KiB)."""
FORMATS = ("csv", "jsonl")
LIST_SEPARATOR = " "
"""Several values in one CSV cell (URLs, durations, files) are joined by a space."""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _snap(entry: WatchEntry, read: Callable[[Any], Any], empty: Any = None) -> Any:
    return read(entry.snapshot) if entry.snapshot is not None else empty


def _local_files(entry: WatchEntry) -> list[str]:
    """The paths of the task's downloaded files (``WatchEntry.local_files``, recorded by
    ``kling_tui.downloads``), one per result."""
    return [f.path for f in entry.local_files]


COLUMNS: tuple[tuple[str, Callable[[WatchEntry], Any]], ...] = (
    ("task_id", lambda e: e.task_id),
    ("kling_task_id", lambda e: _snap(e, lambda s: s.kling_task_id)),
    ("external_task_id", lambda e: _snap(e, lambda s: s.external_task_id)),
    ("gateway", lambda e: e.gateway),
    ("kind", lambda e: e.kind),
    ("model", lambda e: _snap(e, lambda s: s.model)),
    ("label", lambda e: e.label),
    ("status", lambda e: row_state(e).value),
    ("status_raw", lambda e: _snap(e, lambda s: s.status_raw)),
    ("progress", lambda e: _snap(e, lambda s: s.progress)),
    ("durations", lambda e: _snap(e, lambda s: [v.duration for v in s.videos if v.duration], [])),
    ("video_urls", lambda e: _snap(e, lambda s: [v.url for v in s.videos if v.url], [])),
    ("image_urls", lambda e: _snap(e, lambda s: [i.url for i in s.images if i.url], [])),
    ("cost", lambda e: _snap(e, lambda s: s.final_unit_deduction)),
    ("local_files", _local_files),
    ("added_at", lambda e: _iso(e.added_at)),
    ("created_at", lambda e: _snap(e, lambda s: _iso(s.created_at))),
    ("updated_at", lambda e: _snap(e, lambda s: _iso(s.updated_at))),
    ("last_checked", lambda e: _iso(e.last_checked)),
    ("message", lambda e: _snap(e, lambda s: s.message or None)),
    ("error", lambda e: e.last_error.message if e.last_error is not None else None),
)
"""The export's columns in order: (name, value of one entry). A new column is one line."""
HEADER = tuple(name for name, _ in COLUMNS)


def export_row(entry: WatchEntry) -> dict[str, Any]:
    """One task as ``{column: value}``; strings cleaned, lists for several values."""
    return {name: _clean(read(entry)) for name, read in COLUMNS}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value, CELL_LIMIT)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def csv_cell(value: Any) -> str:
    """A value as one safe CSV cell: cleaned, lists space-joined, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, list):
        text = LIST_SEPARATOR.join(csv_cell(v).removeprefix("'") for v in value)
    else:
        text = str(value)
    formula = _is_formula(text)  # a tab or CR is cleaned to "\t" below
    text = clean_text(text, CELL_LIMIT)
    return "'" + text if formula or _is_formula(text) else text


def _is_formula(text: str) -> bool:
    """Starts a formula, also after leading spaces: Google Sheets and LibreOffice (with
    "trim spaces") drop them on import and then read ``  =cmd`` as a formula."""
    return text.lstrip(" ").startswith(_FORMULA_START)


def select(entries: Iterable[WatchEntry], task_filter: TaskFilter | None) -> list[WatchEntry]:
    """The entries a filter shows (all when there is none): the dashboard's ``/`` rule."""
    if task_filter is None or not task_filter.active:
        return list(entries)
    return [e for e in entries if task_filter.matches(e)]


def to_csv(entries: Sequence[WatchEntry]) -> str:
    """A header line and one line per task (``\\r\\n`` line ends, as RFC 4180 says)."""
    import csv  # only exports need it (1 ms of the dashboard's import otherwise)

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for entry in entries:
        writer.writerow([csv_cell(v) for v in export_row(entry).values()])
    return buffer.getvalue()


def to_jsonl(entries: Sequence[WatchEntry]) -> str:
    """One JSON object per task (the same columns, lists kept as lists)."""
    return "".join(json.dumps(export_row(e), ensure_ascii=False) + "\n" for e in entries)


def render(entries: Sequence[WatchEntry], fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    return to_csv(entries) if fmt == "csv" else to_jsonl(entries)


def write_export(path: Path, entries: Sequence[WatchEntry], fmt: str) -> int:
    """Write ``entries`` to ``path`` atomically; returns the number of rows written."""
    atomic_write(path, render(entries, fmt).encode("utf-8"))  # a new file: mode 0600
    return len(entries)


def default_export_name(now: datetime, fmt: str = "csv") -> str:
    """``kling-tasks-20260102-150405.csv``: the dashboard's ``e`` file name."""
    return f"kling-tasks-{now:%Y%m%d-%H%M%S}.{fmt}"


MAX_PATH_CHARS = 4096


def export_target(text: str, default_name: str, cwd: Path) -> tuple[Path, str]:
    """Where the dashboard's export dialog writes, from what was typed: ``~`` expanded,
    relative to ``cwd``, a directory gets ``default_name``; the format follows the suffix
    (``.jsonl`` / ``.ndjson``: JSON lines, anything else CSV). ValueError says what is wrong
    (the folder must exist: an export never creates directories)."""
    text = text.strip()
    if not text:
        raise ValueError("give a file name or a folder")
    if len(text) > MAX_PATH_CHARS or not text.isprintable():
        raise ValueError(f"a path of printable characters, at most {MAX_PATH_CHARS}")
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = cwd / path
    if path.is_dir():
        path = path / default_name
    if not path.parent.is_dir():
        raise ValueError(f"no such folder: {clean_text(str(path.parent), 300)}")
    fmt = "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv"
    return path, fmt
