"""Read the gateway's own lists: every task of the chosen kinds, and the relay's task log.

``kling-tui import`` without a file, and the dashboard's ``I`` key, call :func:`harvest`. It
walks each kind's native list endpoint (one per kind, ``pageSize`` 500, newest first) until
a short page, ``--since`` or ``--limit``, and on a new-api relay configured with
``task_log = true`` the user's task log (``/api/task/self``, paged). Every page goes through
the one fetcher (:mod:`kling_tui.gateway.listing`, :mod:`kling_tui.gateway.tasklog`) and the
one normalizer, so what comes back is the snapshots a single query would have given.

A page that fails is reported and the walk goes on with the next kind. A rate limit is
honoured: the fetcher waits out a short Retry-After itself; a longer one is waited here
(up to ``RETRY_AFTER_CAP``), once per page, before that kind is given up, and every other
kind's walk waits with it (the limit is the account's).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from kling_tui.config import AppConfig, GatewayConfig
from kling_tui.gateway.listing import is_native
from kling_tui.gateway.normalize import MAX_PAGE_ITEMS, ListPage
from kling_tui.kinds import KIND_SPECS
from kling_tui.models import RETRY_AFTER_CAP, ErrorType, TaskSnapshot

if TYPE_CHECKING:
    from kling_tui.gateway.fetcher import Fetcher

__all__ = [
    "Harvest",
    "NothingToList",
    "OnPage",
    "choose_kinds",
    "default_kinds",
    "gateway_to_import",
    "harvest",
]

MAX_PAGES = 1000
"""The native API's last ``pageNum``."""

Progress = Callable[[str], None]
Ahead = Callable[[], Awaitable[object]]
"""Called by the fetcher when a page is known to be full, before its items are read."""
OnPage = Callable[[int, Sequence[TaskSnapshot]], object]
"""Called with each page's tasks as the walk keeps them: the source (the kinds' positions as
given, the task log after them) and the tasks."""


@dataclass(slots=True)
class Harvest:
    """What the walk found: snapshots newest first per source, failed pages (one line
    each), and how many pages were asked for."""

    snapshots: list[TaskSnapshot] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    pages: int = 0
    unreadable: int = 0
    """Listed items that could not be read (no valid task id or status): skipped, counted."""


def default_kinds(gateway: GatewayConfig) -> list[str]:
    """The kinds listed when none is named: every kind on the native API; none on a relay
    (it has no list endpoints: its task log is read instead, when configured)."""
    if is_native(gateway):
        return [k.value for k in KIND_SPECS]
    return []


def gateway_to_import(config: AppConfig) -> GatewayConfig:
    """The gateway the dashboard's ``I`` reads: the default one when it has something to
    list (the native API, or a relay with its task log), else the first that has; else the
    default one (whose import then says what to configure)."""
    default = config.gateway()
    if default_kinds(default) or default.task_log:
        return default
    for gateway in config.gateways.values():
        if default_kinds(gateway) or gateway.task_log:
            return gateway
    return default


class NothingToList(ValueError):
    """A relay without a task log and no kind named: nothing to read (the message says how)."""


def choose_kinds(
    gateway: GatewayConfig, kinds: Sequence[str] | None = None, all_kinds: bool = False
) -> list[str]:
    """The kinds to list: those named, every kind, or the gateway's :func:`default_kinds`.
    Raises :class:`NothingToList` for a relay with neither a kind named nor a task log."""
    if all_kinds:
        return [k.value for k in KIND_SPECS]
    if kinds:
        return list(dict.fromkeys(kinds))
    found = default_kinds(gateway)
    if not found and not gateway.task_log:
        raise NothingToList(
            f"gateway {gateway.name} is a relay (path_prefix {gateway.path_prefix}): relays "
            "have no list endpoints. Set task_log = true with access_token_env and user_id "
            "in its config table to import from its task log, or name --kind to try anyway"
        )
    return found


