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
* The transfer runs in a thread of its own with a synchronous ``httpx.Client``: blocking
  reads of 1 MiB, ``os.write`` and sha256 all release the GIL, so several files and the
  event loop go side by side (the asyncio path paid an epoll register and unregister per
  read and ran at half the speed: bench/run.py ``download_throughput_ratio``). The awaiting
  side gets the result through a future; cancelling it stops the thread at its next chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import socket
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import h11
import httpcore
import httpx
from httpcore._backends.sync import SyncStream

from kling_tui.gateway.sanitize import clean_text
from kling_tui.store.atomic import commit_file

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock, the rest holds
    fcntl = None  # type: ignore[assignment]

PART_SUFFIX = ".part"
OWNER_XATTR = "user.kling-tui.owner"
"""The extended attribute naming the file a ``.part`` belongs to (``_Part._mark``)."""
MAX_REDIRECTS = 5
CHUNK = 1024 * 1024
"""Bytes read at a time when a resumed part is hashed."""
ATTEMPTS = 4
"""Requests one transfer sends before it gives up (a drop, a short body: resumed each time)."""
EXPIRED_STATUSES = frozenset({403, 404, 410})
"""What a CDN answers for a deleted or expired result."""
READ_BYTES = 1024 * 1024
"""Bytes one socket read of a download may take (httpcore reads 64 KiB by default: at
loopback speed the 16 times as many reads and h11 events halve the throughput), and the
size of the buffer a plain body is read into (:meth:`Transfer._stream_raw`)."""
RECV_BUFFER = 4 * 1024 * 1024
"""The socket receive buffer asked for a body read from the socket (the kernel may cap it)."""


class TransferError(Exception):
    """A file that could not be brought home; ``kind`` says what the caller can do.

    ``expired`` (403/404/410: ask the gateway for a fresh URL), ``network``, ``http``,
    ``size`` (too large, or the server's sizes disagree), ``disk`` (full, read-only,
    permission, a link or FIFO at the name), ``url`` (not http/https, too many redirects),
    ``busy`` (the same file is being downloaded by another transfer right now).
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


def _not_regular(where: Path) -> TransferError:
    """A link, FIFO or device found where a download's file goes: left alone, refused."""
    name = clean_text(where.name, 200)
    return TransferError("disk", f"{name} is not a regular file: left alone, not written")


