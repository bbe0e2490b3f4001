"""An embedded Kling gateway: a real HTTP server on 127.0.0.1 for tests, the demo and benchmarks.

Why a real server rather than a mocked transport: the fetcher's hardest code is about what
happens on the wire (keep-alive reuse, dropped connections, truncated or dripping bodies,
gzip bombs, HTML where JSON was expected). Only real sockets exercise it honestly.

The simulator speaks both envelopes the fetcher must read:

* ``/kling/v1/videos/{kind}/{id}``: shape A, the relay-unified envelope (``code: "success"``,
  a relay task record with a native copy in ``data.data``), static token auth;
* ``/v1/videos/{kind}/{id}``: shape B, the native Kling envelope (``code: 0``).

Either prefix accepts a static token from ``tokens`` or an HS256 JWT signed with
``secret_key`` whose ``iss`` is ``access_key`` (the native API's scheme).

A task's status is computed from the injectable ``clock`` at every request, so a test moves
a task from submitted to finished by advancing a fake clock, without sleeping. Faults are
injected per request (``inject``) and answered in the envelope of the prefix asked.

Stdlib only: the simulator must not share code (or bugs) with the client it tests.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import http.server
import itertools
import json
import random
import selectors
import socket
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formatdate
from enum import StrEnum
from http import HTTPStatus
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, quote, unquote

__all__ = ["KINDS", "NATIVE_PREFIX", "RELAY_PREFIX", "Fault", "SimTask", "Simulator"]

RELAY_PREFIX = "/kling/v1"
NATIVE_PREFIX = "/v1"
KINDS = ("text2video", "image2video", "multi-image2video")

DRIP_INTERVAL = 0.3
"""Seconds between two bytes of a dripping body: each read succeeds, the whole never ends."""
GZIP_BOMB_SIZE = 50 * 1024 * 1024
HUGE_SIZE = 20 * 1024 * 1024

HOSTILE_REASON = "[bold]x[/] [@click=app.quit]q[/] \x1b[31mred"
"""Markup- and escape-laden server text: the UI must show it literally, never interpret it."""
CJK_REASON = "内容审核未通过：图片包含敏感信息，请修改后重试"
HOSTILE_TEXT = (
    "osc52 \x1b]52;c;cHduZWQ=\x07 csi \x1b[2J bel \x07 c1 \x9b2J \x9d52;c;eA==\x9c "
    "bidi \u202egnp.exe\u202c\u2066 zero-width a\u200bb\u200dc\ufeffd\u2060e "
    "tag \U000e0041\U000e007f del \x7f nul \x00 [bold]x[/]"
)
"""Every kind of character that must never reach a terminal raw (``hostile`` faults)."""

# A minimal ISO-BMFF ``ftyp`` box: enough for a content sniffer to call it MP4.
_TINY_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"

_NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_DASHBOARD_HTML = (
    b'<!doctype html><html lang="zh"><head><meta charset="utf-8"/>'
    b'<meta name="viewport" content="width=device-width,initial-scale=1"/>'
    b"<title>New API</title>"
    b'<script type="module" crossorigin src="/assets/index-Bq3xk2Vd.js"></script>'
    b'<link rel="stylesheet" href="/assets/index-C9fJ2aWm.css"></head>'
    b"<body><noscript>You need to enable JavaScript to run this app.</noscript>"
    b'<div id="root"></div></body></html>'
)

_JSON_RELAY = "application/json; charset=utf-8"
_JSON_NATIVE = "application/json"
_HTML = "text/html; charset=utf-8"


class Fault(StrEnum):
    """A misbehaviour the next matching request(s) get instead of the normal answer."""

    UNAUTHORIZED = "401"
    NOT_FOUND = "404"
    RATE_LIMITED = "429"
    ACCOUNT = "account"
    HTML_502 = "html502"
    HTML_200 = "html200"
    SERVER_500 = "500"
    INVALID_JSON = "invalid_json"
    TRUNCATED = "truncated"
    EMPTY = "empty"
    SLOW = "slow"
    DRIP = "drip"
    DROP = "drop"
    GZIP_BOMB = "gzip_bomb"
    HUGE = "huge"
    REDIRECT_C1 = "redir_c1"
    """A 302 whose ``Location`` carries C1 (U+009B CSI), bidi, zero-width and tag characters."""
    HOSTILE = "hostile"
    """A failed task whose every text field (reason, external id, status copy) is HOSTILE_TEXT."""
    REFLECT_401 = "reflect401"
    """401 whose message echoes the request's ``Authorization`` header (and HOSTILE_TEXT)."""
    REFLECT_429 = "reflect429"
    """429 rate limit that echoes the ``Authorization`` header."""
    REFLECT_500 = "reflect500"
    """500 server error that echoes the ``Authorization`` header."""


