"""What the commands print: the last sanitising gate, JSON lines, tables and rows."""

from __future__ import annotations

import json
from typing import TextIO

from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import FetchError, TaskSnapshot, WatchEntry, snapshot_json, utcnow
from kling_tui.polling.eta import UNLEARNED, is_stuck

OUTPUT_LIMIT = 10_000
"""Cap of one printed field (a message is at most a few KiB; a URL 4 KiB)."""


def _safe(value: object) -> str:
    """Text for the terminal: every string printed here (server, file, argv) goes through it.

    The core modules clean what they produce already; this is the last gate, so an id typed
    on the command line or a hand-edited watch list cannot put an escape on anyone's screen.
    """
    return clean_text(value, OUTPUT_LIMIT)


def _json_safe(value: object) -> object:
    """``value`` with every string in it cleaned (``ensure_ascii=False`` keeps C1 raw)."""
    if isinstance(value, str):
        return clean_text(value, OUTPUT_LIMIT)
    if isinstance(value, dict):
        return {_safe(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _json_line(record: dict[str, object]) -> str:
    return json.dumps(_json_safe(record), ensure_ascii=False)


def _row(
    task_id: str,
    kind: str,
    snap: TaskSnapshot | None,
    error: FetchError | None,
    label: str | None = None,
) -> list[str]:
    if snap is not None:
        status = snap.status_label
        progress = f"{snap.progress:.0f}%" if snap.progress is not None else "-"
        durations = [f"{v.duration:g}s" for v in snap.videos if v.duration is not None]
        if snap.images:  # an image task: how many images, under DURATION
            durations.append(f"{len(snap.images)} img")
        duration = ",".join(durations) or "-"
        urls = snap.result_urls
        detail = urls[0] if urls else snap.message
    else:
        status, progress, duration, detail = "-", "-", "-", ""
    if error is not None:
        status = f"error:{error.type.value}" if snap is None else f"{status} (stale)"
        detail = error.message
    if label:
        detail = f"[{label}] {detail}".rstrip()
    return [task_id, kind, status, progress, duration, detail]


def _print_table(rows: list[list[str]], out: TextIO) -> None:
    header = ["ID", "KIND", "STATUS", "PROGRESS", "DURATION", "[LABEL] VIDEO / MESSAGE"]
    table = [header, *([_safe(c) for c in r] for r in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(header) - 1)]
    for r in table:
        cells = [c.ljust(w) for c, w in zip(r, widths, strict=False)]
        print("  ".join([*cells, r[-1]]).rstrip(), file=out)


def _record(entry: WatchEntry) -> dict[str, object]:
    record = snapshot_json(
        entry.task_id,
        entry.kind,
        entry.snapshot,
        entry.last_error,
        local_files=entry.local_files,
        download_error=entry.download_error,
    )
    # The id the operator added, not the answer's (Kling's id, for a task watched by its
    # external id): a script matches its own ids. The others are in kling_task_id,
    # external_task_id and ids.
    record["task_id"] = entry.task_id
    record["ids"] = list(entry.known_ids)
    record["external"] = entry.external
    record["gateway"] = entry.gateway
    record["label"] = entry.label
    record["stale"] = entry.last_error is not None and entry.snapshot is not None
    # As the last poll decided it; ``ls`` (no poll) decides it now from the stored
    # ``state_since`` and the default render times.
    record["stuck"] = entry.stuck or is_stuck(entry, UNLEARNED, utcnow())
    record["last_checked"] = entry.last_checked.isoformat() if entry.last_checked else None
    return record


def _entry_row(entry: WatchEntry) -> list[str]:
    return _row(entry.task_id, entry.kind, entry.snapshot, entry.last_error, entry.label)


def _emit(entry: WatchEntry, as_json: bool, out: TextIO) -> None:
    """One line per task, as it happens (``wait``): JSON, or a row without alignment."""
    if as_json:
        print(_json_line(_record(entry)), file=out, flush=True)
    else:
        print("  ".join(_safe(c) for c in _entry_row(entry) if c), file=out, flush=True)


def _emit_all(entries: list[WatchEntry], as_json: bool, out: TextIO) -> None:
    """Many tasks at once (``ls``, ``watch``): JSON lines, or an aligned table."""
    if as_json:
        for entry in entries:
            print(_json_line(_record(entry)), file=out)
    elif entries:
        _print_table([_entry_row(e) for e in entries], out)
