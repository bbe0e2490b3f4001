"""The faults a test can inject, and how each one is answered in the envelope asked for.

Each fault mimics a real misbehaviour: error statuses, HTML where JSON was expected, truncated,
dripping or dropped bodies, gzip bombs, huge bodies, C1 redirects, hostile text, and careless
servers that reflect the request's ``Authorization`` header into their errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, TypeVar

from kling_tui.sim.envelopes import (
    Route,
    invalid_url_body,
    native_error,
    not_found,
    relay_error,
    unauthorized,
)
from kling_tui.sim.payloads import (
    DASHBOARD_HTML,
    DRIP_INTERVAL,
    HOSTILE_TEXT,
    HTML,
    JSON_NATIVE,
    JSON_RELAY,
    NGINX_502,
    dumps,
    gzip_bomb_body,
    huge_padding,
)
from kling_tui.sim.tasks import Phase, SimTask

if TYPE_CHECKING:
    from kling_tui.sim.server import Handler
    from kling_tui.sim.simulator import Simulator


class Fault(StrEnum):
    """A misbehaviour the next matching request(s) get instead of the normal answer."""

    UNAUTHORIZED = "401"
    NOT_FOUND = "404"
    RATE_LIMITED = "429"
    ACCOUNT = "account"
    HTML_502 = "html502"
    HTML_200 = "html200"
    """The relay's web dashboard (HTML, 200): how some relays answer a path they do not route."""
    ROUTE_404 = "route404"
    """404 ``Invalid URL (GET …)``: how new-api answers a path (a kind) it does not route."""
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


@dataclass
class Injected:
    """One ``inject`` call: which fault, how many answers are left, for which task (None: any)."""

    fault: Fault
    remaining: int  # -1: until clear_faults()
    task_id: str | None
    lists: bool | None = None
    """True: list-page requests only; False: never them; None: any request."""


class _Countdown(Protocol):
    remaining: int


_Armed = TypeVar("_Armed", bound=_Countdown)


def arms(count: int) -> bool:
    """Whether an injection of ``count`` requests arms a fault: -1 until cleared, 0 none
    (False), below -1 refused. The one count rule of the API faults and the file faults,
    beside :func:`take_injected` that counts them down."""
    if count < -1:
        raise ValueError("count must be -1 (forever) or >= 0")
    return count != 0


def take_injected(armed: list[_Armed], wanted: Callable[[_Armed], bool]) -> _Armed | None:
    """The first injected fault ``wanted`` accepts, counted down (and dropped at zero).

    ``remaining`` -1 stays until cleared. The caller holds its lock; shared by the API
    faults (:class:`Injected`) and the file faults (``sim/files.py``)."""
    for index, injected in enumerate(armed):
        if not wanted(injected):
            continue
        if injected.remaining > 0:
            injected.remaining -= 1
            if injected.remaining == 0:
                del armed[index]
        return injected
    return None


