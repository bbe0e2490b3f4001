"""An embedded Kling gateway: a real HTTP server on 127.0.0.1 for tests, the demo and benchmarks.

The simulator speaks both envelopes the fetcher must read (``envelopes``): the relay shape
under ``/kling/v1`` and the native shape under ``/v1``. The native prefix serves every kind of
``kinds.KIND_SPECS``; the relay prefix only ``relay_kinds`` (``STOCK_RELAY_KINDS`` for the
stock open-source relay), and refuses the others as real relays do (``relay_refusal``: a 404
``Invalid URL`` body, or its web dashboard's HTML page with 200). Either prefix accepts a
static token from ``tokens`` or an HS256 JWT signed with ``secret_key`` whose ``iss`` is
``access_key`` (``auth``, the native API's scheme).

A task's status is computed from the injectable ``clock`` at every request (``tasks``), so a
test moves a task from submitted to finished by advancing a fake clock, without sleeping.
Faults are injected per request (``inject``) and answered in the envelope of the prefix asked
(``faults``); the sockets are ``server``'s.

This module holds ``Simulator``, the one object tests, the demo and benchmarks use, and
``python -m kling_tui.sim.simulator``. Stdlib only: the simulator must not share code (or
bugs) with the client it tests.
"""

from __future__ import annotations

import argparse
import itertools
import random
import string
import sys
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Literal

from kling_tui.sim.auth import bearer_refusal, sign_jwt
from kling_tui.sim.costs import COSTS_PATH, answer_costs
from kling_tui.sim.envelopes import (
    KINDS,
    NATIVE_PREFIX,
    RELAY_KINDS,
    RELAY_PREFIX,
    STOCK_RELAY_KINDS,
    Route,
    invalid_url_body,
    native_body,
    not_found,
    parse_route,
    relay_body,
    unauthorized,
)
from kling_tui.sim.faults import Fault, Injected, answer_fault, arms, take_injected
from kling_tui.sim.files import DEFAULT_FILE_SIZE, FileFault, SimFiles
from kling_tui.sim.listing import answer_list, parse_list
from kling_tui.sim.payloads import (
    DASHBOARD_HTML,
    HTML,
    JSON_NATIVE,
    JSON_RELAY,
    dumps,
    gzip_bomb_body,
    huge_padding,
)
from kling_tui.sim.server import Handler, Server
from kling_tui.sim.tasklog import TASK_LOG_PATH, answer_task_log
from kling_tui.sim.tasks import (
    RELAY_TIMEOUT_REASON,
    RELAY_TIMEOUT_SECONDS,
    Outcome,
    Phase,
    SimTask,
    demo_task_specs,
    phase_at,
)

__all__ = [
    "KINDS",
    "NATIVE_PREFIX",
    "RELAY_KINDS",
    "RELAY_PREFIX",
    "RELAY_TIMEOUT_REASON",
    "RELAY_TIMEOUT_SECONDS",
    "STOCK_RELAY_KINDS",
    "Fault",
    "FileFault",
    "RelayRefusal",
    "SimTask",
    "Simulator",
]

