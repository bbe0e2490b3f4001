"""The simulator's result files: deterministic bytes at the URLs its answers give, with
``Range`` support and the faults a download must survive.

A task's files live under ``/files/`` like on a CDN (no token asked): ``{id}.mp4`` (its
video), ``{id}-{n}.png`` (its images), ``{id}-wm.mp4`` (watermarked), ``{id}-parent.mp4``.
A task added with ``content_url=True`` gives the relay's own URL instead,
``/v1/videos/{id}/content``, which asks for the API token like the relay does. A second
origin (another port, :attr:`SimFiles.other_url`) serves the same files: the target of the
``REDIRECT`` fault, where tests check that no token arrives.

Bytes are made from the file's name (a seeded 1 MiB block, each MiB stamped with its
index, the first with an MP4 / PNG signature), so a test can compare a download byte for
byte (:meth:`SimFiles.content`) and a wrong offset anywhere shows. Links expire:
:meth:`SimFiles.expire` makes a task's links answer 403 (with ``renew`` the next status
answer gives a fresh one, ``?e=N``). Stdlib only, like the rest of the simulator.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, unquote

from kling_tui.sim.faults import arms, take_injected
from kling_tui.sim.payloads import TINY_MP4, TINY_PNG
from kling_tui.sim.server import Server

if TYPE_CHECKING:
    from kling_tui.sim.server import Handler
    from kling_tui.sim.simulator import Simulator
    from kling_tui.sim.tasks import SimTask

DEFAULT_FILE_SIZE = 3 * 1024 * 1024
"""A few MB: big enough to be cut half-way, small enough for a test."""
BLOCK = 1024 * 1024
SLOW_PIECE = 16 * 1024
SLOW_INTERVAL = 0.02
"""The SLOW fault: this many bytes, then this long a pause (800 KB/s)."""
CONTENT_PATH = re.compile(r"/v1/videos/([^/?#]+)/content")
FILE_TAG = re.compile(r"-(?:\d+-wm|\d+|wm|parent)$")
EXPIRED_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


class FileFault(StrEnum):
    """What the next matching file request gets instead of the plain answer."""

    DROP = "file_drop"
    """Headers for the whole range, half of its bytes, then the connection closes."""
    NO_RANGE = "no_range"
    """``Range`` ignored: 200 with the whole body (the client must restart from zero)."""
    EXPIRED = "file_expired"
    """403 with a CDN's XML error, as for an expired signed link."""
    SLOW = "file_slow"
    """The body in :data:`SLOW_PIECE` pieces, :data:`SLOW_INTERVAL` apart."""
    BAD_LENGTH = "bad_length"
    """``Content-Length`` 1,000 bytes over the body, then the connection closes."""
    REDIRECT = "redirect"
    """302 to the same file on the other origin (:attr:`SimFiles.other_url`)."""


@dataclass
class _Injected:
    fault: FileFault
    remaining: int  # -1: until clear()
    task_id: str | None


@lru_cache(maxsize=64)
def _base_block(name: str) -> bytes:
    seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    return random.Random(seed).randbytes(BLOCK)


def _pieces(name: str, start: int, end: int):
    """The bytes of ``name`` in ``start..end`` (end excluded) as a few big slices."""
    base = memoryview(_base_block(name))
    magic = TINY_PNG if name.endswith(".png") else TINY_MP4
    pos = start
    while pos < end:
        k, off = divmod(pos, BLOCK)
        stamp = magic if k == 0 else k.to_bytes(8, "big")
        stop = min(end - pos, BLOCK - off) + off
        if off < len(stamp):
            yield stamp[off : min(stop, len(stamp))]
            off = min(stop, len(stamp))
        if off < stop:
            yield base[off:stop]
        pos = k * BLOCK + stop


