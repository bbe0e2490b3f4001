"""One file from a URL to disk, so that an interruption never costs what was already done
and never leaves a part of a file under its final name.

* The bytes go to ``NAME.part`` beside the final name; a ``.part`` found at the start is
  resumed with ``Range: bytes=N-`` (a ``206`` must start at N; a ``200`` means the server
  ignores ranges: the part is emptied and the file fetched from zero; a ``416`` whose total
  is N means the part is complete already).
* The size is checked against ``Content-Length`` / ``Content-Range``: a short body (a
  dropped connection) is resumed, a total that changes between two answers restarts from
  zero once, and a body past the announced size or past ``max_bytes`` is refused.
* The sha256 is computed as the bytes arrive (a resumed part is hashed first).
* Done: fsync, rename to the final name, fsync of the folder (``store.atomic.commit_file``).
* Only ``http`` / ``https``; redirects are followed by hand (at most :data:`MAX_REDIRECTS`)
  and the credential is asked for again at every hop (``auth_for``), so it never follows a
  redirect to another origin. The body is streamed raw (``Accept-Encoding: identity``): it
  is never held in memory, whatever its size.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from kling_tui.gateway.sanitize import clean_text
from kling_tui.store.atomic import commit_file

PART_SUFFIX = ".part"
MAX_REDIRECTS = 5
CHUNK = 1024 * 1024
"""Bytes read at a time when a resumed part is hashed."""
ATTEMPTS = 4
"""Requests one transfer sends before it gives up (a drop, a short body: resumed each time)."""
EXPIRED_STATUSES = frozenset({403, 404, 410})
"""What a CDN answers for a deleted or expired result."""
READ_BYTES = 1024 * 1024
"""Bytes one socket read of a download may take (httpcore reads 64 KiB by default: at
loopback speed the 16 times as many reads and h11 events halve the throughput)."""
SINK_DEPTH = 4
"""Chunks waiting for the writer thread at most (4 MiB a file: memory stays flat)."""


class TransferError(Exception):
    """A file that could not be brought home; ``kind`` says what the caller can do.

    ``expired`` (403/404/410: ask the gateway for a fresh URL), ``network``, ``http``,
    ``size`` (too large, or the server's sizes disagree), ``disk`` (full, read-only,
    permission), ``url`` (not http/https, too many redirects).
    """

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class Transferred:
    """A file complete under its final name."""

    path: Path
    size: int
    sha256: str
    fetched: int
    """Body bytes received by this transfer (resume waste = fetched / bytes missing)."""


AuthFor = Callable[[str], httpx.Auth | None]
Progress = Callable[[int, int | None], None]


def part_path(final: Path) -> Path:
    return final.with_name(final.name + PART_SUFFIX)


def _disk_error(exc: OSError, where: Path) -> TransferError:
    """A clear sentence for what the disk said (full, read-only, no permission...)."""
    folder = clean_text(str(where.parent), 300)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = f"the disk holding {folder} is full"
    elif exc.errno == errno.EROFS:
        why = f"{folder} is on a read-only filesystem"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = f"no permission to write in {folder}"
    else:
        why = f"cannot write in {folder}: {exc.strerror or exc}"
    return TransferError("disk", f"{why} (no file was named as finished)")


def check_url(url: str) -> str:
    """``url`` if it is http(s) with a host, else a ``url`` :class:`TransferError`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise TransferError("url", f"not an http(s) URL: {clean_text(url, 200)}")
    return url


