"""``save_ratio_10k``: the watch list's atomic save of 10,000 tasks against the serialiser
alone, and the realistic watch list it saves (the dashboard benchmarks load it too).
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import rtoml
import tomli_w
from bench_common import median, paired_ratio
from bench_sim import FIRST_ID

from kling_tui.models import ErrorType, FetchError, Status, TaskSnapshot, Video, WatchEntry
from kling_tui.store.codec import FORMAT_VERSION, entry_to_table
from kling_tui.store.watchlist import WatchList

# -- save_ratio_10k ---------------------------------------------------------------------


def realistic_entries(n: int, seed: int = 7) -> list[WatchEntry]:
    """A watch list as an operator's looks after a while: every state, labels, errors."""
    rng = random.Random(seed)
    base = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    kinds = ("text2video", "image2video", "multi-image2video")
    out: list[WatchEntry] = []
    for i in range(n):
        task_id = str(FIRST_ID + i)
        kind = kinds[i % 3]
        added = base + timedelta(seconds=37 * i)
        roll = rng.random()
        videos: tuple[Video, ...] = ()
        progress: float | None
        message = ""
        if roll < 0.55:
            status, raw, progress = Status.SUCCEEDED, "succeed", 100.0
            videos = (
                Video(
                    str(10**17 + i),
                    f"https://cdn.example.com/kling/{task_id}/video-{i}.mp4",
                    rng.choice((5.0, 5.1, 10.0, 10.1)),
                ),
            )
        elif roll < 0.65:
            status, raw, progress = Status.FAILED, "failed", None
            message = "Failure to pass the risk control system"
        elif roll < 0.85:
            status, raw, progress = Status.IN_PROGRESS, "processing", float(rng.randint(1, 99))
        else:
            status, raw, progress = Status.SUBMITTED, "submitted", None
        checked = added + timedelta(seconds=rng.randint(5, 900))
        snapshot = TaskSnapshot(
            task_id=task_id,
            kind=kind,
            status=status,
            status_raw=raw,
            progress=progress,
            videos=videos,
            message=message,
            external_task_id=f"ext-{i}" if i % 4 == 0 else None,
            created_at=added,
            updated_at=checked,
            fetched_at=checked,
        )
        error = None
        if rng.random() < 0.05:
            error = FetchError(ErrorType.TIMEOUT, "https://relay.example took longer than 15 s")
        out.append(
            WatchEntry(
                task_id=task_id,
                kind=kind,
                gateway="relay" if i % 5 else "kling",
                added_at=added,
                label=f"shot {i}: {rng.choice(('sunrise', 'city at night', 'dragon'))}",
                snapshot=snapshot,
                last_checked=checked,
                last_error=error,
            )
        )
    return out


@dataclass
class SaveResult:
    dumps_s: float
    save_s: float
    """Every task changed since the last save: each one serialised again (the key figure)."""
    save_100_changed_s: float
    """A poll batch of 100 changed tasks: the others' text is reused."""
    file_mb: float
    ratio: float
    writer_dumps_s: float
    """``rtoml.dumps`` of the same document: the serialiser the store itself uses."""
    writer_ratio: float
    """The save / ``rtoml.dumps`` alone: what the store adds around its own writer."""


def measure_save(rounds: int, n: int = 10_000) -> SaveResult:
    """``WatchList.update`` of every entry (the poller's save: lock, re-read check,
    tables from entries, serialise, temp file, fsync, rename) against ``tomli_w.dumps`` of
    the same document: the pure-Python writer the goal was set against (the store writes
    with rtoml since issue 11; ``writer_ratio`` compares with ``rtoml.dumps`` alone).

    Each round loads the file into a new ``WatchList``, so nothing serialised before is
    reused and the save does all the work a first save does.
    """
    entries = realistic_entries(n)
    doc = {"version": FORMAT_VERSION, "tasks": [entry_to_table(e) for e in entries]}
    dumps: list[float] = []
    writer: list[float] = []
    saves: list[float] = []
    batch_saves: list[float] = []
    with tempfile.TemporaryDirectory(prefix="kling-bench-") as tmp:
        path = Path(tmp) / "watch.toml"
        store = WatchList(path)
        store.load()
        store.add(entries)
        for round_ in range(rounds):
            store = WatchList(path)
            loaded = store.load()
            started = time.perf_counter()
            tomli_w.dumps(doc)
            dumps.append(time.perf_counter() - started)
            started = time.perf_counter()
            rtoml.dumps(doc)
            writer.append(time.perf_counter() - started)
            started = time.perf_counter()
            store.update(loaded)
            saves.append(time.perf_counter() - started)
            batch = loaded[round_ * 100 : round_ * 100 + 100]
            for entry in batch:
                if entry.snapshot is not None:
                    entry.snapshot = replace(entry.snapshot, fetched_at=datetime.now(UTC))
            started = time.perf_counter()
            store.update(batch)
            batch_saves.append(time.perf_counter() - started)
        size = path.stat().st_size
    return SaveResult(
        median(dumps),
        median(saves),
        median(batch_saves),
        size / 1e6,
        paired_ratio(saves, dumps),
        median(writer),
        paired_ratio(saves, writer),
    )
