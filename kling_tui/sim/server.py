"""The simulator's HTTP plumbing: the accept loop, connection tracking and raw answer writing.

Why a real server rather than a mocked transport: the fetcher's hardest code is about what
happens on the wire (keep-alive reuse, dropped connections, truncated or dripping bodies,
gzip bombs, HTML where JSON was expected). Only real sockets exercise it honestly.
What to answer is the ``Simulator``'s business; this module only carries it.
"""

from __future__ import annotations

import contextlib
import http.server
import selectors
import socket
import sys
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from kling_tui.sim.payloads import JSON_NATIVE, dumps

if TYPE_CHECKING:
    from kling_tui.sim.simulator import Simulator


class Server(http.server.ThreadingHTTPServer):
    """Thread per connection (keep-alive friendly) that remembers its open connections.

    ``stop()`` must free everything: ending the accept loop does not end idle keep-alive
    connections, so they are shut down here explicitly, which wakes their threads.
    The accept loop is our own (``serve``) so that ``stop()`` wakes it through a socket pair
    at once, instead of ``serve_forever``'s poll interval: tests start and stop a server
    each, and 50 ms per stop adds up.
    """

    daemon_threads = True
    request_queue_size = 256  # 50 clients connecting at once must not hit a full backlog
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: Simulator) -> None:
        self.sim = sim
        self._conn_lock = threading.Lock()
        self._conns: dict[socket.socket, threading.Thread] = {}
        self.accepted = 0
        """Connections accepted so far: keep-alive tests count them instead of timing."""
        self._wake_r, self._wake_w = socket.socketpair()
        super().__init__(address, Handler)

    def serve(self) -> None:
        """Accept connections until ``wake()``; each gets its own daemon thread."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                for key, _events in selector.select():
                    if key.fileobj is self._wake_r:
                        return
                    self._handle_request_noblock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Never print: the demo shares the terminal with the dashboard.

        A client vanishing mid-request is normal here (drops, timeouts, ``stop()``); anything
        else is a simulator bug, kept in ``Simulator.errors`` for tests to assert on.
        """
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        self.sim._record_error(f"{type(exc).__name__}: {exc}")

    def wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._wake_r.close()
        self._wake_w.close()

    def track(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._conns[conn] = threading.current_thread()
            self.accepted += 1

    def untrack(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._conns.pop(conn, None)

    def close_connections(self, timeout: float) -> None:
        with self._conn_lock:
            conns = list(self._conns.items())
        for conn, _thread in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _conn, thread in conns:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))


class Handler(http.server.BaseHTTPRequestHandler):
    """One connection; answers are written with a single ``sendall`` (no Nagle stalls)."""

    protocol_version = "HTTP/1.1"
    server_version = "kling-tui-simulator"
    disable_nagle_algorithm = True
    server: Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)
        if self.server.sim._stopping.is_set():  # accepted while stop() was closing the rest
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence: a benchmark sends thousands of requests."""

    # -- plumbing

    def _head(
        self, status: int, content_type: str | None, length: int, extra: dict[str, str]
    ) -> bytes:
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
        if "Server" not in extra:
            lines.append(f"Server: {self.server_version}")
        lines.append(f"Date: {formatdate(usegmt=True)}")
        if content_type is not None:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {length}")
        for name, value in extra.items():
            lines.append(f"{name}: {value}")
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None = JSON_NATIVE,
        extra: dict[str, str] | None = None,
    ) -> None:
        self._send_parts(status, (body,), content_type, extra)

    def _send_parts(
        self,
        status: int,
        parts: tuple[bytes, ...],
        content_type: str | None = JSON_NATIVE,
        extra: dict[str, str] | None = None,
    ) -> None:
        """One answer written piece by piece: a 20 MB padding is sent as it is, not copied
        twice into a new body first (40 MB of copies took a busy machine past a 0.4 s client
        timeout, so the HUGE test saw a timeout instead of the oversized answer)."""
        length = sum(len(p) for p in parts)
        try:
            self.wfile.write(self._head(status, content_type, length, extra or {}) + parts[0])
            for part in parts[1:]:
                self.wfile.write(part)
        except OSError:
            self.close_connection = True

    def _drain_body(self) -> None:
        """Read (and drop) a request body so the keep-alive stream stays in step."""
        length = self.headers.get("Content-Length")
        if length and length.isdigit():
            remaining = int(length)
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)

    # -- methods

    def do_GET(self) -> None:
        self.server.sim._answer(self)

    def _not_allowed(self) -> None:
        self.server.sim._log(self.command, self.path, self.headers.get("Authorization"))
        self._drain_body()
        self._send(405, dumps({"error": {"message": "method not allowed", "type": "sim"}}))

    do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed

    def do_HEAD(self) -> None:
        """405 without a body: a HEAD answer must not carry one, or keep-alive desyncs."""
        self.server.sim._log(self.command, self.path, self.headers.get("Authorization"))
        self._send(405, b"")