def answer_fault(sim: Simulator, h: Handler, route: Route, fault: Fault) -> None:
    """Answer one request with ``fault`` instead of the normal answer (SLOW is the caller's)."""
    relay = route.relay
    json_type = JSON_RELAY if relay else JSON_NATIVE
    if fault is Fault.UNAUTHORIZED:
        unauthorized(h, relay, 1000)
    elif fault is Fault.NOT_FOUND:
        not_found(h, relay)
    elif fault is Fault.RATE_LIMITED:
        extra = {"Retry-After": f"{sim.retry_after:g}"}
        if relay:
            relay_error(h, 429, "当前分组上游负载已饱和，请稍后再试 (rate limit exceeded)", extra)
        else:
            native_error(h, 429, 1302, "API request rate limit exceeded", extra)
    elif fault is Fault.ACCOUNT:
        if relay:
            relay_error(h, 429, "该令牌额度已用尽")
        else:
            native_error(h, 429, 1102, "resource pack exhausted")
    elif fault is Fault.HTML_502:
        h._send(502, NGINX_502, "text/html", {"Server": "nginx/1.24.0"})
    elif fault is Fault.HTML_200:
        h._send(200, DASHBOARD_HTML, HTML)
    elif fault is Fault.ROUTE_404:
        h._send(404, invalid_url_body(h.path.partition("?")[0]), json_type)
    elif fault is Fault.SERVER_500:
        if relay:
            relay_error(h, 500, "upstream error: do request failed")
        else:
            native_error(h, 500, 5000, "Internal server error")
    elif fault is Fault.INVALID_JSON:
        h._send(200, b'{"code": 0, "data": {', json_type)
    elif fault is Fault.EMPTY:
        h._send(200, b"", json_type)
    elif fault is Fault.TRUNCATED:
        body = sim._normal_body(route)
        h.close_connection = True
        cut = body[: max(1, len(body) // 2)]
        with contextlib.suppress(OSError):
            h.wfile.write(h._head(200, json_type, len(body), {}) + cut)
    elif fault is Fault.DRIP:
        drip(sim, h, sim._normal_body(route), json_type)
    elif fault is Fault.DROP:
        h.close_connection = True  # nothing written: the client sees the socket close
    elif fault is Fault.GZIP_BOMB:
        h._send(200, gzip_bomb_body(), json_type, {"Content-Encoding": "gzip"})
    elif fault is Fault.HUGE:
        rest = sim._normal_body(route)[1:]
        h._send_parts(200, (b'{"padding":"', huge_padding(), b'",' + rest), json_type)
    elif fault is Fault.REDIRECT_C1:
        # (httpx refuses a raw ESC there with a message of its own; C1 and up it passes)
        where = f"{sim.base_url}/moved/\x9b2J\x9d52;c;eA==\x9c\u202egnp\u200b\U000e0041"
        # header text goes out as latin-1: send the UTF-8 bytes, as a real server would
        h._send(302, b"", None, {"Location": where.encode().decode("latin-1")})
    elif fault is Fault.HOSTILE:
        hostile(sim, h, route)
    elif fault in (Fault.REFLECT_401, Fault.REFLECT_429, Fault.REFLECT_500):
        reflect(sim, h, route, fault)
    else:  # pragma: no cover - SLOW is handled before, every other member above
        raise AssertionError(fault)


def hostile(sim: Simulator, h: Handler, route: Route) -> None:
    """The task's own answer, failed, with HOSTILE_TEXT in every text field."""
    task = sim._lookup(route.ids)
    task_id = task.task_id if task is not None else (route.ids or ("800000000000000000",))[0]
    now = sim.clock()
    fake = SimTask(task_id, route.kind or "text2video", "fail", 0, 0, 5.1, HOSTILE_TEXT, None, now)
    fake.external_task_id = "ext-" + HOSTILE_TEXT
    phase = Phase("failed", 100, now, now)
    if route.relay:
        body = sim._envelope(fake, phase, now, relay=True)
        body["data"]["data"]["data"]["task_status"] = HOSTILE_TEXT  # a stale inner copy
        body["message"] = HOSTILE_TEXT
        h._send(200, dumps(body), JSON_RELAY)
    else:
        h._send(200, dumps(sim._envelope(fake, phase, now, relay=False)), JSON_NATIVE)


def reflect(sim: Simulator, h: Handler, route: Route, fault: Fault) -> None:
    """A careless server that quotes the request's Authorization header in its error."""
    said = h.headers.get("Authorization", "")
    if fault is Fault.REFLECT_401:
        status, code, message = 401, 1000, f"invalid credential {said} {HOSTILE_TEXT}"
    elif fault is Fault.REFLECT_429:
        status, code, message = 429, 1302, f"too many requests with {said} {HOSTILE_TEXT}"
    else:
        status, code, message = 500, 5000, f"upstream failed for {said} {HOSTILE_TEXT}"
    extra = {"Retry-After": f"{sim.retry_after:g}"} if status == 429 else None
    if route.relay:
        relay_error(h, status, message, extra)
    else:
        native_error(h, status, code, message, extra)


def drip(sim: Simulator, h: Handler, body: bytes, content_type: str) -> None:
    """Headers at once, then one body byte per DRIP_INTERVAL until done, gone or stopped."""
    h.close_connection = True
    try:
        h.wfile.write(h._head(200, content_type, len(body), {}))
        for i in range(len(body)):
            if sim._stopping.wait(DRIP_INTERVAL):
                return
            h.wfile.write(body[i : i + 1])
    except OSError:
        return
