"""The one fetcher: every task-status query in kling-tui goes through ``Fetcher.fetch``.

This is the only module that builds URLs and talks HTTP (its client plumbing is in
:mod:`kling_tui.gateway.transport`). It owns the hard parts so no caller has to think about
them again:

* one pooled ``httpx.AsyncClient`` per gateway, with a cap on concurrent requests;
* explicit connect/read timeouts *and* a bound on the whole request (httpx's read timeout
  is per read, so a server dripping bytes would otherwise never time out);
* retries with exponential backoff and jitter on the error types whose policy says so
  (``ErrorPolicy.retried_by_fetcher`` in ``models``: network errors, timeouts, 5xx and 429),
  honouring a short ``Retry-After``; never on a refused connection or an unknown host name
  (nothing listens there; seconds of retries only hid it);
* a cap on the response size that also holds against compressed bodies (a gzip bomb);
* task ids validated and percent-encoded before any request is sent;
* no redirect followed with the token; the token never appears in any message;
* a gateway's credential goes only to that gateway's configured origin, or to an origin the
  operator recorded with ``add --base-url`` (:mod:`kling_tui.gateway.trust`): an address read from
  the watch list alone never receives a token.

Answers are turned into a ``TaskSnapshot`` or a typed ``FetchError`` by ``normalize``.
"""

from __future__ import annotations

import asyncio
import random
import re
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx

from kling_tui.config import ADHOC_GATEWAY, AppConfig, ConfigError, GatewayConfig
from kling_tui.gateway import account, listing
from kling_tui.gateway.auth import Secret
from kling_tui.gateway.body import BodyTooLarge, read_capped
from kling_tui.gateway.ids import InvalidTaskId, percent_encode_id, validate_task_id
from kling_tui.gateway.normalize import ListPage, normalize
from kling_tui.gateway.sanitize import clean_text, redact
from kling_tui.gateway.scrub import body_cannot_leak, scrub_result
from kling_tui.gateway.transport import Answer, BearerAuth, new_client, unreachable
from kling_tui.gateway.trust import TrustedOrigins
from kling_tui.gateway.urls import UrlRuleError, endpoint_url
from kling_tui.kinds import kind_spec
from kling_tui.models import (
    ErrorType,
    FetchError,
    FetchResult,
    WatchEntry,
    utcnow,
)

DEFAULT_MAX_BODY = 2 * 1024 * 1024
"""A task status answer is a few KiB; 2 MiB leaves room for verbose relays."""


_R = TypeVar("_R")
_P = TypeVar("_P", bound="_HasError")


class _HasError(Protocol):
    """A list page or a costs page: ``error`` is set when it failed as a whole."""

    @property
    def error(self) -> FetchError | None: ...


def _error_of(page: _HasError) -> FetchError | None:
    return page.error


CONTENT_PATH = re.compile(r"/v1/videos/[^/?#]+/content")
"""Where a relay serves a result's bytes itself (``{server}/v1/videos/{id}/content``, the
same token as its API): the one kind of download URL that gets the gateway's bearer."""