class SimFiles:
    """The files of one simulator (see the module docstring). Thread-safe."""

    def __init__(self, sim: Simulator, size: int = DEFAULT_FILE_SIZE) -> None:
        self.sim = sim
        self.size = size
        self.other_requests: list[tuple[str, str | None]] = []
        """(path, Authorization) of every request the other origin received."""
        self.requests: list[tuple[str, str | None, str | None]] = []
        """(path, Range, Authorization) of every file request on the main origin."""
        self._lock = threading.Lock()
        self._faults: list[_Injected] = []
        self._epochs: dict[str, int] = {}
        self._deleted: set[str] = set()
        self._content_tasks: set[str] = set()
        self._other: Server | None = None
        self._other_thread: threading.Thread | None = None
        self.other_url = ""

    # -- lifecycle (with the simulator's)

    def start(self) -> None:
        server = Server(("127.0.0.1", 0), self.sim)
        self._other = server
        self.other_url = f"http://127.0.0.1:{server.server_address[1]}"
        self._other_thread = threading.Thread(target=server.serve, daemon=True)
        self._other_thread.start()

    def stop(self) -> None:
        server, self._other = self._other, None
        if server is None:
            return
        server.wake()
        if self._other_thread is not None:
            self._other_thread.join(2.0)
        server.server_close()
        server.close_connections(timeout=2.0)

    # -- what tests and the simulator ask

    def inject(self, fault: FileFault | str, *, count: int = 1, task_id: str | None = None) -> None:
        """The next ``count`` file requests (of ``task_id``'s files) get ``fault`` (-1:
        until :meth:`clear`; 0: none), as ``Simulator.inject`` counts. An unknown fault is
        refused at any count, as there (the fault is read first)."""
        fault = FileFault(fault)
        if not arms(count):
            return
        with self._lock:
            self._faults.append(_Injected(fault, count, task_id))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def expire(self, task_id: str, *, renew: bool = True) -> None:
        """The task's links answer 403 from now on; ``renew``: its status answers give a
        fresh link (``?e=N``) that works, else every link of it stays dead."""
        with self._lock:
            if renew:
                self._epochs[task_id] = self._epochs.get(task_id, 0) + 1
            else:
                self._deleted.add(task_id)

    def serve_by_content_url(self, task_id: str) -> None:
        """Results of ``task_id`` are given as the relay's ``/v1/videos/{id}/content``."""
        with self._lock:
            self._content_tasks.add(task_id)

    def video_url(self, task: SimTask) -> str:
        """The URL the task's answers give for its video (others derive from it)."""
        tid = quote(task.task_id, safe="")
        with self._lock:
            epoch = self._epochs.get(task.task_id, 0)
            content = task.task_id in self._content_tasks
        if content:
            url = f"{self.sim.base_url}/v1/videos/{tid}/content"
        else:
            url = f"{self.sim.base_url}/files/{tid}.mp4"
        return f"{url}?e={epoch}" if epoch else url

    def content(self, name: str, size: int | None = None) -> bytes:
        """The whole file ``name`` (``{id}.mp4``...) as served: what a download must equal."""
        return b"".join(bytes(p) for p in _pieces(name, 0, self.size if size is None else size))

    # -- answering

    def serve_path(self, h: Handler, path: str, query: str) -> bool:
        """Answer a file request (``/files/...`` or a content URL); False: not one."""
        if path.startswith("/files/"):
            name = unquote(path[len("/files/") :])
            stem, _, ext = name.rpartition(".")
            task = self.sim._lookup((stem,)) if stem else None
            if task is None and stem:
                task = self.sim._lookup((FILE_TAG.sub("", stem),))
            if task is None or ext not in ("mp4", "png"):
                h._send(404, b"not found", "text/plain")
                return True
        else:
            match = CONTENT_PATH.fullmatch(path)
            if match is None:
                return False
            task = self.sim._lookup((unquote(match.group(1)),))
            cdn = h.server is self._other  # the other origin serves it like a CDN: no token
            if not cdn and self.sim._authorized(h.headers.get("Authorization")):
                h._send(401, b'{"error":{"message":"invalid token","type":"sim"}}')
                return True
            if task is None:
                h._send(404, b"not found", "text/plain")
                return True
            name = f"{task.task_id}.mp4"
        self._serve(h, task, name, path, query)
        return True

    def _take(self, task_id: str) -> FileFault | None:
        with self._lock:
            taken = take_injected(self._faults, lambda f: f.task_id is None or f.task_id == task_id)
        return None if taken is None else taken.fault

    def _serve(self, h: Handler, task: SimTask, name: str, path: str, query: str) -> None:
        other = h.server is self._other
        auth = h.headers.get("Authorization")
        with self._lock:
            if other:
                self.other_requests.append((path, auth))
            else:
                self.requests.append((path, h.headers.get("Range"), auth))
            epoch = self._epochs.get(task.task_id, 0)
            deleted = task.task_id in self._deleted
        asked = parse_qs(query).get("e", ["0"])[0]
        fault = None if other else self._take(task.task_id)
        if deleted or asked != str(epoch) or fault is FileFault.EXPIRED:
            h._send(403, EXPIRED_BODY, "application/xml")
            return
        if fault is FileFault.REDIRECT:
            where = f"{self.other_url}{path}" + (f"?{query}" if query else "")
            h._send(302, b"", None, {"Location": where})
            return
        self._send_range(h, name, fault)

    def _send_range(self, h: Handler, name: str, fault: FileFault | None) -> None:
        size = self.size
        start, end = 0, size
        wanted = h.headers.get("Range") if fault is not FileFault.NO_RANGE else None
        status, extra = 200, {"Accept-Ranges": "bytes"}
        if wanted:
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted.strip())
            if m is not None:
                start = int(m.group(1))
                if start >= size:
                    h._send(416, b"", None, {"Content-Range": f"bytes */{size}"})
                    return
                end = min(size, int(m.group(2)) + 1) if m.group(2) else size
                status = 206
                extra["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        length = end - start
        stop = end
        if fault is FileFault.DROP:
            stop = start + length // 2
        if fault in (FileFault.DROP, FileFault.BAD_LENGTH):
            h.close_connection = True
        if fault is FileFault.BAD_LENGTH:
            length += 1000
        kind = "image/png" if name.endswith(".png") else "video/mp4"
        try:
            h.wfile.write(h._head(status, kind, length, extra))
            for piece in _pieces(name, start, stop):
                if fault is FileFault.SLOW:
                    self._drip(h, piece)
                else:
                    h.wfile.write(piece)
        except OSError:
            h.close_connection = True

    def _drip(self, h: Handler, piece: memoryview | bytes) -> None:
        for at in range(0, len(piece), SLOW_PIECE):
            if self.sim._stopping.wait(SLOW_INTERVAL):
                raise OSError("stopping")
            h.wfile.write(piece[at : at + SLOW_PIECE])