def _no_follow(path: str, flags: int) -> int:
    """``open``'s opener: a link swapped in after the check is not followed."""
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))


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

    def __init__(self, path: Path, owner: str = "") -> None:
        self.path = path
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(path, flags, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # a symlink planted there: never written through
                raise _not_regular(path) from None
            raise _disk_error(exc, path) from None
        try:
            self._own()
            self._mark(owner)
        except BaseException:
            self.close()
            raise
        self.size = 0
        self.hash = hashlib.sha256()
        self._rehash()

    def _own(self) -> None:
        """A regular file (not a FIFO or device planted at the name: a read would hang or
        a write land elsewhere), locked for this transfer alone: a second download of the
        same file (another ``D``, another ``kling-tui download``) is refused, not let to
        write into the same part."""
        if not stat.S_ISREG(os.fstat(self.fd).st_mode):
            raise _not_regular(self.path)
        if fcntl is not None:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise TransferError(
                    "busy", f"{clean_text(self.path.name, 200)} is being downloaded already"
                ) from None
            except OSError:
                pass  # a filesystem without locks (some network mounts): as before

    def _mark(self, owner: str) -> None:
        """The part is this file's (``owner``: the task's key, role and number), not one a
        task of the same rendered name left (a template without ``{task_id}``): resuming
        that one would join another video's head to this one's tail. The owner is kept in
        an extended attribute (:data:`OWNER_XATTR`); a part without one (a filesystem
        without them, an older version) is resumed as before."""
        if not owner or not hasattr(os, "getxattr"):
            return
        mine = hashlib.sha256(owner.encode()).hexdigest()[:16].encode()
        try:
            theirs = os.getxattr(self.fd, OWNER_XATTR)
        except OSError:
            theirs = None
        if theirs is not None and theirs != mine and os.fstat(self.fd).st_size:
            raise TransferError("taken", f"{self.path.name} is another task's download")
        if theirs != mine:
            with contextlib.suppress(OSError):
                os.setxattr(self.fd, OWNER_XATTR, mine)

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

    def write(self, data: bytes | memoryview) -> None:
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


def _connection(response: httpx.Response) -> object | None:
    """The httpcore connection under a streamed response (None: not reachable).

    Private attributes of httpx 0.28 / httpcore 1.0 (response stream -> httpx transport
    stream -> pool stream -> HTTP/1.1 stream -> its connection), pinned by
    ``tests/http/test_downloads.py``; when they move, the download works as before, slower.
    """
    obj: object | None = response.stream
    for name in ("_stream", "_httpcore_stream", "_stream", "_connection"):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def _widen_reads(response: httpx.Response) -> bool:
    """Let this response's connection read :data:`READ_BYTES` at a time.

    httpcore's HTTP/1.1 connection reads ``self.READ_NUM_BYTES`` per call; it is set here
    on this one connection object (an instance attribute: the fetcher's connections keep
    the default). False when the connection is not reachable (:func:`_connection`).
    """
    obj = _connection(response)
    if not isinstance(getattr(obj, "READ_NUM_BYTES", None), int):
        return False
    obj.READ_NUM_BYTES = READ_BYTES  # type: ignore[union-attr]
    return True


def _raw_body(response: httpx.Response) -> tuple[socket.socket, bytes, int] | None:
    """The socket a plain ``Content-Length`` HTTP/1.1 body arrives on, the body bytes h11
    read already with the headers, and the body's length; None when the response is not
    one (chunked, HTTP/2, a TLS-in-TLS proxy tunnel, another transport): then httpx
    reads it. The body is read past h11, so its state never reaches DONE and httpcore
    closes the connection at ``response.close()`` (it is never reused half-read).
    """
    if response.http_version not in ("HTTP/1.1", "HTTP/1.0"):
        return None
    if "transfer-encoding" in response.headers:
        return None
    length = _length(response)
    conn = _connection(response)
    if length is None or not isinstance(conn, httpcore.HTTP11Connection):
        return None
    state = getattr(conn, "_h11_state", None)
    stream = getattr(conn, "_network_stream", None)
    if not isinstance(state, h11.Connection) or type(stream) is not SyncStream:
        return None
    if state.their_state is not h11.SEND_BODY:
        return None
    sock = stream.get_extra_info("socket")  # the ssl.SSLSocket itself for https
    if not isinstance(sock, socket.socket):
        return None
    data, closed = state.trailing_data
    if closed:
        return None
    return sock, data, length


def _read_timeout(response: httpx.Response) -> float | None:
    """The read timeout httpx would apply to each read of this response."""
    timeouts = response.request.extensions.get("timeout", {})
    return timeouts.get("read") if isinstance(timeouts, dict) else None


class Transfer:
    """One file's download (see the module docstring); :meth:`run` does it."""

    def __init__(
        self,
        client: httpx.Client,
        url: str,
        final: Path,
        *,
        auth_for: AuthFor,
        max_bytes: int,
        on_bytes: Progress | None = None,
        adopt: bool = False,
        owner: str = "",
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
        self.adopt = adopt
        self.owner = owner
        """Whose file this is (``task key|role|n``): marked on the part (``_Part._mark``)."""
        """``final`` exists and may be this file already (see ``FileJob.adopt``)."""
        self._cancel = threading.Event()

    async def run(self) -> Transferred:
        """The transfer in its own (daemon) thread; this coroutine waits for it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Transferred] = loop.create_future()

        def settle(result: Transferred | None, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)  # type: ignore[arg-type]

        def work() -> None:
            try:
                outcome: tuple[Transferred | None, BaseException | None] = (self._run(), None)
            except BaseException as exc:  # handed to the awaiting side, raised there
                outcome = (None, exc)
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                loop.call_soon_threadsafe(settle, *outcome)

        threading.Thread(target=work, name="kling-download", daemon=True).start()
        try:
            return await future
        except asyncio.CancelledError:
            self._cancel.set()
            raise

    def _run(self) -> Transferred:
        check_url(self.url)
        if self.adopt and self.final.exists() and not part_path(self.final).exists():
            return self._adopt()
        part = _Part(part_path(self.final), self.owner)
        try:
            last: TransferError | None = None
            for _ in range(ATTEMPTS):
                try:
                    if self._attempt(part):
                        return self._commit(part)
                    last = None
                except TransferError as exc:
                    if exc.kind != "network":
                        raise
                    last = exc
            raise last or TransferError("network", "the transfer did not complete")
        finally:
            part.close()

    def _adopt(self) -> Transferred:
        """Take ``final`` as this file when the server says it is this long in all (a 416
        to ``Range: bytes=SIZE-`` naming SIZE as the total), else a ``taken`` error."""
        try:
            if not stat.S_ISREG(self.final.lstat().st_mode):  # a link: maybe to anything
                raise TransferError("taken", f"{self.final.name} is not a regular file")
            size = self.final.stat().st_size
            digest = hashlib.sha256()
            with open(self.final, "rb", opener=_no_follow) as f:
                while block := f.read(CHUNK):
                    digest.update(block)
        except OSError as exc:
            raise _disk_error(exc, self.final) from None
        response = self._open(size) if size else None
        if response is not None:
            try:
                _, total = _content_range(response.headers.get("content-range"))
                if response.status_code == 416 and total == size:
                    return Transferred(self.final, size, digest.hexdigest(), 0)
                if response.status_code in EXPIRED_STATUSES:
                    raise TransferError("expired", f"the link answered {response.status_code}")
            finally:
                response.close()
        raise TransferError("taken", f"{self.final.name} holds another file")

    def _commit(self, part: _Part) -> Transferred:
        try:
            commit_file(part.fd, part.path, self.final)
        except OSError as exc:
            raise _disk_error(exc, self.final) from None
        return Transferred(self.final, part.size, part.hash.hexdigest(), self.fetched)

    def _open(self, offset: int) -> httpx.Response:
        """The answer for the file from ``offset``, redirects followed by hand."""
        url = self.url
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url)
            headers = {"Accept-Encoding": "identity"}
            if offset:
                headers["Range"] = f"bytes={offset}-"
            try:
                request = self.client.build_request("GET", url, headers=headers)
                auth = self.auth_for(url)
                response = self.client.send(request, stream=True, auth=auth, follow_redirects=False)
            except httpx.HTTPError as exc:
                raise TransferError("network", self._said(exc)) from None
            except (httpx.InvalidURL, UnicodeError, ValueError) as exc:  # an IDNA-bad host
                why = clean_text(str(exc) or type(exc).__name__, 200)
                raise TransferError("url", f"not a usable http(s) URL ({why})") from None
            if response.status_code in (301, 302, 303, 307, 308):
                where = response.headers.get("location")
                response.close()
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

    def _attempt(self, part: _Part) -> bool:
        """One request; True when the part is complete. A drop is a ``network`` error."""
        response = self._open(part.size)
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
            self._stream(response, part, total)
        finally:
            response.close()
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

    def _stream(self, response: httpx.Response, part: _Part, total: int | None) -> None:
        limit = min(total, self.max_bytes) if total is not None else self.max_bytes
        raw = _raw_body(response)
        if raw is not None:
            self._stream_raw(response, part, total, limit, raw)
        else:
            _widen_reads(response)
            try:
                for chunk in response.iter_raw():  # as read: a drop loses nothing
                    self._keep(part, chunk, total, limit)
            except httpx.HTTPError as exc:
                raise TransferError("network", self._said(exc)) from None
        if total is not None and part.size < total:
            raise TransferError("network", f"the body ended at {part.size:,} of {total:,} bytes")

    def _keep(self, part: _Part, chunk: bytes | memoryview, total: int | None, limit: int) -> None:
        """One piece of the body to the part, within the limits; progress reported."""
        if self._cancel.is_set():
            raise TransferError("cancelled", "the download was stopped")
        if part.size + len(chunk) > limit:
            part.reset()
            raise TransferError(
                "size",
                f"the body went past {limit:,} bytes"
                + (" (its Content-Length)" if total is not None else " (the limit)"),
            )
        part.write(chunk)
        self.fetched += len(chunk)
        self.on_bytes(part.size, total)

    def _stream_raw(
        self,
        response: httpx.Response,
        part: _Part,
        total: int | None,
        limit: int,
        raw: tuple[socket.socket, bytes, int],
    ) -> None:
        """The body straight from the socket into one preallocated buffer (``recv_into``),
        written and hashed from that buffer: no copy per chunk in Python, no h11 event, a
        few calls per MiB (httpx copies each chunk twice and parses it; at loopback speed
        that CPU is what the downloader lacks against curl). Same rules as ``iter_raw``:
        the read timeout on every read, the limits on every piece, a drop is a short body.
        """
        sock, early, remaining = raw
        if early:
            early = early[:remaining]
            self._keep(part, early, total, limit)
            remaining -= len(early)
        with contextlib.suppress(OSError):  # a hint: fewer, larger reads
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)
        view = memoryview(bytearray(READ_BYTES))
        try:
            sock.settimeout(_read_timeout(response))
            while remaining > 0:
                got = sock.recv_into(view, min(READ_BYTES, remaining))
                if not got:
                    break  # the connection closed early: a short body, resumed
                self._keep(part, view[:got], total, limit)  # as read: slow bytes show
                remaining -= got
        except OSError as exc:  # a timeout, a reset, a TLS error (disk errors are not here)
            raise TransferError("network", self._said(exc)) from None
