"""Benchmark of the downloader (issue 13): throughput against curl, resume waste, memory.

* ``download_throughput_ratio``: 8 files of 64 MiB from the simulator on loopback (in its
  own process), downloaded by kling-tui's ``Downloader`` (in a child process, timed around
  ``run``) and by ``curl --parallel`` with the same concurrency (timed around the process),
  rounds alternating; the figure is the median of curl's seconds / the downloader's
  (higher is better: the goal is a lower bound, 0.9).
* ``download_resume_waste_ratio``: the downloader killed (SIGKILL) at a random point of a
  download of the same files, then run again: the bytes the second run received divided
  by the bytes that were missing on disk (``.part`` files count as there).
* ``download_rss_mb``: the downloader child's peak RSS (``VmHWM``, ``bench/rss.py``) while
  downloading the 8 files: streamed to disk, never held in memory.

Behind the figures: the same rounds with the downloader's sha256 replaced by a no-op
(``nohash_ratio``: the transfer path alone against curl) and the machine's sha256 speed
(``sha256_mb_s``, hashlib on one core). curl computes no hash; the downloader must (the
issue records each file's sha256), so on a machine where sha256 is slow next to loopback
the two figures tell the transfer apart from the hash.

Both sides write to ``/dev/shm`` when it exists (the same memory-backed folder for both: a
busy disk would time the disk, not the downloads). ``--quick`` uses 8 files of 8 MiB.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bench_common
import bench_sim
from rss import peak_rss_mb

CURL = "/usr/bin/curl"
FILES = 8
JOBS = 3
FIRST_ID = 870_000_000_000_000_000
MiB = 1024 * 1024


def serve(size: int) -> None:
    """Child process: a simulator whose FILES tasks have finished, each file ``size`` bytes."""
    from kling_tui.sim.simulator import Simulator

    sim = Simulator(tokens=("bench-token",), file_size=size)
    base = sim.start()
    for i in range(FILES):
        sim.add_task("text2video", task_id=str(FIRST_ID + i), queue_seconds=0, run_seconds=0)
    sys.stdout.write(base + "\n")
    sys.stdout.flush()
    sys.stdin.read()
    sim.stop()


def urls(base: str) -> list[str]:
    return [f"{base}/files/{FIRST_ID + i}.mp4" for i in range(FILES)]


class _NoHash:
    """hashlib.sha256's stand-in for the ``nohash`` rounds (diagnostic only)."""

    def __init__(self, data: bytes = b"") -> None:
        pass

    def update(self, data: object) -> None:
        pass

    def hexdigest(self) -> str:
        return "0" * 64


def client(base: str, folder: str, nohash: bool = False) -> None:
    """Child process: the Downloader on the FILES tasks, recorded in a watch list beside
    ``folder`` (as ``kling-tui download`` does: a second run skips what the first finished);
    prints seconds, bytes and peak RSS. ``nohash``: sha256 is a no-op (diagnostic rounds)."""
    from kling_tui.downloads import transfer
    from kling_tui.downloads.manager import Downloader

    if nohash:
        import types

        transfer.hashlib = types.SimpleNamespace(sha256=_NoHash)  # type: ignore[assignment]
    from kling_tui.models import Status, TaskSnapshot, Video, WatchEntry, utcnow
    from kling_tui.store.watchlist import WatchList

    now = utcnow()
    entries = []
    for i, url in enumerate(urls(base)):
        snap = TaskSnapshot(
            str(FIRST_ID + i), "text2video", Status.SUCCEEDED, "succeed", 100.0,
            (Video("v", url, 5.0),), "", None, None, None, now,
        )  # fmt: skip
        entries.append(WatchEntry(str(FIRST_ID + i), "text2video", "bench", now, snapshot=snap))
    store = WatchList(Path(folder).with_suffix(".toml"))
    if not store.load():
        store.add(entries)

    async def go() -> tuple[float, int, int]:
        async with Downloader(folder=Path(folder), jobs=JOBS, per_host=JOBS, store=store) as d:
            print("started", flush=True)  # the resume benchmark kills after this line
            started = time.perf_counter()
            results = await d.run(store.entries, lambda p: None)
            seconds = time.perf_counter() - started
        if not all(r.ok for r in results):
            raise SystemExit(f"download failed: {[r.message for r in results if not r.ok]}")
        return seconds, sum(r.fetched for r in results), sum(r.size for r in results)

    seconds, fetched, size = asyncio.run(go())
    rss_mb = peak_rss_mb()
    print(json.dumps({"seconds": seconds, "fetched": fetched, "size": size, "rss_mb": rss_mb}))


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    shm = Path("/dev/shm")
    parent = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="kling-dl-bench-", dir=parent) as tmp:
        yield Path(tmp)