RelayRefusal = Literal["404", "html200"]
"""How the relay prefix refuses a kind it does not serve: new-api's 404 ``Invalid URL``
JSON, or (a relay whose web dashboard catches every other path) an HTML page with 200."""
_RELAY_ID_CHARS = string.ascii_letters + string.digits


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
        access_tokens: dict[str, int] | None = None,
        relay_kinds: Iterable[str] = RELAY_KINDS,
        relay_refusal: RelayRefusal = "404",
        file_size: int = DEFAULT_FILE_SIZE,
    ) -> None:
        if relay_refusal not in ("404", "html200"):
            raise ValueError(f"relay_refusal must be '404' or 'html200', not {relay_refusal!r}")
        self.relay_kinds = frozenset(relay_kinds)
        """Kinds the relay prefix serves; others are refused as ``relay_refusal`` says."""
        self.relay_refusal: RelayRefusal = relay_refusal
        self.tokens = frozenset(tokens)
        self.access_tokens = dict(access_tokens or {"demo-access-token": 1})
        """The relay's user access tokens (its task log) -> the user id each belongs to."""
        self.packs: list[dict[str, Any]] | None = None
        """``/account/costs``'s packs (None: the deterministic ``sim.costs.DEFAULT_PACKS``)."""
        self.task_log_envelope = "current"
        """``"current"`` (``data.items``, ``New-Api-User`` checked) or ``"old"`` (a list)."""
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
        self.list_requests = 0
        """List-page requests received, faulted ones too (benchmarks compare request counts)."""
        self.errors: list[str] = []
        """Unexpected exceptions raised while answering (a simulator bug); never printed."""
        self._port = port
        self._epoch = time.time() - clock()  # maps simulator-clock seconds to Unix time
        self._wall: Callable[[], float] = time.time  # JWT exp/nbf are wall-clock claims
        self._lock = threading.Lock()
        self._tasks: dict[str, SimTask] = {}
        self._by_external: dict[str, SimTask] = {}
        self._by_relay_id: dict[str, SimTask] = {}
        self._faults: list[Injected] = []
        self._next_id = itertools.count(
            random.randrange(820_000_000_000_000_000, 880_000_000_000_000_000)
        )
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._base_url: str | None = None
        self.files = SimFiles(self, file_size)
        """The result files (``sim/files.py``): bytes, ``Range``, file faults, expiry."""

    # -- lifecycle

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``; only known once started."""
        if self._base_url is None:
            raise RuntimeError("the simulator is not started")
        return self._base_url

    @property
    def connections_accepted(self) -> int:
        """TCP connections the API server has accepted since it started (0 when stopped)."""
        server = self._server
        return 0 if server is None else server.accepted

    def start(self) -> str:
        """Bind a free port (or the one given), serve in a daemon thread, return the base URL."""
        with self._lock:
            if self._server is not None:
                return self.base_url
            self._stopping.clear()
            server = Server(("127.0.0.1", self._port), self)
            port = server.server_address[1]
            self._server = server
            self._base_url = f"http://127.0.0.1:{port}"
            self._thread = threading.Thread(
                target=server.serve,
                name=f"kling-sim-{port}",
                daemon=True,
            )
            self._thread.start()
            self.files.start()
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
        self.files.stop()

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
        stuck_at: int | None = None,
        relay_id: str | bool | None = None,
        images: int = 1,
        final_unit_deduction: str | None = None,
        watermark: bool = False,
        not_start_seconds: float = 0.0,
        relay_status: str | None = None,
        model: str = "kling-v2-1",
    ) -> SimTask:
        """Register a task created now (on the simulator clock); ids are 18-19 digit strings.

        Any ``kind`` is stored as given, so a test can create a task under a kind the
        gateway does not serve; ``outcome`` must be ``"succeed"`` or ``"fail"``. With
        ``stuck_at`` (0-99) the task never finishes: after its queue it stays processing at
        that percentage (stuck detection). ``relay_id=True`` gives the task a 2026-era relay
        id (``task_`` + 32 characters; a string: that one): the relay prefix then answers
        with it, Kling's id inside. The other keywords are ``SimTask``'s fields (image
        count, cost, watermarks, the relay's ``NOT_START`` seconds and an ``UNKNOWN``-like
        status word, the model).
        """
        if outcome not in ("succeed", "fail"):
            raise ValueError(f"outcome must be 'succeed' or 'fail', not {outcome!r}")
        if stuck_at is not None and not 0 <= stuck_at <= 99:
            raise ValueError(f"stuck_at must be a percentage in 0..99, not {stuck_at!r}")
        with self._lock:
            if task_id is None:
                task_id = str(next(self._next_id))
                while task_id in self._tasks:
                    task_id = str(next(self._next_id))
            elif task_id in self._tasks:
                raise ValueError(f"task {task_id!r} already exists")
            if external_task_id is not None and external_task_id in self._by_external:
                raise ValueError(f"external id {external_task_id!r} already used")
            if relay_id is True:
                relay_id = "task_" + "".join(random.choices(_RELAY_ID_CHARS, k=32))
            if isinstance(relay_id, str) and relay_id in self._by_relay_id:
                raise ValueError(f"relay id {relay_id!r} already used")
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
                stuck_at=stuck_at,
                relay_id=relay_id or None,
                images=int(images),
                final_unit_deduction=final_unit_deduction,
                watermark=watermark,
                not_start_seconds=float(not_start_seconds),
                relay_status=relay_status,
                model=model,
            )
            self._tasks[task_id] = task
            if external_task_id is not None:
                self._by_external[external_task_id] = task
            if task.relay_id is not None:
                self._by_relay_id[task.relay_id] = task
            return task

    def add_demo_tasks(self) -> list[SimTask]:
        """A varied set for ``--demo``: every kind, both outcomes, a few seconds to ~1 min."""
        return [self.add_task(**spec) for spec in demo_task_specs()]

    def tasks_of_kind(self, kind: str) -> list[SimTask]:
        """Every task of ``kind``, newest first (the later added first among equals)."""
        with self._lock:
            mine = [t for t in reversed(self._tasks.values()) if t.kind == kind]
        return sorted(mine, key=lambda t: -t.created)

    def task(self, task_or_external_id: str) -> SimTask | None:
        """The task with this id, external id or relay id, if any."""
        with self._lock:
            return self._resolve((task_or_external_id,))

    # -- faults

    def inject(
        self,
        fault: Fault | str,
        *,
        count: int = 1,
        task_id: str | None = None,
        lists: bool | None = None,
    ) -> None:
        """The next ``count`` matching task requests get ``fault`` (-1: until ``clear_faults``).

        With ``task_id`` only requests for that task (by either of its ids) match; with
        ``lists`` True only list-page requests, False only the others (None: any). Faults
        are consumed in the order injected, before authentication is checked.
        """
        fault = Fault(fault)
        if not arms(count):
            return
        # Build a big payload now, on the caller's thread, not while a request waits for it:
        # building the bomb takes 0.1 s idle and over 0.4 s on a busy machine, which a client
        # with a short timeout saw as "no answer" instead of the oversized answer it tests.
        if fault is Fault.GZIP_BOMB:
            gzip_bomb_body()
        elif fault is Fault.HUGE:
            huge_padding()
        with self._lock:
            self._faults.append(Injected(fault, count, task_id, lists))

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

    def _envelope(self, task: SimTask, phase: Phase, now: float, *, relay: bool) -> dict[str, Any]:
        """The task's record in the relay (shape A) or native (shape B) envelope."""
        shape = relay_body if relay else native_body
        return shape(task, phase, now, self._epoch, self._video_url(task))

    def _video_url(self, task: SimTask) -> str:
        return self.files.video_url(task)

    def _resolve(self, ids: tuple[str, ...]) -> SimTask | None:
        """First task matching any id, by task id, external id or relay id; caller holds
        the lock (only the relay knows its relay ids: ``_answer_task`` checks that)."""
        for ident in ids:
            task = (
                self._tasks.get(ident)
                or self._by_external.get(ident)
                or self._by_relay_id.get(ident)
            )
            if task is not None:
                return task
        return None

    def _lookup(self, ids: tuple[str, ...]) -> SimTask | None:
        with self._lock:
            return self._resolve(ids)

    def _take_fault(self, route: Route, listing: bool = False) -> Fault | None:
        with self._lock:
            asked = self._resolve(route.ids)

            def wanted(injected: Injected) -> bool:
                if injected.lists is not None and injected.lists is not listing:
                    return False
                if injected.task_id is None or injected.task_id in route.ids:
                    return True
                other = self._resolve((injected.task_id,))
                return other is not None and other is asked

            taken = take_injected(self._faults, wanted)
        return None if taken is None else taken.fault

    def _authorized(self, header: str | None) -> int:
        """0 when the bearer is accepted, else the native code explaining why not."""
        return bearer_refusal(header, self.tokens, self.access_key, self.secret_key, self._wall())

    def _answer(self, h: Handler) -> None:
        """Route one GET: video file, fault, auth, task lookup, then the envelope."""
        self._note_request(h)
        path, _, query = h.path.partition("?")
        if self.files.serve_path(h, path, query):  # result files, the relay's content URL
            return
        if path == COSTS_PATH:
            if not self._faulted(h, Route(False, None, ()), listing=True):
                answer_costs(self, h, query)
            return
        if path == TASK_LOG_PATH:
            if not self._faulted(h, Route(True, None, ()), listing=True):
                answer_task_log(self, h, query)
            return
        route = parse_route(path, query)
        if route is None:
            h._send(404, invalid_url_body(path))
            return
        listed = None if route.relay else parse_list(path, query)
        if listed is not None:
            with self._lock:
                self.list_requests += 1
        if self._faulted(h, route, listing=listed is not None):
            return
        if route.relay and route.kind not in self.relay_kinds:
            self._refuse_kind(h, path)  # the relay's router answers before any auth
            return
        refused = self._authorized(h.headers.get("Authorization"))
        if refused:
            unauthorized(h, route.relay, refused)
            return
        if listed is not None:
            answer_list(self, h, listed)
            return
        if route.kind not in KINDS:
            not_found(h, False)
            return
        self._answer_task(h, route)

    def _refuse_kind(self, h: Handler, path: str) -> None:
        """A path the relay does not route, answered as ``relay_refusal`` says."""
        if self.relay_refusal == "html200":
            h._send(200, DASHBOARD_HTML, HTML)
        else:
            h._send(404, invalid_url_body(path), JSON_RELAY)

    def _note_request(self, h: Handler) -> None:
        """Log the request and remember its bearer token, whatever the answer will be."""
        self._log("GET", h.path, h.headers.get("Authorization"))
        scheme, _, bearer = (h.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and bearer.strip():
            with self._lock:
                self.bearers.add(bearer.strip())

    def _faulted(self, h: Handler, route: Route, *, listing: bool = False) -> bool:
        """Answer the next injected fault matching ``route``; True when that answered it.

        SLOW only delays: the normal answer follows, unless ``stop()`` cuts the wait short.
        """
        fault = self._take_fault(route, listing)
        if fault is None:
            return False
        if fault is Fault.SLOW:
            if self._stopping.wait(self.slow_seconds):
                h.close_connection = True
                return True
            return False
        answer_fault(self, h, route, fault)
        return True

    def _answer_task(self, h: Handler, route: Route) -> None:
        """The task's record in the envelope asked for (the native prefix checks the kind)."""
        task = self._lookup(route.ids)
        native_miss = (
            task is not None
            and not route.relay
            and (
                task.kind != route.kind
                or (task.relay_id in route.ids and task.task_id not in route.ids)
            )
        )
        if task is None or native_miss:  # Kling knows neither another kind nor a relay's id
            not_found(h, route.relay)
            return
        now = self.clock()
        body = self._envelope(task, phase_at(task, now), now, relay=route.relay)
        h._send(200, dumps(body), JSON_RELAY if route.relay else JSON_NATIVE)

    def _normal_body(self, route: Route) -> bytes:
        """The answer a healthy server would give, for faults that mangle it (or a stand-in)."""
        task = self._lookup(route.ids)
        if task is None:
            task = SimTask(
                "800000000000000000", "text2video", "succeed", 1, 3, 5.1, "", None, self.clock()
            )
        now = self.clock()
        return dumps(self._envelope(task, phase_at(task, now), now, relay=route.relay))


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
