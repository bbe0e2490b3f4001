"""``kling-tui download``: bring the results of finished tasks home.

    kling-tui download [ID...] [--all-finished] [--dir DIR] [--name TEMPLATE]
                       [--watermark] [--jobs N] [--json]

Tasks are the watched ones (by any of their ids); one the watch list does not know as
finished yet is asked about once first. On a terminal a bar per file and a total (bytes,
rate, ETA) are redrawn in place; with ``--json`` or when standard output is not a
terminal, JSON lines: ``progress`` events, one ``result`` per file, one ``summary``.
Exit 0 when every requested file is on disk, 1 when any is not.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from kling_tui.cli.errors import EXIT_FAILED, EXIT_OK, UsageError
from kling_tui.cli.output import _json_line, _safe
from kling_tui.cli.resolve import _load_config, _read_ids, _store
from kling_tui.downloads.manager import Downloader, DownloadProgress, DownloadResult
from kling_tui.downloads.names import TemplateError, check_template
from kling_tui.models import Status, TaskSnapshot, WatchEntry
from kling_tui.store.ids import IdIndex
from kling_tui.store.watchlist import WatchList

REDRAW_EVERY = 0.1


def _select(args: argparse.Namespace, store: WatchList) -> tuple[list[WatchEntry], list[str]]:
    """The watched tasks asked for, and the ids no watched task is known by."""
    entries = store.entries
    if args.all_finished:
        chosen = [e for e in entries if e.status is Status.SUCCEEDED]
    else:
        chosen = []
    missing: list[str] = []
    index = IdIndex(entries)
    for task_id in _read_ids(args.ids, sys.stdin):
        found = index.find(task_id)
        if not found:
            missing.append(task_id)
        for entry in found:
            if all(entry is not c for c in chosen):
                chosen.append(entry)
    return chosen, missing


async def _refresh(fetcher, store: WatchList, entries: Sequence[WatchEntry]) -> None:
    """Ask once about tasks not known as finished: one may have succeeded since."""
    stale = [e for e in entries if not e.finished]
    answers = await asyncio.gather(*(fetcher.fetch(e) for e in stale))
    fresh = []
    for entry, answer in zip(stale, answers, strict=True):
        if isinstance(answer, TaskSnapshot):
            entry.snapshot, entry.last_checked, entry.last_error = answer, answer.fetched_at, None
            fresh.append(entry)
    if fresh:
        store.update(fresh)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


def _eta(left: float, rate: float) -> str:
    if rate <= 0:
        return "ETA -"
    seconds = int(left / rate)
    return f"ETA {seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"ETA {seconds}s"


def _bar(done: int, total: int | None, width: int = 20) -> str:
    if not total:
        return "[" + "?" * width + "]"
    filled = min(width, int(width * done / total))
    return "[" + "#" * filled + "-" * (width - filled) + f"] {100 * done / total:3.0f}%"


class _Terminal:
    """Bars redrawn in place: finished files print once above them, for good."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.files: dict[tuple, DownloadProgress] = {}
        self.started = time.monotonic()
        self.first_done: dict[tuple, int] = {}
        self.drawn = 0
        self.last = 0.0
        self.finished: list[str] = []

    def __call__(self, p: DownloadProgress) -> None:
        key = (p.key, p.role, p.n)
        self.files[key] = p
        self.first_done.setdefault(key, p.done)
        if p.state in ("done", "failed", "skipped"):
            name = _safe(Path(p.path).name)
            what = {"done": "done   ", "skipped": "on disk", "failed": "FAILED "}[p.state]
            tail = f": {_safe(p.message)}" if p.state == "failed" else ""
            self.finished.append(f"{what} {name}{tail}")
        now = time.monotonic()
        if self.finished or now - self.last >= REDRAW_EVERY:
            self.draw(now)

    def draw(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.last = now
        lines = []
        if self.drawn:
            lines.append(f"\x1b[{self.drawn}A")
        lines.extend(f"\x1b[2K{line}\n" for line in self.finished)
        self.finished = []
        live = [p for p in self.files.values() if p.state in ("running", "queued")]
        elapsed = max(1e-3, now - self.started)
        body = []
        for p in live[:12]:
            name = _safe(Path(p.path).name)[:40]
            body.append(f"{name:<40} {_bar(p.done, p.total)} {_size(p.done)}")
        if len(live) > 12:
            body.append(f"... and {len(live) - 12} more")
        all_files = list(self.files.values())
        done = sum(p.done for p in all_files)
        total = sum(p.total or 0 for p in all_files)
        fetched = done - sum(self.first_done.values())
        rate = fetched / elapsed
        ended = sum(p.state in ("done", "skipped") for p in all_files)
        body.append(
            f"{'total':<40} {_bar(done, total or None)} {ended}/{len(all_files)} files  "
            f"{_size(done)}/{_size(total)}  {_size(rate)}/s  {_eta(total - done, rate)}"
        )
        lines.extend(f"\x1b[2K{line}\n" for line in body)
        self.drawn = len(body)
        self.out.write("".join(lines))
        self.out.flush()


class _JsonLines:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    def __call__(self, p: DownloadProgress) -> None:
        record = {
            "event": "progress",
            "task_id": p.key.task_id,
            "kind": p.key.kind,
            "gateway": p.key.gateway,
            "n": p.n,
            "role": p.role,
            "path": p.path,
            "done": p.done,
            "total": p.total,
            "state": p.state,
            "message": p.message,
        }
        print(_json_line(record), file=self.out, flush=True)


def _result_record(r: DownloadResult) -> dict[str, object]:
    return {
        "event": "result",
        "task_id": r.key.task_id,
        "kind": r.key.kind,
        "gateway": r.key.gateway,
        "n": r.n,
        "role": r.role,
        "path": r.path,
        "state": r.state,
        "size": r.size,
        "sha256": r.sha256,
        "fetched": r.fetched,
        "message": r.message,
    }


def _not_downloadable(entries: Sequence[WatchEntry]) -> list[tuple[WatchEntry, str]]:
    out = []
    for e in entries:
        if e.status is not Status.SUCCEEDED:
            word = e.snapshot.status_label if e.snapshot else "never queried"
            out.append((e, f"not succeeded ({word}): nothing to download"))
        elif not e.snapshot or not e.snapshot.result_urls:
            out.append((e, "succeeded without a result URL"))
    return out


async def _download(args: argparse.Namespace, out: TextIO) -> int:
    from kling_tui.gateway.fetcher import Fetcher

    config = _load_config(args)
    template = None
    if args.name is not None:
        try:
            template = check_template(args.name)
        except TemplateError as exc:
            raise UsageError(f"--name: expected {exc}") from None
    store = _store(args)
    chosen, missing = _select(args, store)
    if not chosen and not missing and not args.ids and not args.all_finished:
        raise UsageError("give task ids, or --all-finished for every succeeded task")
    as_json = args.json or not out.isatty()
    for task_id in missing:
        text = f"not in the watch list: {task_id} (kling-tui add it first)"
        if as_json:
            print(_json_line({"event": "error", "task_id": task_id, "message": text}), file=out)
        else:
            print(f"kling-tui: {_safe(text)}", file=sys.stderr)
    async with Fetcher(config) as fetcher:
        await _refresh(fetcher, store, chosen)
        refused = _not_downloadable(chosen)
        wanted = [e for e in chosen if all(e is not r for r, _ in refused)]
        show = _JsonLines(out) if as_json else _Terminal(out)
        async with Downloader(
            config.download,
            fetcher=fetcher,
            store=store,
            folder=Path(args.dir).expanduser().absolute() if args.dir else None,
            template=template,
            watermark=args.watermark,
            jobs=args.jobs,
        ) as downloader:
            results = await downloader.run(wanted, show)
    if isinstance(show, _Terminal) and show.files:
        show.draw()
    return _report(results, refused, missing, as_json, out)


def _report(
    results: list[DownloadResult],
    refused: list[tuple[WatchEntry, str]],
    missing: list[str],
    as_json: bool,
    out: TextIO,
) -> int:
    for entry, why in refused:
        if as_json:
            record = {"event": "error", "task_id": entry.task_id, "message": why}
            print(_json_line(record), file=out)
        else:
            print(f"kling-tui: {_safe(entry.task_id)}: {_safe(why)}", file=sys.stderr)
    counts = {s: sum(r.state == s for r in results) for s in ("done", "skipped", "failed")}
    if as_json:
        for r in results:
            print(_json_line(_result_record(r)), file=out)
        summary = {"event": "summary", **counts, "errors": len(refused) + len(missing)}
        print(_json_line(summary), file=out, flush=True)
    elif not results:
        print("nothing to download", file=out)
    else:
        print(
            f"{counts['done']} downloaded, {counts['skipped']} already on disk, "
            f"{counts['failed']} failed",
            file=out,
        )
    bad = counts["failed"] or refused or missing
    return EXIT_FAILED if bad else EXIT_OK