def _as_error(result: FetchResult) -> FetchError | None:
    return result if isinstance(result, FetchError) else None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How one fetch retries before it hands a failure to the caller (and the scheduler)."""

    base_delay: float = 0.5
    max_delay: float = 4.0
    max_inline_wait: float = 5.0
    """The longest Retry-After one fetch waits out itself (seconds). A longer one is not:
    the error goes back at once to the scheduler, which blocks the whole gateway for that
    long (up to ``models.RETRY_AFTER_CAP``, the most a server may ask)."""


class Fetcher:
    """Queries task status on the configured gateways. Create once, share everywhere."""

    def __init__(
        self,
        config: AppConfig,
        *,
        max_body: int = DEFAULT_MAX_BODY,
        max_list_body: int = listing.DEFAULT_MAX_LIST_BODY,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], object] = asyncio.sleep,
        now: Callable[[], datetime] = utcnow,
        trusted: TrustedOrigins | None = None,
    ) -> None:
        self.config = config
        self.trusted = trusted if trusted is not None else TrustedOrigins()
        """Ad-hoc origins the operator recorded (``add --base-url``): see credential_refusal."""
        self.max_body = max_body
        self.max_list_body = max_list_body
        """The size cap of one list page (500 task objects), see :mod:`listing`."""
        self.retry = retry or RetryPolicy()
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._now = now
        self._clients: dict[tuple[str, str, str], httpx.AsyncClient] = {}
        self._limits: dict[tuple[str, str, str], asyncio.Semaphore] = {}
        self._auths: dict[tuple[str, str, str], BearerAuth] = {}
        self._list_gateways: dict[str, GatewayConfig | None] = {}

    # -- gateways ------------------------------------------------------------------------

    def gateway_for(self, entry: WatchEntry) -> GatewayConfig:
        """The gateway a watched task lives on; a task added with ``--base-url`` keeps its own."""
        if entry.base_url:
            return self.config.adhoc_gateway(entry.gateway, entry.base_url, entry.path_prefix)
        return self.config.gateway(entry.gateway)  # raises ConfigError naming known ones

    def list_gateway(self, name: str) -> GatewayConfig | None:
        """The configured gateway ``name`` when list-based refresh may run on it (native,
        ``list_refresh`` not off: :func:`listing.lists_tasks`), else None. Never a relay."""
        if name not in self._list_gateways:
            gateway = self.config.gateways.get(name)
            ok = gateway is not None and listing.lists_tasks(gateway)
            self._list_gateways[name] = gateway if ok else None
        return self._list_gateways[name]

    def url_for(
        self, gateway: GatewayConfig, kind: str, task_id: str, *, external: bool = False
    ) -> str:
        """The status URL. The id is validated and percent-encoded into one path segment.

        An ``external`` id (the caller's ``external_task_id``) goes where the gateway's
        ``external_id`` setting says: in the path like a task id (``path``) or as
        ``?external_task_id=ID`` on the kind's path (``query``), encoded the same way.
        """
        clean = validate_task_id(task_id)
        if clean != task_id:  # callers strip pasted ids; here surrounding blanks are a bug
            raise InvalidTaskId(task_id, "has surrounding whitespace")
        spec = kind_spec(kind)
        if spec is None:  # kinds come checked from the store and argv: this is a bug
            raise ValueError(f"unknown task kind {kind!r}")
        endpoint = endpoint_url(gateway.base_url, gateway.path_prefix, spec.path)
        if external and gateway.external_id == "query":
            return f"{endpoint}?external_task_id={percent_encode_id(clean)}"
        return f"{endpoint}/{percent_encode_id(clean)}"

    def credential_refusal(
        self, gateway: GatewayConfig, task_id: str, kind: str, *, external: bool = False
    ) -> str | None:
        """Why ``gateway``'s credential must not be sent to its ``base_url``, or ``None``.

        The one rule for where a token goes: to the origin (scheme, host, port) of the
        configured gateway of that name (config file, or ``--base-url`` on this command
        line), or to an origin recorded for that name by ``add --base-url`` on this machine.
        A watch-list entry's own ``base_url`` is input: on its own it earns no token.
        """
        if gateway.credential is None:
            return None
        origin = gateway.origin
        configured = self.config.gateways.get(gateway.name)
        if configured is not None and configured.origin == origin:
            return None
        if self.trusted.allows(gateway.name, origin):
            return None
        named = "" if gateway.name == ADHOC_GATEWAY else f" --gateway {gateway.name}"
        why = f" ({self.trusted.problem})" if self.trusted.problem else ""
        return (
            f"the token for gateway {gateway.name} is not sent to {origin}: that address "
            f"comes from the watch list, is not the gateway's configured base_url and was not "
            f"added with --base-url on this machine{why}. If you trust it, run: kling-tui "
            f"add{named} --base-url {origin} --kind {kind}"
            f"{' --external' if external else ''} {task_id}"
        )

    def download_auth(self, entry: WatchEntry, url: str) -> httpx.Auth | None:
        """The bearer to fetch ``url``'s bytes with, or None (the usual case: a CDN).

        The credential rule of :meth:`credential_refusal`, narrowed: only a URL on the
        gateway's own origin (scheme, host, port) whose path is the relay's content path
        (:data:`CONTENT_PATH`) gets it. A download asks again at every redirect hop, so a
        redirect to another origin (or another path) goes without it.
        """
        try:
            gateway = self.gateway_for(entry)
        except ConfigError:
            return None
        if gateway.credential is None:
            return None
        try:
            parts = urlsplit(url)
            host = parts.netloc.rpartition("@")[2].lower()
        except ValueError:
            return None
        if f"{parts.scheme.lower()}://{host}" != gateway.origin:
            return None
        if not CONTENT_PATH.fullmatch(parts.path):
            return None
        if self.credential_refusal(gateway, entry.task_id, entry.kind, external=entry.external):
            return None
        key = (gateway.name, gateway.base_url, gateway.path_prefix)
        auth = self._auths.get(key)
        if auth is None:
            auth = self._auths[key] = BearerAuth(gateway.credential)
        return auth

    def _client(self, gateway: GatewayConfig) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        key = (gateway.name, gateway.base_url, gateway.path_prefix)
        client = self._clients.get(key)
        if client is None or client.is_closed:
            limit = max(1, gateway.max_concurrency)
            auth = BearerAuth(gateway.credential) if gateway.credential else None
            client = new_client(gateway, auth)
            self._clients[key] = client
            if auth is not None:
                self._auths[key] = auth
            self._limits[key] = asyncio.Semaphore(limit)
        return client, self._limits[key]

    async def aclose(self) -> None:
        """Close every pooled connection."""
        clients, self._clients = list(self._clients.values()), {}
        self._limits = {}
        self._auths = {}
        for client in clients:
            await client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- fetching ------------------------------------------------------------------------

    async def fetch(self, entry: WatchEntry) -> FetchResult:
        """Fetch one watched task. Never raises for anything the network or server does."""
        try:
            gateway = self.gateway_for(entry)
        except ConfigError as exc:  # an unknown gateway name in a hand-edited watch list
            return FetchError(
                ErrorType.BAD_RESPONSE,
                f"cannot query {clean_text(entry.task_id, 256)}: {exc}",
                at=self._now(),
            )
        return await self.fetch_id(entry.task_id, entry.kind, gateway, external=entry.external)

    async def fetch_id(
        self,
        task_id: str,
        kind: str,
        gateway: GatewayConfig,
        *,
        timeout: float | None = None,
        external: bool = False,
    ) -> FetchResult:
        """Fetch one task by id on one gateway, retrying what a retry can fix.

        ``timeout`` bounds the whole call, retries included (the ``status --timeout`` flag);
        without it each attempt is bounded by the gateway's timeout. Whatever comes back has
        every secret of the gateway redacted (:meth:`_scrub`).
        """
        result = await self._fetch_id(task_id, kind, gateway, timeout, external)
        return self._scrub(result, gateway)

    async def _fetch_id(
        self,
        task_id: str,
        kind: str,
        gateway: GatewayConfig,
        timeout: float | None,
        external: bool = False,
    ) -> FetchResult:
        try:
            url = self.url_for(gateway, kind, task_id, external=external)
        except InvalidTaskId as exc:
            return FetchError(ErrorType.INVALID_ID, str(exc), at=self._now())
        except UrlRuleError as exc:
            return self._bad_url(gateway, f"cannot query {task_id}", exc)
        refused = self._refusal(gateway, task_id, kind, external=external)
        if refused is not None:
            return refused
        attempts: list[FetchResult] = []

        def attempt() -> Awaitable[tuple[FetchResult, bool]]:
            return self._attempt(url, task_id, kind, gateway)

        return await self._bounded(gateway, attempt, _as_error, attempts, timeout)

    # A list page and the account's packs: the same client, origin rule, retries, cap and
    # redaction as a task query; one home each (their modules), called as methods.
    fetch_page = listing.fetch_page
    fetch_costs = account.fetch_costs

    def _bad_url(self, gateway: GatewayConfig, what: str, exc: UrlRuleError) -> FetchError:
        return FetchError(
            ErrorType.BAD_RESPONSE,
            f"{what}: gateway {gateway.name}'s base_url or path_prefix "
            f"is not valid: expected {exc.expected}",
            at=self._now(),
        )

    def _refusal(
        self, gateway: GatewayConfig, task_id: str, kind: str, *, external: bool = False
    ) -> FetchError | None:
        """The error to answer instead of sending anything: no token, or not to this origin."""
        refused = self.credential_refusal(gateway, task_id, kind, external=external)
        if refused is not None:
            return FetchError(ErrorType.AUTH, refused, at=self._now())
        if gateway.credential is None:
            return FetchError(
                ErrorType.AUTH,
                f"no token for {gateway.origin}: set {gateway.credential_hint}",
                at=self._now(),
            )
        return None

    async def _bounded(
        self,
        gateway: GatewayConfig,
        attempt: Callable[[], Awaitable[tuple[_R, bool]]],
        error_of: Callable[[_R], FetchError | None],
        attempts: list[_R],
        timeout: float | None,
    ) -> _R | FetchError:
        """:meth:`_with_retries`, the whole of it bounded by ``timeout`` when one is given."""
        try:
            if timeout is None:
                return await self._with_retries(gateway, attempt, error_of, attempts)
            async with asyncio.timeout(timeout):
                return await self._with_retries(gateway, attempt, error_of, attempts)
        except TimeoutError:
            if attempts:  # out of time while backing off: the real cause is the last answer
                return attempts[-1]
            return FetchError(
                ErrorType.TIMEOUT,
                f"no answer from {gateway.origin} within {timeout:g} s",
                at=self._now(),
            )

    async def _with_retries(
        self,
        gateway: GatewayConfig,
        attempt: Callable[[], Awaitable[tuple[_R, bool]]],
        error_of: Callable[[_R], FetchError | None],
        attempts: list[_R],
    ) -> _R:
        """Retry what a retry can fix; every attempt's result is appended to ``attempts``.

        One loop for a task query and a list page: ``error_of`` says whether (and why) an
        attempt's result failed.
        """
        tries = max(0, gateway.max_retries) + 1
        for n in range(tries):
            result, retry = await attempt()
            attempts.append(result)
            error = error_of(result)
            if not retry or error is None:
                return result
            if not error.type.policy.retried_by_fetcher:
                return result
            if n == tries - 1:
                break
            delay = min(self.retry.max_delay, self.retry.base_delay * 2**n)
            delay *= 0.5 + self._rng.random()  # jitter around the exponential step
            if error.retry_after is not None:
                if error.retry_after > self.retry.max_inline_wait:
                    return result  # the scheduler blocks the gateway for that long
                delay = max(delay, error.retry_after)
            await self._sleep(delay)
        return attempts[-1]

    async def _attempt(
        self, url: str, task_id: str, kind: str, gateway: GatewayConfig
    ) -> tuple[FetchResult, bool]:
        """One request; the flag is False when a retry cannot help (see ``unreachable``)."""
        got = await self._exchange(url, gateway, self.max_body)
        if not isinstance(got, Answer):
            return got
        return self._read(normalize, got, gateway, task_id=task_id, kind=kind), True

    def _read(
        self,
        reader: Callable[..., _R],
        got: Answer,
        gateway: GatewayConfig,
        *,
        hint: str | None = None,
        **fields: Any,
    ) -> _R:
        """``reader`` (a normalizer) on an answer: what every answer is read with (its
        gateway's origin, the credential ``hint`` to name, the time) plus ``fields``."""
        return reader(
            got.status,
            got.headers,
            got.body,
            origin=gateway.origin,
            credential_hint=gateway.credential_hint if hint is None else hint,
            now=self._now(),
            **fields,
        )

    async def _page(
        self,
        gateway: GatewayConfig,
        attempt: Callable[[], Awaitable[tuple[_P, bool]]],
        timeout: float | None,
    ) -> _P | FetchError:
        """:meth:`_bounded` for an answer that says itself whether it failed (``error``)."""
        attempts: list[_P] = []
        return await self._bounded(gateway, attempt, _error_of, attempts, timeout)

    async def _exchange(
        self, url: str, gateway: GatewayConfig, max_body: int, *, auth: httpx.Auth | None = None
    ) -> Answer | tuple[FetchError, bool]:
        """One GET with the gateway's client, bounded in time and size; a redirect is an
        error. The flag of an error is False when a retry cannot help (``unreachable``).
        ``auth`` replaces the gateway's bearer for this request (the relay's task log is read
        with the user's access token, :mod:`kling_tui.gateway.tasklog`)."""
        client, limit = self._client(gateway)
        origin = gateway.origin
        how = {} if auth is None else {"auth": auth}
        async with limit:
            try:
                async with asyncio.timeout(gateway.timeout):
                    async with client.stream("GET", url, **how) as response:
                        body = await read_capped(response, max_body)
                        status, headers = response.status_code, response.headers
            except BodyTooLarge:
                return FetchError(
                    ErrorType.BAD_RESPONSE,
                    f"{origin} sent an answer larger than {max_body // 1024} KiB: refused",
                    at=self._now(),
                ), True
            except (TimeoutError, httpx.TimeoutException):
                return FetchError(
                    ErrorType.TIMEOUT,
                    f"no answer from {origin} within {gateway.timeout:g} s",
                    at=self._now(),
                ), True
            except httpx.HTTPError as exc:
                why = unreachable(exc)
                return FetchError(
                    ErrorType.NETWORK,
                    f"cannot reach {origin}: {why or self._describe(exc, gateway)}",
                    at=self._now(),
                ), why is None
            except (OSError, ValueError, zlib.error) as exc:
                why = unreachable(exc)
                return FetchError(
                    ErrorType.NETWORK if isinstance(exc, OSError) else ErrorType.BAD_RESPONSE,
                    f"{origin}: {why or self._describe(exc, gateway)}",
                    at=self._now(),
                ), why is None
        if 300 <= status < 400:
            # the Location is server text like any other: escaped, and capped
            where = clean_text(self._redact(headers.get("location", "?"), gateway), 200)
            return FetchError(
                ErrorType.BAD_RESPONSE,
                f"{origin} redirected ({status}) to {where}: redirects are not followed with "
                "your token; set base_url to the final address",
                status_code=status,
                at=self._now(),
            ), True
        return Answer(status, headers, body)

    # -- messages ------------------------------------------------------------------------

    def _describe(self, exc: BaseException, gateway: GatewayConfig) -> str:
        text = str(exc) or type(exc).__name__
        said = f"{type(exc).__name__}: {text}" if str(exc) else text
        return clean_text(self._redact(said, gateway), 300)  # may quote what the server sent

    def _secrets(self, gateway: GatewayConfig) -> list[str]:
        """Every value of this gateway's credentials that must never be shown or stored:
        static token, access and secret keys, the JWTs sent, the task log's access token
        (longest first)."""
        found: list[Secret] = []
        for credential in (gateway.credential, gateway.task_log_token):
            if credential is None:
                continue
            try:
                listed = getattr(credential, "secrets", None)
                if callable(listed):
                    found.extend(listed())
                found.append(credential.bearer())
            except Exception:  # a credential that cannot sign has nothing to leak
                pass
        if not found:
            return []
        auth = self._auths.get((gateway.name, gateway.base_url, gateway.path_prefix))
        if auth is not None:
            found.extend(auth.sent)
        return sorted({s.reveal() for s in found}, key=len, reverse=True)

    def _redact(self, text: str, gateway: GatewayConfig) -> str:
        """No secret leaves this module inside a message (used before a message is capped)."""
        secrets = self._secrets(gateway)
        return redact(text, secrets) if secrets else text

    def _scrub_error(self, error: FetchError, gateway: GatewayConfig) -> FetchError:
        scrubbed = self._scrub(error, gateway)
        assert isinstance(scrubbed, FetchError)
        return scrubbed

    def _scrub_page(
        self, page: ListPage, gateway: GatewayConfig, body: bytes | None = None
    ) -> ListPage:
        """:meth:`_scrub` for every snapshot of a list page, and its error. ``body``: the
        page's answer, when known: a body that cannot hold a secret
        (:func:`~kling_tui.gateway.scrub.body_cannot_leak`) spares the 500 scans."""
        secrets = self._secrets(gateway)
        if not secrets:
            return page
        if page.error is None and body is not None and body_cannot_leak(body, secrets):
            return page
        snapshots = tuple(self._scrub(s, gateway, secrets) for s in page.snapshots)
        error = None if page.error is None else self._scrub_error(page.error, gateway)
        return replace(page, snapshots=snapshots, error=error)  # type: ignore[arg-type]

    def _scrub(
        self, result: FetchResult, gateway: GatewayConfig, secrets: list[str] | None = None
    ) -> FetchResult:
        """The gateway's secrets out of one result (:func:`scrub.scrub_result`). ``secrets``:
        the gateway's, when the caller has them already (once per list page)."""
        return scrub_result(result, self._secrets(gateway) if secrets is None else secrets)