Outcome = Literal["succeed", "fail"]


@dataclass
class SimTask:
    """One simulated generation task; its status is derived from ``created`` and the clock."""

    task_id: str
    kind: str
    outcome: Outcome
    queue_seconds: float
    run_seconds: float
    duration: float
    fail_reason: str
    external_task_id: str | None
    created: float

    @property
    def video_id(self) -> str:
        """A stable 18-digit id for the task's one video (Kling's video ids are numeric)."""
        digest = hashlib.sha256(self.task_id.encode()).digest()
        return str(10**17 + int.from_bytes(digest[:8], "big") % (9 * 10**17))


@dataclass
class _Phase:
    """Where a task stands at one instant, in simulator-clock seconds."""

    name: Literal["submitted", "queued", "processing", "succeed", "failed"]
    progress: int
    started: float | None
    finished: float | None


@dataclass
class _Injected:
    fault: Fault
    remaining: int  # -1: until clear_faults()
    task_id: str | None


@dataclass
class _Route:
    """What a prefixed request asked for; ``kind`` is None when the path is not a task path."""

    relay: bool
    kind: str | None
    ids: tuple[str, ...]


# -- payload caches -------------------------------------------------------------------------

_cache_lock = threading.Lock()
_gzip_bomb: bytes | None = None
_huge_pad: bytes | None = None


