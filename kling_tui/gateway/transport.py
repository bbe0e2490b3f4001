"""HTTP plumbing of the fetcher: how a gateway's client is built and what its answers are.

Split from :mod:`kling_tui.gateway.fetcher` (which decides what to ask and how to read the
answer) so the rules every request keeps sit together: TLS verified (and no CA bundle loaded
for a plain ``http`` gateway), no redirect followed, an uncompressed body (so the size cap
holds), the bearer set only at send time, and which failures a retry cannot help.
"""

from __future__ import annotations

import socket
import ssl
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass

import httpx

from kling_tui import __version__
from kling_tui.config import GatewayConfig
from kling_tui.gateway.auth import Credential, Secret


@dataclass(frozen=True, slots=True)
class Answer:
    """A response read within the caps, not yet normalized."""

    status: int
    headers: httpx.Headers
    body: bytes


def unreachable(exc: BaseException) -> str | None:
    """Why a retry cannot help: a refused connection or a failed name lookup anywhere in
    the exception's chain (None: anything else).

    Retrying within one fetch cannot help (no server listens; the name does not resolve)
    and only delays the report; the scheduler still polls again later, with backoff.
    Timeouts, resets and 5xx are not this: those are retried as before.
    """
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, ConnectionRefusedError):
            return "connection refused (is the server running, is the port right?)"
        if isinstance(cur, socket.gaierror):
            return f"host name not found ({cur.strerror or cur})"
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return None


class BearerAuth(httpx.Auth):
    """Sets the bearer header at send time so the token never sits in a plain local.

    Textual's crash screen prints local variables; a ``Secret`` prints as ``***``.
    """

    def __init__(self, credential: Credential) -> None:
        self._credential = credential
        self.sent: deque[Secret] = deque(maxlen=4)
        """The last bearers sent (a JWT is re-signed): what an answer may quote back."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        bearer = self._credential.bearer()
        if bearer not in self.sent:
            self.sent.append(bearer)
        request.headers["Authorization"] = "Bearer " + bearer.reveal()
        yield request


def tls_for(gateway: GatewayConfig) -> ssl.SSLContext | bool:
    """How a gateway's client verifies TLS: the system's CA bundle for an ``https``
    gateway (httpx's default); for a plain ``http`` one, which its client never speaks TLS
    to (every request goes to the gateway's own origin, redirects are refused), a context
    that verifies but trusts no CA: loading the bundle costs ~20 ms of every ``import``,
    ``watch --once`` and start, and a TLS handshake through it could only fail, never pass
    unverified."""
    if gateway.origin.startswith("http://"):
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname, CERT_REQUIRED
    return True


def new_client(gateway: GatewayConfig, auth: httpx.Auth | None) -> httpx.AsyncClient:
    """A pooled client for one gateway: its timeouts and concurrency, redirects refused."""
    limit = max(1, gateway.max_concurrency)
    return httpx.AsyncClient(
        verify=tls_for(gateway),
        timeout=httpx.Timeout(
            gateway.timeout,
            connect=gateway.connect_timeout,
            pool=gateway.timeout,
        ),
        limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit),
        follow_redirects=False,
        headers={
            "Accept": "application/json",
            # Identity keeps the size cap honest: we never inflate a body we did not ask to
            # be compressed (a server that compresses anyway is inflated with a bounded
            # decompressor, :mod:`kling_tui.gateway.body`).
            "Accept-Encoding": "identity",
            "User-Agent": f"kling-tui/{__version__}",
        },
        auth=auth,
    )