KINDS_AT_ONCE = 4
"""Kinds walked side by side (each kind's pages in order): one kind's page is read while
another's is on the wire. At most the gateway's ``max_concurrency``."""


class _Cooldown:
    """A long rate limit met by one walk holds every walk of the import: the limit is the
    account's, and the other kinds' pages sent meanwhile would only meet it too (and may
    prolong it). Two walks limited at once share one pause."""

    def __init__(self, sleep: Callable[[float], Awaitable[object]]) -> None:
        self._sleep = sleep
        self._pause: asyncio.Future[object] | None = None

    async def wait(self) -> None:
        """Return once no pause is running."""
        while self._pause is not None and not self._pause.done():
            await asyncio.shield(self._pause)

    async def pause(self, seconds: float) -> None:
        """Pause every walk for ``seconds`` (or join the pause already running)."""
        if self._pause is None or self._pause.done():
            self._pause = asyncio.ensure_future(self._sleep(seconds))
        await asyncio.shield(self._pause)


class _Walk:
    """One source's walk (a kind's list, or the task log): its tasks, failures and pages."""

    def __init__(
        self,
        what: str,
        since: datetime | None,
        limit: int | None,
        progress: Progress,
        cooldown: _Cooldown,
        on_page: Callable[[Sequence[TaskSnapshot]], object] | None = None,
    ) -> None:
        self.what = what
        self.on_page = on_page
        self.since = since
        self.limit = limit
        self.progress = progress
        self.cooldown = cooldown
        self.out = Harvest()

    @property
    def full(self) -> bool:
        return self.limit is not None and len(self.out.snapshots) >= self.limit

    def take(self, snapshots: Sequence[TaskSnapshot]) -> bool:
        """Keep the page's tasks created since ``since``; False once past it (or the limit)."""
        if self.since is None and self.limit is None:  # every task: no test per task
            self.out.snapshots.extend(snapshots)
            return True
        for snap in snapshots:
            if self.full:
                return False
            if self.since is not None and snap.created_at is not None:
                if snap.created_at < self.since:
                    return False  # newest first: every task after this one is older
            self.out.snapshots.append(snap)
        return not self.full

    async def page(self, n: int, get: Callable[[int], Awaitable[ListPage]]) -> ListPage:
        """One page, with one more try after a long rate limit. Each request is counted as
        it is sent (a page asked for ahead and then not needed was sent all the same); a
        failure is recorded by :meth:`run`, once the walk reaches the page."""
        what = self.what
        self.progress(f"importing {what} page {n}...")
        for waited in (False, True):
            await self.cooldown.wait()
            self.out.pages += 1
            page = await get(n)
            error = page.error
            if error is None:
                self.out.unreadable += page.unreadable
                return page
            if error.type is ErrorType.RATE_LIMITED and not waited:
                pause = min(error.retry_after or 1.0, RETRY_AFTER_CAP)
                self.progress(f"rate limited on {what} page {n}: waiting {pause:g} s...")
                await self.cooldown.pause(pause)
                continue
            break
        return page

    async def run(self, get: Callable[[int, Ahead | None], Awaitable[ListPage]]) -> Harvest:
        """Pages 1, 2, ... until a short page, a failure, ``since`` or the limit.

        Pipelined: once a page is known to be full (its envelope read, its items not yet),
        the next page is asked for, so the server prepares it while this process reads the
        items (the costly part). At most one page past the end is asked for (after a full
        last page, or when ``since`` or the limit stops the walk); a short page asks for
        none, so a kind with few tasks costs one request.
        """
        started: dict[int, asyncio.Task[ListPage]] = {}
        seen: set[str] = set()

        def fetch(n: int) -> Awaitable[ListPage]:
            async def next_page() -> None:
                if n < MAX_PAGES and not self.full and n + 1 not in started:
                    started[n + 1] = asyncio.ensure_future(fetch(n + 1))
                    await asyncio.sleep(0)  # let it put its request on the wire first

            return self.page(n, lambda m: get(m, next_page))

        try:
            for n in range(1, MAX_PAGES + 1):
                ahead = started.pop(n, None)
                page = await (ahead if ahead is not None else fetch(n))
                if page.error is not None:
                    self.out.failures.append(f"{self.what} page {n}: {page.error.message}")
                    break
                fresh = [s for s in page.snapshots if s.task_id not in seen]
                if page.snapshots and not fresh:
                    # A server that ignores pageNum answers page 1 again and again: 1,000
                    # requests of the same 500 tasks. Newest first, a page of only tasks
                    # seen already has nothing older behind it that this walk could reach.
                    self.out.failures.append(
                        f"{self.what} page {n}: only tasks of earlier pages again (does the "
                        "gateway ignore pageNum?): stopped there"
                    )
                    break
                seen.update(s.task_id for s in fresh)
                kept = len(self.out.snapshots)
                more = self.take(fresh)
                if self.on_page is not None and len(self.out.snapshots) > kept:
                    self.on_page(self.out.snapshots[kept:])  # while the next page is sent
                if not more or not page.full:
                    break
        finally:
            for task in started.values():  # a page asked for ahead and not needed
                task.cancel()
            if started:
                await asyncio.gather(*started.values(), return_exceptions=True)
        return self.out