def _client_command(base: str, folder: Path, nohash: bool = False) -> list[str]:
    flag = "--client-nohash" if nohash else "--client"
    return [sys.executable, str(Path(__file__).resolve()), flag, base, str(folder)]


def _env() -> dict[str, str]:
    root = Path(__file__).resolve().parent.parent
    return dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def project_round(base: str, folder: Path, nohash: bool = False) -> dict[str, float]:
    done = subprocess.run(
        _client_command(base, folder, nohash),
        capture_output=True, text=True, env=_env(), timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the downloader failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def curl_round(base: str, folder: Path) -> float:
    command = [CURL, "--silent", "--show-error", "--no-progress-meter", "--fail", "--parallel"]
    command += ["--parallel-max", str(JOBS), "--parallel-immediate"]
    for i, url in enumerate(urls(base)):
        command += ["-o", str(folder / f"curl-{i}.mp4"), url]
    started = time.perf_counter()
    subprocess.run(command, check=True, timeout=600, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _on_disk(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir()) if folder.exists() else 0


def resume_round(base: str, folder: Path, full_seconds: float, rng: random.Random) -> float:
    """Kill the downloader at a random point of its download, run it again: the bytes the
    second run received / the bytes missing on disk (nan: the kill came after the end)."""
    child = subprocess.Popen(
        _client_command(base, folder), env=_env(), stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    child.stdout.readline()  # "started": the interpreter and imports are behind it
    time.sleep(rng.uniform(0.1, 0.9) * full_seconds)
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    before = _on_disk(folder)  # finished files and .part files alike
    result = project_round(base, folder)
    missing = int(result["size"]) - before
    return result["fetched"] / missing if missing > 0 else math.nan


def sha256_speed() -> float:
    """MB/s of hashlib's sha256 over 64 MiB on one core: what the hash costs here."""
    import hashlib

    block = os.urandom(MiB)
    digest = hashlib.sha256()
    started = time.perf_counter()
    for _ in range(64):
        digest.update(block)
    return 64 * MiB / 1e6 / (time.perf_counter() - started)


def measure_download(quick: bool, progress: Callable[[str], None] = lambda _: None) -> dict:
    size = (8 if quick else 64) * MiB
    rounds = 1 if quick else 3
    progress(f"download: {FILES} files of {size // MiB} MiB, jobs {JOBS}, {rounds} rounds")
    curl_s: list[float] = []
    ours: list[dict[str, float]] = []
    nohash_s: list[float] = []
    waste: list[float] = []
    rng = random.Random(13)
    with bench_sim.simulator_process(size, script=__file__) as base, scratch() as tmp:
        for r in range(rounds):
            sides = ("curl", "ours", "nohash")
            for side in sides[r % 3 :] + sides[: r % 3]:
                folder = tmp / f"{side}-{r}"
                folder.mkdir()
                if side == "curl":
                    curl_s.append(curl_round(base, folder))
                else:
                    result = project_round(base, folder, nohash=side == "nohash")
                    if side == "ours":
                        ours.append(result)
                    else:
                        nohash_s.append(result["seconds"])
                    folder.with_suffix(".toml").unlink()
                shutil.rmtree(folder)
        full = statistics.median(o["seconds"] for o in ours)
        for r in range(rounds + 4):  # a kill after the end measures nothing: again
            if len(waste) >= rounds:
                break
            folder = tmp / f"resume-{r}"
            value = resume_round(base, folder, full, rng)
            if value == value:  # not nan: the kill came before the end
                waste.append(value)
            shutil.rmtree(folder, ignore_errors=True)
            folder.with_suffix(".toml").unlink(missing_ok=True)
    total_mb = FILES * size / 1e6
    details: dict[str, Any] = {
        "curl_s": statistics.median(curl_s),
        "downloader_s": full,
        "curl_mb_s": total_mb / statistics.median(curl_s),
        "downloader_mb_s": total_mb / full,
        "file_mib": size // MiB,
        "folder": "/dev/shm" if str(tmp).startswith("/dev/shm") else "tmp",
        "resume_runs": len(waste),
        "nohash_s": statistics.median(nohash_s),
        "nohash_ratio": bench_common.paired_ratio(curl_s, nohash_s),
        "sha256_mb_s": sha256_speed(),
    }
    return {
        "download_throughput_ratio": bench_common.paired_ratio(
            curl_s, [o["seconds"] for o in ours]
        ),
        "download_resume_waste_ratio": statistics.median(waste) if waste else math.nan,
        "download_rss_mb": max(o["rss_mb"] for o in ours),
        "details": {"download": details},
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] in ("--client", "--client-nohash"):
        client(sys.argv[2], sys.argv[3], nohash=sys.argv[1] == "--client-nohash")
    else:
        out = measure_download("--quick" in sys.argv, progress=lambda s: print(s, file=sys.stderr))
        print(json.dumps(out, indent=2))