def _gzip_bomb_body() -> bytes:
    """~50 KB of gzip that inflates to ~50 MB of JSON; built once (it takes ~0.1-0.3 s)."""
    global _gzip_bomb
    with _cache_lock:
        if _gzip_bomb is None:
            packer = zlib.compressobj(9, zlib.DEFLATED, 31)
            parts = [packer.compress(b'{"code":0,"message":"')]
            chunk = b"0" * (1024 * 1024)
            for _ in range(GZIP_BOMB_SIZE // len(chunk)):
                parts.append(packer.compress(chunk))
            parts.append(packer.compress(b'"}'))
            parts.append(packer.flush())
            _gzip_bomb = b"".join(parts)
        return _gzip_bomb


def _huge_padding() -> bytes:
    global _huge_pad
    with _cache_lock:
        if _huge_pad is None:
            _huge_pad = b"x" * HUGE_SIZE
        return _huge_pad


def _dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, CJK unescaped like real servers send it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


# -- JWT ------------------------------------------------------------------------------------


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign_jwt(
    access_key: str, secret_key: str, *, now: float | None = None, ttl: float = 1800
) -> str:
    """The native API's token: HS256, ``iss`` = access key, ``exp`` = now + ttl, ``nbf`` = now - 5.

    Used by ``python -m kling_tui.sim.simulator`` to print a ready-to-paste token; the tests sign
    their own tokens so that a bug here cannot hide a bug in the verifier.
    """
    now = time.time() if now is None else now
    header = _b64url_encode(_dumps({"alg": "HS256", "typ": "JWT"}))
    claims = _b64url_encode(_dumps({"iss": access_key, "exp": int(now + ttl), "nbf": int(now - 5)}))
    signing_input = f"{header}.{claims}".encode()
    signature = hmac.new(secret_key.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{claims}.{_b64url_encode(signature)}"


def _check_jwt(token: str, access_key: str, secret_key: str, now: float) -> int:
    """0 when valid, else the native error code (1000 bad, 1002 invalid, 1003 nbf, 1004 exp)."""
    parts = token.split(".")
    if len(parts) != 3:
        return 1002
    try:
        header = json.loads(_b64url_decode(parts[0]))
        signature = _b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError):
        return 1002
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        return 1002  # refuses "none" and every algorithm we do not verify
    expected = hmac.new(secret_key.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.digest(), signature):
        return 1000
    try:
        claims = json.loads(_b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return 1002
    if not isinstance(claims, dict):
        return 1002
    iss = claims.get("iss")
    if not isinstance(iss, str) or not hmac.compare_digest(iss.encode(), access_key.encode()):
        return 1000
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return 1002
    if not isinstance(nbf, int | float) or isinstance(nbf, bool):
        return 1002
    if exp <= now:
        return 1004
    if nbf > now:
        return 1003
    return 0


_NATIVE_AUTH_MESSAGES = {
    1000: "Authentication failed",
    1001: "Authorization is empty",
    1002: "Authorization is invalid",
    1003: "Authorization is not yet valid",
    1004: "authorization is expired",
}


# -- the server -----------------------------------------------------------------------------


class _Server(http.server.ThreadingHTTPServer):
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
        self._wake_r, self._wake_w = socket.socketpair()
        super().__init__(address, _Handler)

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


class _Handler(http.server.BaseHTTPRequestHandler):
    """One connection; answers are written with a single ``sendall`` (no Nagle stalls)."""

    protocol_version = "HTTP/1.1"
    server_version = "kling-tui-simulator"
    disable_nagle_algorithm = True
    server: _Server

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
        content_type: str | None = _JSON_NATIVE,
        extra: dict[str, str] | None = None,
    ) -> None:
        self._send_parts(status, (body,), content_type, extra)

    def _send_parts(
        self,
        status: int,
        parts: tuple[bytes, ...],
        content_type: str | None = _JSON_NATIVE,
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
        self._send(405, _dumps({"error": {"message": "method not allowed", "type": "sim"}}))

    do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed

    def do_HEAD(self) -> None:
        """405 without a body: a HEAD answer must not carry one, or keep-alive desyncs."""
        self.server.sim._log(self.command, self.path, self.headers.get("Authorization"))
        self._send(405, b"")


# -- the simulator --------------------------------------------------------------------------


class Simulator:
    """A Kling gateway on 127.0.0.1 speaking shapes A and B, with fault injection.

    Thread-safe: tasks and faults may be added while the server answers other threads.
    """

    def __init__(
        self,
        *,
        tokens: Iterable[str] = ("demo-token",),
        access_key: str | None = "demo-ak",
        secret_key: str | None = "demo-sk",
        clock: Callable[[], float] = time.monotonic,
        retry_after: float = 1.0,
        slow_seconds: float = 3.0,
        port: int = 0,
    ) -> None:
        self.tokens = frozenset(tokens)
        self.access_key = access_key
        self.secret_key = secret_key
        self.clock = clock
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self.requests: list[tuple[str, str]] = []
        self.bearers: set[str] = set()
        """Every bearer token received (tests grep outputs for them, JWTs included)."""
        self.authorization: list[str | None] = []
        """Each request's ``Authorization`` header (None: none sent), in ``requests`` order:
        tests check that a token never reaches a host it must not."""
        self.errors: list[str] = []
        """Unexpected exceptions raised while answering (a simulator bug); never printed."""
        self._port = port
        self._epoch = time.time() - clock()  # maps simulator-clock seconds to Unix time
        self._wall: Callable[[], float] = time.time  # JWT exp/nbf are wall-clock claims
        self._lock = threading.Lock()
        self._tasks: dict[str, SimTask] = {}
        self._by_external: dict[str, SimTask] = {}
        self._faults: list[_Injected] = []
        self._next_id = itertools.count(
            random.randrange(820_000_000_000_000_000, 880_000_000_000_000_000)
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._base_url: str | None = None

    # -- lifecycle

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``; only known once started."""
        if self._base_url is None:
            raise RuntimeError("the simulator is not started")
        return self._base_url

    def start(self) -> str:
        """Bind a free port (or the one given), serve in a daemon thread, return the base URL."""
        with self._lock:
            if self._server is not None:
                return self.base_url
            self._stopping.clear()
            server = _Server(("127.0.0.1", self._port), self)
            port = server.server_address[1]
            self._server = server
            self._base_url = f"http://127.0.0.1:{port}"
            self._thread = threading.Thread(
                target=server.serve,
                name=f"kling-sim-{port}",
                daemon=True,
            )
            self._thread.start()
            return self._base_url

    def stop(self) -> None:
        """Stop accepting, close every connection (idle keep-alive ones too), join threads.

        Idempotent. Slow and dripping answers in flight are cut short.
        """
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self._stopping.set()
        server.wake()
        if thread is not None:
            thread.join(2.0)
        server.server_close()
        server.close_connections(timeout=2.0)

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- tasks

    def add_task(
        self,
        kind: str = "text2video",
        *,
        task_id: str | None = None,
        outcome: Outcome = "succeed",
        queue_seconds: float = 1.0,
        run_seconds: float = 3.0,
        duration: float = 5.1,
        fail_reason: str = "Failure to pass the risk control system",
        external_task_id: str | None = None,
    ) -> SimTask:
        """Register a task created now (on the simulator clock); ids are 18-19 digit strings.

        Any ``kind`` is stored as given, so a test can create a task under a kind the
        gateway does not serve; ``outcome`` must be ``"succeed"`` or ``"fail"``.
        """
        if outcome not in ("succeed", "fail"):
            raise ValueError(f"outcome must be 'succeed' or 'fail', not {outcome!r}")
        with self._lock:
            if task_id is None:
                task_id = str(next(self._next_id))
                while task_id in self._tasks:
                    task_id = str(next(self._next_id))
            elif task_id in self._tasks:
                raise ValueError(f"task {task_id!r} already exists")
            if external_task_id is not None and external_task_id in self._by_external:
                raise ValueError(f"external id {external_task_id!r} already used")
            task = SimTask(
                task_id=task_id,
                kind=kind,
                outcome=outcome,
                queue_seconds=float(queue_seconds),
                run_seconds=float(run_seconds),
                duration=float(duration),
                fail_reason=fail_reason,
                external_task_id=external_task_id,
                created=self.clock(),
            )
            self._tasks[task_id] = task
            if external_task_id is not None:
                self._by_external[external_task_id] = task
            return task

    def add_demo_tasks(self) -> list[SimTask]:
        """A varied set for ``--demo``: every kind, both outcomes, a few seconds to ~1 min."""
        specs: list[dict[str, Any]] = [
            {"kind": "text2video", "queue_seconds": 2, "run_seconds": 8},
            {"kind": "image2video", "queue_seconds": 4, "run_seconds": 26, "duration": 10.1},
            {"kind": "multi-image2video", "queue_seconds": 8, "run_seconds": 52},
            {"kind": "text2video", "outcome": "fail", "queue_seconds": 3, "run_seconds": 9},
            {
                "kind": "image2video",
                "outcome": "fail",
                "queue_seconds": 2,
                "run_seconds": 14,
                "fail_reason": HOSTILE_REASON,
            },
            {
                "kind": "multi-image2video",
                "outcome": "fail",
                "queue_seconds": 5,
                "run_seconds": 20,
                "fail_reason": CJK_REASON,
            },
            {"kind": "text2video", "queue_seconds": 900, "run_seconds": 60},  # stays queued
            {
                "kind": "image2video",
                "queue_seconds": 1,
                "run_seconds": 5,
                "external_task_id": f"demo-order-{random.randrange(10**6):06d}",
            },
            {"kind": "text2video", "queue_seconds": 0, "run_seconds": 0.5, "duration": 10.1},
            {"kind": "multi-image2video", "queue_seconds": 6, "run_seconds": 36},
        ]
        return [self.add_task(**spec) for spec in specs]

    def task(self, task_or_external_id: str) -> SimTask | None:
        """The task with this id or external id, if any."""
        with self._lock:
            return self._tasks.get(task_or_external_id) or self._by_external.get(
                task_or_external_id
            )

    # -- faults

    def inject(self, fault: Fault | str, *, count: int = 1, task_id: str | None = None) -> None:
        """The next ``count`` matching task requests get ``fault`` (-1: until ``clear_faults``).

        With ``task_id`` only requests for that task (by either of its ids) match. Faults are
        consumed in the order injected, before authentication is checked.
        """
        fault = Fault(fault)
        if count < -1:
            raise ValueError("count must be -1 (forever) or >= 0")
        if count == 0:
            return
        # Build a big payload now, on the caller's thread, not while a request waits for it:
        # building the bomb takes 0.1 s idle and over 0.4 s on a busy machine, which a client
        # with a short timeout saw as "no answer" instead of the oversized answer it tests.
        if fault is Fault.GZIP_BOMB:
            _gzip_bomb_body()
        elif fault is Fault.HUGE:
            _huge_padding()
        with self._lock:
            self._faults.append(_Injected(fault, count, task_id))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # -- request log

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self.authorization.clear()

    def _record_error(self, text: str) -> None:
        with self._lock:
            self.errors.append(text)

    def _log(self, method: str, path: str, authorization: str | None = None) -> None:
        with self._lock:
            self.requests.append((method, path))
            self.authorization.append(authorization)

    # -- answering

    def _phase(self, task: SimTask, now: float) -> _Phase:
        elapsed = now - task.created
        start = task.created + task.queue_seconds
        finish = start + task.run_seconds
        if elapsed < task.queue_seconds:
            # The relay's first seconds read SUBMITTED, then QUEUED until Kling picks it up.
            name: Literal["submitted", "queued"] = (
                "submitted" if elapsed < min(2.0, task.queue_seconds / 2) else "queued"
            )
            return _Phase(name, 0, None, None)
        if now < finish:
            fraction = (now - start) / task.run_seconds if task.run_seconds > 0 else 1.0
            return _Phase("processing", min(99, 1 + int(fraction * 98)), start, None)
        return _Phase("succeed" if task.outcome == "succeed" else "failed", 100, start, finish)

    def _video_url(self, task: SimTask) -> str:
        return f"{self.base_url}/files/{quote(task.task_id, safe='')}.mp4"

    def _native_data(self, task: SimTask, phase: _Phase, now: float) -> dict[str, Any]:
        created_ms = round((task.created + self._epoch) * 1000)
        if phase.finished is not None:
            updated = phase.finished
        elif phase.started is not None:
            updated = now
        else:
            updated = task.created
        data: dict[str, Any] = {
            "task_id": task.task_id,
            "task_status": "submitted" if phase.name == "queued" else phase.name,
            "task_status_msg": task.fail_reason if phase.name == "failed" else "",
            "task_info": (
                {"external_task_id": task.external_task_id} if task.external_task_id else {}
            ),
            "created_at": created_ms,
            "updated_at": round((updated + self._epoch) * 1000),
        }
        if phase.name == "succeed":
            data["task_result"] = {
                "videos": [
                    {
                        "id": task.video_id,
                        "url": self._video_url(task),
                        "duration": f"{task.duration:g}",
                    }
                ]
            }
        return data

    def _native_body(self, task: SimTask, phase: _Phase, now: float) -> dict[str, Any]:
        return {
            "code": 0,
            "message": "SUCCEED",
            "request_id": str(uuid.uuid4()),
            "data": self._native_data(task, phase, now),
        }

    def _relay_body(self, task: SimTask, phase: _Phase, now: float) -> dict[str, Any]:
        def unix(t: float | None) -> int:
            return 0 if t is None else int(t + self._epoch)

        status = {
            "submitted": "SUBMITTED",
            "queued": "QUEUED",
            "processing": "IN_PROGRESS",
            "succeed": "SUCCESS",
            "failed": "FAILURE",
        }[phase.name]
        record: dict[str, Any] = {
            "created_at": unix(task.created),
            "updated_at": unix(phase.finished if phase.finished is not None else now),
            "task_id": task.task_id,
            "platform": "50",
            "action": "textGenerate" if task.kind == "text2video" else "generate",
            "status": status,
            "fail_reason": task.fail_reason if phase.name == "failed" else "",
            "submit_time": unix(task.created),
            "start_time": unix(phase.started),
            "finish_time": unix(phase.finished),
            "progress": f"{phase.progress}%",
            "properties": {"input": "", "origin_model_name": "kling-v2-1"},
            "data": self._native_body(task, phase, now),
        }
        if phase.name == "succeed":
            record["result_url"] = self._video_url(task)
        return {"code": "success", "message": "", "data": record}

    def _route(self, path: str, query: str) -> _Route | None:
        if path.startswith(RELAY_PREFIX + "/"):
            relay, rest = True, path[len(RELAY_PREFIX) + 1 :]
        elif path.startswith(NATIVE_PREFIX + "/"):
            relay, rest = False, path[len(NATIVE_PREFIX) + 1 :]
        else:
            return None
        segments = rest.split("/")
        ids: list[str] = []
        if len(segments) == 3 and segments[2]:
            ids.append(unquote(segments[2]))
        if query:
            ids.extend(parse_qs(query).get("external_task_id", []))
        if segments[0] != "videos" or len(segments) not in (2, 3) or not ids:
            return _Route(relay, None, tuple(ids))
        return _Route(relay, segments[1], tuple(ids))

    def _resolve(self, ids: tuple[str, ...]) -> SimTask | None:
        """First task matching any id, by task id or external id; caller holds the lock."""
        for ident in ids:
            task = self._tasks.get(ident) or self._by_external.get(ident)
            if task is not None:
                return task
        return None

    def _lookup(self, ids: tuple[str, ...]) -> SimTask | None:
        with self._lock:
            return self._resolve(ids)

    def _take_fault(self, route: _Route) -> Fault | None:
        with self._lock:
            asked = self._resolve(route.ids)
            for index, injected in enumerate(self._faults):
                if injected.task_id is not None and injected.task_id not in route.ids:
                    wanted = self._resolve((injected.task_id,))
                    if wanted is None or wanted is not asked:
                        continue
                if injected.remaining > 0:
                    injected.remaining -= 1
                    if injected.remaining == 0:
                        del self._faults[index]
                return injected.fault
        return None

    def _authorized(self, header: str | None) -> int:
        """0 when the bearer is accepted, else the native code explaining why not."""
        if not header:
            return 1001
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return 1002
        encoded = token.encode()
        if any(hmac.compare_digest(encoded, known.encode()) for known in self.tokens):
            return 0
        if self.access_key is None or self.secret_key is None or token.count(".") != 2:
            return 1002
        return _check_jwt(token, self.access_key, self.secret_key, self._wall())

    def _answer(self, h: _Handler) -> None:
        """Route one GET: video file, fault, auth, task lookup, then the envelope."""
        self._log("GET", h.path, h.headers.get("Authorization"))
        scheme, _, bearer = (h.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and bearer.strip():
            with self._lock:
                self.bearers.add(bearer.strip())
        path, _, query = h.path.partition("?")
        if path.startswith("/files/"):
            name = unquote(path[len("/files/") :])
            if name.endswith(".mp4") and self.task(name[: -len(".mp4")]) is not None:
                h._send(200, _TINY_MP4, "video/mp4")
            else:
                h._send(404, b"not found", "text/plain")
            return
        route = self._route(path, query)
        if route is None:
            h._send(
                404,
                _dumps(
                    {
                        "error": {
                            "message": f"Invalid URL (GET {path})",
                            "type": "invalid_request_error",
                        }
                    }
                ),
            )
            return
        fault = self._take_fault(route)
        if fault is not None:
            if fault is Fault.SLOW:
                if self._stopping.wait(self.slow_seconds):
                    h.close_connection = True
                    return
            else:
                self._fault(h, route, fault)
                return
        refused = self._authorized(h.headers.get("Authorization"))
        if refused:
            self._unauthorized(h, route.relay, refused)
            return
        if route.kind not in KINDS:
            if route.relay:
                h._send(
                    404,
                    _dumps(
                        {
                            "error": {
                                "message": f"Invalid URL (GET {path})",
                                "type": "invalid_request_error",
                            }
                        }
                    ),
                    _JSON_RELAY,
                )
            else:
                self._not_found(h, False)
            return
        task = self._lookup(route.ids)
        if task is None or (not route.relay and task.kind != route.kind):
            self._not_found(h, route.relay)
            return
        now = self.clock()
        phase = self._phase(task, now)
        if route.relay:
            h._send(200, _dumps(self._relay_body(task, phase, now)), _JSON_RELAY)
        else:
            h._send(200, _dumps(self._native_body(task, phase, now)), _JSON_NATIVE)

    # -- error answers

    @staticmethod
    def _native_error(
        h: _Handler, status: int, code: int, message: str, extra: dict[str, str] | None = None
    ) -> None:
        body = {"code": code, "message": message, "request_id": str(uuid.uuid4())}
        h._send(status, _dumps(body), _JSON_NATIVE, extra)

    @staticmethod
    def _relay_error(
        h: _Handler, status: int, message: str, extra: dict[str, str] | None = None
    ) -> None:
        body = {"error": {"message": message, "type": "new_api_error"}}
        h._send(status, _dumps(body), _JSON_RELAY, extra)

    def _unauthorized(self, h: _Handler, relay: bool, code: int) -> None:
        if relay:
            self._relay_error(h, 401, "未提供令牌" if code == 1001 else "invalid token")
        else:
            self._native_error(
                h, 401, code, _NATIVE_AUTH_MESSAGES.get(code, "Authentication failed")
            )

    def _not_found(self, h: _Handler, relay: bool) -> None:
        if relay:
            body = {"code": "task_not_exist", "message": "task_not_exist", "data": None}
            h._send(400, _dumps(body), _JSON_RELAY)
        else:
            self._native_error(h, 404, 1203, "resource not found")

    def _normal_body(self, route: _Route) -> bytes:
        """The answer a healthy server would give, for faults that mangle it (or a stand-in)."""
        task = self._lookup(route.ids)
        if task is None:
            task = SimTask(
                "800000000000000000", "text2video", "succeed", 1, 3, 5.1, "", None, self.clock()
            )
        now = self.clock()
        phase = self._phase(task, now)
        body = (
            self._relay_body(task, phase, now)
            if route.relay
            else self._native_body(task, phase, now)
        )
        return _dumps(body)

    def _fault(self, h: _Handler, route: _Route, fault: Fault) -> None:
        relay = route.relay
        json_type = _JSON_RELAY if relay else _JSON_NATIVE
        if fault is Fault.UNAUTHORIZED:
            self._unauthorized(h, relay, 1000)
        elif fault is Fault.NOT_FOUND:
            self._not_found(h, relay)
        elif fault is Fault.RATE_LIMITED:
            extra = {"Retry-After": f"{self.retry_after:g}"}
            if relay:
                self._relay_error(
                    h, 429, "当前分组上游负载已饱和，请稍后再试 (rate limit exceeded)", extra
                )
            else:
                self._native_error(h, 429, 1302, "API request rate limit exceeded", extra)
        elif fault is Fault.ACCOUNT:
            if relay:
                self._relay_error(h, 429, "该令牌额度已用尽")
            else:
                self._native_error(h, 429, 1102, "resource pack exhausted")
        elif fault is Fault.HTML_502:
            h._send(502, _NGINX_502, "text/html", {"Server": "nginx/1.24.0"})
        elif fault is Fault.HTML_200:
            h._send(200, _DASHBOARD_HTML, _HTML)
        elif fault is Fault.SERVER_500:
            if relay:
                self._relay_error(h, 500, "upstream error: do request failed")
            else:
                self._native_error(h, 500, 5000, "Internal server error")
        elif fault is Fault.INVALID_JSON:
            h._send(200, b'{"code": 0, "data": {', json_type)
        elif fault is Fault.EMPTY:
            h._send(200, b"", json_type)
        elif fault is Fault.TRUNCATED:
            body = self._normal_body(route)
            h.close_connection = True
            cut = body[: max(1, len(body) // 2)]
            with contextlib.suppress(OSError):
                h.wfile.write(h._head(200, json_type, len(body), {}) + cut)
        elif fault is Fault.DRIP:
            self._drip(h, self._normal_body(route), json_type)
        elif fault is Fault.DROP:
            h.close_connection = True  # nothing written: the client sees the socket close
        elif fault is Fault.GZIP_BOMB:
            h._send(200, _gzip_bomb_body(), json_type, {"Content-Encoding": "gzip"})
        elif fault is Fault.HUGE:
            rest = self._normal_body(route)[1:]
            h._send_parts(200, (b'{"padding":"', _huge_padding(), b'",' + rest), json_type)
        elif fault is Fault.REDIRECT_C1:
            # (httpx refuses a raw ESC there with a message of its own; C1 and up it passes)
            where = f"{self.base_url}/moved/\x9b2J\x9d52;c;eA==\x9c\u202egnp\u200b\U000e0041"
            # header text goes out as latin-1: send the UTF-8 bytes, as a real server would
            h._send(302, b"", None, {"Location": where.encode().decode("latin-1")})
        elif fault is Fault.HOSTILE:
            self._hostile(h, route)
        elif fault in (Fault.REFLECT_401, Fault.REFLECT_429, Fault.REFLECT_500):
            self._reflect(h, route, fault)
        else:  # pragma: no cover - SLOW is handled before, every other member above
            raise AssertionError(fault)

    def _hostile(self, h: _Handler, route: _Route) -> None:
        """The task's own answer, failed, with HOSTILE_TEXT in every text field."""
        task = self._lookup(route.ids)
        task_id = task.task_id if task is not None else (route.ids or ("800000000000000000",))[0]
        now = self.clock()
        fake = SimTask(
            task_id, route.kind or "text2video", "fail", 0, 0, 5.1, HOSTILE_TEXT, None, now
        )
        fake.external_task_id = "ext-" + HOSTILE_TEXT
        phase = _Phase("failed", 100, now, now)
        if route.relay:
            body = self._relay_body(fake, phase, now)
            body["data"]["data"]["data"]["task_status"] = HOSTILE_TEXT  # a stale inner copy
            body["message"] = HOSTILE_TEXT
            h._send(200, _dumps(body), _JSON_RELAY)
        else:
            h._send(200, _dumps(self._native_body(fake, phase, now)), _JSON_NATIVE)

    def _reflect(self, h: _Handler, route: _Route, fault: Fault) -> None:
        """A careless server that quotes the request's Authorization header in its error."""
        said = h.headers.get("Authorization", "")
        if fault is Fault.REFLECT_401:
            status, code, message = 401, 1000, f"invalid credential {said} {HOSTILE_TEXT}"
        elif fault is Fault.REFLECT_429:
            status, code, message = 429, 1302, f"too many requests with {said} {HOSTILE_TEXT}"
        else:
            status, code, message = 500, 5000, f"upstream failed for {said} {HOSTILE_TEXT}"
        extra = {"Retry-After": f"{self.retry_after:g}"} if status == 429 else None
        if route.relay:
            self._relay_error(h, status, message, extra)
        else:
            self._native_error(h, status, code, message, extra)

    def _drip(self, h: _Handler, body: bytes, content_type: str) -> None:
        """Headers at once, then one body byte per DRIP_INTERVAL until done, gone or stopped."""
        h.close_connection = True
        try:
            h.wfile.write(h._head(200, content_type, len(body), {}))
            for i in range(len(body)):
                if self._stopping.wait(DRIP_INTERVAL):
                    return
                h.wfile.write(body[i : i + 1])
        except OSError:
            return


# -- python -m kling_tui.sim.simulator ----------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run a simulator in the foreground with the demo tasks, for curl and manual testing."""
    parser = argparse.ArgumentParser(
        prog="python -m kling_tui.sim.simulator", description=main.__doc__
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)"
    )
    parser.add_argument("--token", default="demo-token", help="static bearer token accepted")
    args = parser.parse_args(argv)
    sim = Simulator(tokens=(args.token,), port=args.port)
    base = sim.start()
    tasks = sim.add_demo_tasks()
    jwt = sign_jwt("demo-ak", "demo-sk")
    out = sys.stdout
    out.write(f"kling-tui simulator at {base}\n")
    out.write(f"static token: {args.token}\n")
    out.write("JWT (access key demo-ak, secret key demo-sk; valid 30 min):\n")
    out.write(f"  {jwt}\n\n")
    for task in tasks[:6]:
        out.write(
            f"  {task.kind:<18} {task.task_id}  {task.outcome:<7} "
            f"after {task.queue_seconds + task.run_seconds:g}s\n"
        )
    first = tasks[0]
    out.write(
        "\ntry:\n"
        f"  curl -H 'Authorization: Bearer {args.token}' "
        f"{base}{RELAY_PREFIX}/videos/{first.kind}/{first.task_id}\n"
        f"  curl -H 'Authorization: Bearer {jwt}' "
        f"{base}{NATIVE_PREFIX}/videos/{first.kind}/{first.task_id}\n"
        "Ctrl-C stops.\n"
    )
    out.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
