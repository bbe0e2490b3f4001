"""``Downloader``: many files at once, within limits, each result recorded on its task.

* At most ``jobs`` files at once, at most ``per_host`` from one host.
* A file recorded on its task and still on disk is skipped, never fetched again.
* An expired link (403/404/410) makes the downloader ask the gateway once, through the
  one fetcher (``Fetcher.fetch``), for the task's fresh answer; the file is tried again at
  its new URL, and when there is none (or it fails the same way) the task's
  ``download_error`` says ``expired on {date}``.
* The bearer token goes only where the fetcher's rule allows (``Fetcher.download_auth``: the
  relay's own ``/v1/videos/{id}/content``), asked again at every redirect hop.
* Every finished file is recorded on its task at once, through the one store
  (``WatchList.record_downloads``), so a kill loses nothing that was complete.

Progress goes to ``on_progress`` as :class:`DownloadProgress` (a state change at once, bytes
at most every :data:`PROGRESS_EVERY` seconds per file); ``run`` returns one
:class:`DownloadResult` per file.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from kling_tui import __version__
from kling_tui.config import DownloadConfig
from kling_tui.downloads.names import unique_name
from kling_tui.downloads.plan import FileJob, plan, result_files
from kling_tui.downloads.transfer import Transfer, TransferError
from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import LocalFile, TaskKey, TaskSnapshot, WatchEntry, utcnow
from kling_tui.store.errors import WatchListError

if TYPE_CHECKING:
    from kling_tui.gateway.fetcher import Fetcher
    from kling_tui.store.watchlist import WatchList

PROGRESS_EVERY = 0.1
STATES = ("queued", "running", "done", "failed", "skipped")


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """Where one file stands. ``total`` None: the server did not say (yet)."""

    key: TaskKey
    n: int
    role: str
    path: str
    done: int
    total: int | None
    state: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """How one file ended: ``done`` (fetched now), ``skipped`` (on disk already), ``failed``."""

    key: TaskKey
    n: int
    role: str
    path: str
    state: str
    size: int = 0
    sha256: str = ""
    fetched: int = 0
    """Bytes received for it in this run."""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.state in ("done", "skipped")


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc.rpartition("@")[2].lower()
    except ValueError:
        return ""


class Downloader:
    """Downloads the results of finished tasks (see the module docstring).

    ``fetcher``: the one fetcher (fresh URLs for expired links, the token rule); None: no
    re-query and never a token. ``store``: where results are recorded; None: on the entries
    only. ``client``: an ``httpx.AsyncClient`` to use (closed by :meth:`aclose` only when
    the downloader made it).
    """

    def __init__(
        self,
        config: DownloadConfig | None = None,
        *,
        fetcher: Fetcher | None = None,
        store: WatchList | None = None,
        folder: Path | None = None,
        template: str | None = None,
        watermark: bool = False,
        jobs: int | None = None,
        per_host: int | None = None,
        max_bytes: int | None = None,
        client: httpx.Client | None = None,
        now: Callable[[], datetime] = utcnow,
        timeout: float = 30.0,
    ) -> None:
        config = config or DownloadConfig()
        self.folder = Path(folder) if folder is not None else config.folder()
        self.template = template or config.name
        self.watermark = watermark
        self.jobs = max(1, jobs or config.jobs)
        self.per_host = max(1, per_host or config.per_host)
        self.max_bytes = max_bytes or config.max_bytes
        self.fetcher = fetcher
        self.store = store
        self._now = now
        self._own_client = client is None
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=self.jobs, max_keepalive_connections=self.jobs),
            follow_redirects=False,
            headers={"User-Agent": f"kling-tui/{__version__}"},
        )
        self._slots = asyncio.Semaphore(self.jobs)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._fresh: dict[TaskKey, asyncio.Future[TaskSnapshot | None]] = {}
        self._record_lock = asyncio.Lock()

    async def aclose(self) -> None:
        if self._own_client:
            self._client.close()

    async def __aenter__(self) -> Downloader:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def plan(self, entries: Sequence[WatchEntry]) -> list[FileJob]:
        known = self.store.entries if self.store is not None else ()
        return plan(entries, self.folder, self.template, watermark=self.watermark, known=known)

    async def run(
        self,
        entries: Sequence[WatchEntry],
        on_progress: Callable[[DownloadProgress], None],
    ) -> list[DownloadResult]:
        """Download every result file of ``entries`` (finished tasks; others are ignored)."""
        self._fresh = {}  # the gateway is asked again in a later run
        jobs = self.plan(entries)
        for job in jobs:
            if job.done is None:
                on_progress(self._progress(job, 0, None, "queued"))
        results = await asyncio.gather(*(self._one(job, on_progress) for job in jobs))
        await self._finish_entries(entries, results)
        return list(results)

    def _progress(
        self, job: FileJob, done: int, total: int | None, state: str, message: str = ""
    ) -> DownloadProgress:
        return DownloadProgress(
            job.entry.key, job.n, job.role, str(job.path), done, total, state, message
        )

    async def _one(
        self, job: FileJob, on_progress: Callable[[DownloadProgress], None]
    ) -> DownloadResult:
        entry = job.entry
        if job.done is not None:
            d = job.done
            on_progress(self._progress(job, d.size, d.size, "skipped", "on disk already"))
            return DownloadResult(entry.key, job.n, job.role, d.path, "skipped", d.size, d.sha256)
        host = self._hosts.setdefault(_host(job.url), asyncio.Semaphore(self.per_host))
        async with self._slots, host:
            on_progress(self._progress(job, 0, None, "running"))
            try:
                got, url, fetched = await self._fetch(job, on_progress)
            except TransferError as exc:
                message = self._failure(job, exc)
                on_progress(self._progress(job, 0, None, "failed", message))
                return DownloadResult(
                    entry.key, job.n, job.role, str(job.path), "failed", message=message
                )
        record = LocalFile(str(got.path), got.size, got.sha256, url, job.n, job.role)
        try:
            await self._record(entry, record)
        except (WatchListError, OSError, ValueError) as exc:
            message = clean_text(f"downloaded, but not recorded in the watch list: {exc}", 500)
            on_progress(self._progress(job, got.size, got.size, "failed", message))
            return DownloadResult(
                entry.key,
                job.n,
                job.role,
                str(got.path),
                "failed",
                got.size,
                got.sha256,
                fetched,
                message,
            )
        on_progress(self._progress(job, got.size, got.size, "done"))
        return DownloadResult(
            entry.key, job.n, job.role, str(got.path), "done", got.size, got.sha256, fetched
        )

    async def _fetch(self, job: FileJob, on_progress: Callable[[DownloadProgress], None]):
        """The transfer, once more at a fresh URL when the link expired."""
        url, fetched, renewed, renamed = job.url, 0, False, False
        while True:
            transfer = self._transfer(job, url, on_progress)
            try:
                got = await transfer.run()
                return got, url, fetched + got.fetched
            except TransferError as exc:
                fetched += transfer.fetched
                if exc.kind == "taken" and not renamed:  # another file: a tagged name
                    renamed = True
                    taken = {p.name.lower() for p in self.folder.iterdir()}
                    taken.add(job.path.name.lower())
                    tag = f"{job.entry.key}|{job.role}|{job.n}"
                    job = replace(
                        job,
                        path=job.path.with_name(unique_name(job.path.name, taken, tag)),
                        adopt=False,
                    )
                    continue
                if exc.kind != "expired" or renewed:
                    raise
                renewed = True
                fresh = await self._fresh_url(job)
                if fresh is None or fresh == url:
                    raise
                url = fresh

    def _transfer(
        self, job: FileJob, url: str, on_progress: Callable[[DownloadProgress], None]
    ) -> Transfer:
        last = [0.0]
        loop = asyncio.get_running_loop()

        def on_bytes(done: int, total: int | None) -> None:  # on the transfer's thread
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                with contextlib.suppress(RuntimeError):  # the loop closed: nobody listens
                    loop.call_soon_threadsafe(
                        on_progress, self._progress(job, done, total, "running")
                    )

        fetcher, entry = self.fetcher, job.entry

        def auth_for(hop: str) -> httpx.Auth | None:
            return fetcher.download_auth(entry, hop) if fetcher is not None else None

        return Transfer(
            self._client,
            url,
            job.path,
            auth_for=auth_for,
            max_bytes=self.max_bytes,
            on_bytes=on_bytes,
            adopt=job.adopt,
            owner=f"{job.entry.key}|{job.role}|{job.n}",
        )

    async def _fresh_url(self, job: FileJob) -> str | None:
        """The file's URL in the gateway's answer now (asked once per task and run)."""
        key = job.entry.key
        waiting = self._fresh.get(key)
        if waiting is None:
            waiting = self._fresh[key] = asyncio.get_running_loop().create_future()
            snapshot = None
            try:
                if self.fetcher is not None:
                    answer = await self.fetcher.fetch(job.entry)
                    if isinstance(answer, TaskSnapshot):
                        snapshot = answer
                        with contextlib.suppress(WatchListError, OSError, ValueError):
                            await self._save_snapshot(job.entry, answer)  # the URL serves
            finally:  # the task's other files wait on it: never left unanswered
                if not waiting.done():
                    waiting.set_result(snapshot)
        snapshot = await waiting
        if snapshot is None:
            return None
        probe = replace(job.entry, snapshot=snapshot)
        for role, n, url in result_files(probe, watermark=True):
            if role == job.role and n == job.n:
                return url
        return None

    async def _save_snapshot(self, entry: WatchEntry, snapshot: TaskSnapshot) -> None:
        entry.snapshot = snapshot
        entry.last_checked = snapshot.fetched_at
        entry.last_error = None
        if self.store is not None:
            await asyncio.to_thread(self.store.update, [entry])

    def _failure(self, job: FileJob, exc: TransferError) -> str:
        if exc.kind == "expired":
            return f"expired on {self._now().date().isoformat()} ({exc.message})"
        return clean_text(exc.message, 500)

    async def _record(self, entry: WatchEntry, record: LocalFile) -> None:
        """The file on the task, and the task in the watch list, at once."""
        async with self._record_lock:
            kept = [f for f in entry.local_files if (f.role, f.n) != (record.role, record.n)]
            entry.local_files = (*kept, record)
            if self.store is not None:
                await asyncio.to_thread(self.store.record_downloads, [entry])

    async def _finish_entries(
        self, entries: Sequence[WatchEntry], results: Sequence[DownloadResult]
    ) -> None:
        """Each task's ``download_error``: the first expiry (else first failure), or None."""
        by_key: dict[TaskKey, list[DownloadResult]] = {}
        for r in results:
            by_key.setdefault(r.key, []).append(r)
        changed = []
        for entry in entries:
            mine = by_key.get(entry.key)
            if not mine:
                continue
            failed = [r.message for r in mine if r.state == "failed"]
            expired = [m for m in failed if m.startswith("expired on ")]
            error = (expired[0].partition(" (")[0] if expired else failed[0]) if failed else None
            if error != entry.download_error:
                entry.download_error = error
                changed.append(entry)
        if changed and self.store is not None:
            async with self._record_lock:
                try:
                    await asyncio.to_thread(self.store.record_downloads, changed)
                except (WatchListError, OSError, ValueError):
                    pass  # the files' own results say what happened; the error is on the entry