async def harvest(
    fetcher: Fetcher,
    gateway: GatewayConfig,
    *,
    kinds: Sequence[str],
    task_log: bool,
    since: datetime | None = None,
    limit: int | None = None,
    progress: Progress = lambda _: None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    raw: bool = True,
    on_page: OnPage | None = None,
) -> Harvest:
    """Walk the lists of ``kinds`` on ``gateway`` (and its task log when ``task_log``).

    The result is in a fixed order whatever finished first: the kinds as given (each newest
    first), then the task log; ``limit`` keeps the first that many. ``raw=False``: the
    listed snapshots keep no raw text (:func:`~kling_tui.gateway.listing.fetch_page`).

    ``on_page(source, tasks)`` is told each page's tasks as they are kept (pages of several
    sources interleave), so a caller works on page N while page N+1 is on the wire. Each
    walk's own ``limit`` cut is applied first, the overall one only to the result: a caller
    with a ``limit`` and several sources should work on the result instead.
    """
    gate = asyncio.Semaphore(max(1, min(KINDS_AT_ONCE, gateway.max_concurrency)))
    cooldown = _Cooldown(sleep)

    # Only said when off: a lister that keeps raw text need not know the parameter.
    no_raw: dict[str, bool] = {} if raw else {"raw": False}

    def told(source: int) -> Callable[[Sequence[TaskSnapshot]], object] | None:
        return None if on_page is None else lambda tasks: on_page(source, tasks)

    async def walk_kind(source: int, kind: str) -> Harvest:
        def get(n: int, ahead: Ahead | None) -> Awaitable[ListPage]:
            return fetcher.fetch_page(
                gateway, kind, page_num=n, page_size=MAX_PAGE_ITEMS, ahead=ahead, **no_raw
            )

        async with gate:
            return await _Walk(kind, since, limit, progress, cooldown, told(source)).run(get)

    parts = list(await asyncio.gather(*(walk_kind(i, k) for i, k in enumerate(kinds))))
    if task_log:
        from kling_tui.gateway.tasklog import TASK_LOG_PAGE_SIZE, fetch_task_log_page

        def get_log(n: int, ahead: Ahead | None) -> Awaitable[ListPage]:
            return fetch_task_log_page(
                fetcher, gateway, page=n, page_size=TASK_LOG_PAGE_SIZE, since=since
            )

        walk = _Walk("task log", since, limit, progress, cooldown, told(len(kinds)))
        parts.append(await walk.run(get_log))
    out = Harvest()
    for part in parts:
        out.snapshots.extend(part.snapshots)
        out.failures.extend(part.failures)
        out.pages += part.pages
        out.unreadable += part.unreadable
    if limit is not None:
        del out.snapshots[limit:]
    return out