class _Part:
    """The ``.part`` file: its descriptor, how much it holds and the hash of that."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            raise _disk_error(exc, path) from None
        self.size = 0
        self.hash = hashlib.sha256()
        self._rehash()

    def _rehash(self) -> None:
        """Hash what the part holds already (a resume), reading it in chunks."""
        self.hash = hashlib.sha256()
        size = 0
        os.lseek(self.fd, 0, os.SEEK_SET)
        while block := os.read(self.fd, CHUNK):
            self.hash.update(block)
            size += len(block)
        self.size = size

    def reset(self) -> None:
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)
        self.size = 0
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> None:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view) :]
        except OSError as exc:
            raise _disk_error(exc, self.path) from None
        self.hash.update(data)
        self.size += len(data)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """``bytes START-END/TOTAL`` or ``bytes */TOTAL`` -> (start, total); None where unknown."""
    if not value:
        return None, None
    unit, _, rest = value.strip().partition(" ")
    if unit.lower() != "bytes":
        return None, None
    span, _, total = rest.partition("/")
    start_text = span.partition("-")[0]
    start = int(start_text) if start_text.isdigit() else None
    return start, int(total) if total.isdigit() else None


def _length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _widen_reads(response: httpx.Response) -> bool:
    """Let this response's connection read :data:`READ_BYTES` at a time.

    httpcore's HTTP/1.1 connection reads ``self.READ_NUM_BYTES`` per call; it is set here
    on this one connection object (an instance attribute: the fetcher's connections keep
    the default), reached through the response's stream. Private attributes of httpx
    0.28 / httpcore 1.0, pinned by ``tests/http/test_downloads.py``; when they move this
    returns False and the download works as before, only slower.
    """
    obj: object = response.stream
    for name in ("_stream", "_httpcore_stream", "_stream", "_connection"):
        obj = getattr(obj, name, None)
        if obj is None:
            return False
    if not isinstance(getattr(obj, "READ_NUM_BYTES", None), int):
        return False
    obj.READ_NUM_BYTES = READ_BYTES  # type: ignore[attr-defined]
    return True


class _Sink:
    """Writes and hashes a part's chunks in a thread of its own.

    ``os.write`` and sha256 release the GIL, so the disk and the hash run beside the event
    loop's socket reads instead of after them. At most :data:`SINK_DEPTH` chunks wait; a
    full queue makes :meth:`put` wait for the writer (the loop stalls for one chunk's write,
    a few milliseconds). :meth:`close` flushes and re-raises a disk error.
    """

    def __init__(self, part: _Part) -> None:
        self.part = part
        self.error: TransferError | None = None
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=SINK_DEPTH)
        self._thread: threading.Thread | None = threading.Thread(
            target=self._run, name="kling-download-writer", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self.error is None:
                try:
                    self.part.write(chunk)
                except TransferError as exc:
                    self.error = exc

    def put(self, chunk: bytes) -> None:
        if self.error is not None:
            raise self.error
        self._queue.put(chunk)

    def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()
        if self.error is not None:
            raise self.error


class Transfer:
    """One file's download (see the module docstring); :meth:`run` does it."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        final: Path,
        *,
        auth_for: AuthFor,
        max_bytes: int,
        on_bytes: Progress | None = None,
    ) -> None:
        self.client = client
        self.url = url
        self.final = final
        self.auth_for = auth_for
        self.max_bytes = max_bytes
        self.on_bytes = on_bytes or (lambda done, total: None)
        self.fetched = 0
        self.total: int | None = None
        """The file's size as the server announced it first (kept across attempts)."""
        self._restarted = False

    async def run(self) -> Transferred:
        check_url(self.url)
        part = _Part(part_path(self.final))
        try:
            last: TransferError | None = None
            for _ in range(ATTEMPTS):
                try:
                    if await self._attempt(part):
                        return self._commit(part)
                    last = None
                except TransferError as exc:
                    if exc.kind != "network":
                        raise
                    last = exc
            raise last or TransferError("network", "the transfer did not complete")
        finally:
            part.close()

    def _commit(self, part: _Part) -> Transferred:
        try:
            commit_file(part.fd, part.path, self.final)
        except OSError as exc:
            raise _disk_error(exc, self.final) from None
        return Transferred(self.final, part.size, part.hash.hexdigest(), self.fetched)

    async def _open(self, offset: int) -> httpx.Response:
        """The answer for the file from ``offset``, redirects followed by hand."""
        url = self.url
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url)
            headers = {"Accept-Encoding": "identity"}
            if offset:
                headers["Range"] = f"bytes={offset}-"
            request = self.client.build_request("GET", url, headers=headers)
            auth = self.auth_for(url)
            try:
                response = await self.client.send(
                    request, stream=True, auth=auth, follow_redirects=False
                )
            except httpx.HTTPError as exc:
                raise TransferError("network", self._said(exc)) from None
            if response.status_code in (301, 302, 303, 307, 308):
                where = response.headers.get("location")
                await response.aclose()
                if not where:
                    raise TransferError("http", f"a redirect without a Location from {url}")
                url = urljoin(url, where)
                continue
            return response
        raise TransferError("url", f"more than {MAX_REDIRECTS} redirects from {self.url}")

    def _said(self, exc: BaseException) -> str:
        origin = urlsplit(self.url)
        text = str(exc) or type(exc).__name__
        return clean_text(f"{origin.scheme}://{origin.netloc}: {text}", 300)

    async def _attempt(self, part: _Part) -> bool:
        """One request; True when the part is complete. A drop is a ``network`` error."""
        response = await self._open(part.size)
        try:
            status = response.status_code
            if status == 416 and part.size:
                _, total = _content_range(response.headers.get("content-range"))
                if total == part.size and self._agrees(total):
                    return True
                part.reset()  # the part is not a prefix of this file: from zero
                return False
            if status in EXPIRED_STATUSES:
                raise TransferError("expired", f"the link answered {status}", status)
            if status == 206:
                start, total = _content_range(response.headers.get("content-range"))
                if start != part.size:
                    part.reset()
                    return False
            elif status == 200:
                total = _length(response)
                if part.size:
                    part.reset()  # Range refused: the whole body follows, from zero
            else:
                raise TransferError("http", f"the server answered {status}", status)
            if total is not None and not self._agrees(total):
                part.reset()
                return False
            await self._stream(response, part, total)
        finally:
            await response.aclose()
        return self.total is None or part.size == self.total

    def _agrees(self, total: int) -> bool:
        """The size announced now matches the first one (else: the file changed on the
        server, or one answer lied: start over from zero once, then give up)."""
        if total > self.max_bytes:
            raise TransferError(
                "size", f"the file is {total:,} bytes, over the limit of {self.max_bytes:,}"
            )
        if self.total is None or self.total == total:
            self.total = total
            return True
        if self._restarted:
            raise TransferError(
                "size", f"the server announced {self.total:,} bytes, then {total:,}: refused"
            )
        self._restarted = True
        self.total = total
        return False

    async def _stream(self, response: httpx.Response, part: _Part, total: int | None) -> None:
        limit = min(total, self.max_bytes) if total is not None else self.max_bytes
        _widen_reads(response)
        sink = _Sink(part)
        size = part.size
        try:
            async for chunk in response.aiter_raw():  # as read: a drop loses nothing
                if size + len(chunk) > limit:
                    sink.close()
                    part.reset()
                    raise TransferError(
                        "size",
                        f"the body went past {limit:,} bytes"
                        + (" (its Content-Length)" if total is not None else " (the limit)"),
                    )
                sink.put(chunk)
                size += len(chunk)
                self.fetched += len(chunk)
                self.on_bytes(size, total)
        except httpx.HTTPError as exc:
            raise TransferError("network", self._said(exc)) from None
        finally:
            sink.close()  # every chunk received is on disk before the part is looked at
        if total is not None and part.size < total:
            raise TransferError("network", f"the body ended at {part.size:,} of {total:,} bytes")
