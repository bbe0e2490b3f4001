"""One page of a native list endpoint, fetched through the one fetcher and read by the one
normalizer.

The native API lists each kind's tasks, newest first: ``GET {base}{prefix}/{spec.path}?
pageNum=N&pageSize=S`` (pageNum 1-1000, pageSize 1-500; see the API README, "Listing,
results, cost and capacity"); ``data`` is an array of the same task objects a single query
answers. Two features read these pages: ``kling-tui import`` (every task of a kind) and
list-based refresh (many unfinished tasks of one kind kept fresh with a page or two instead
of one request each).

Nothing here talks HTTP itself: :func:`fetch_page` uses the :class:`Fetcher`'s client, origin
rule, retries, size cap and redaction, and :func:`~kling_tui.gateway.normalize.normalize_list`
(in its two steps, :func:`~kling_tui.gateway.normalize.open_list`) to read the answer.

Which gateways list: relays (the open-source new-api and its kin) have no list endpoints; the
native API has. A gateway is **native** when its ``path_prefix`` is the native API's ``/v1``
(:func:`is_native`). List-based refresh runs on native gateways unless the gateway's
``list_refresh = false`` turns it off (:func:`lists_tasks`); it never runs on a relay.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from kling_tui.config import GatewayConfig
from kling_tui.config.names import NATIVE_PREFIX
from kling_tui.gateway.normalize import MAX_PAGE_ITEMS, ListPage, open_list
from kling_tui.gateway.urls import UrlRuleError, check_path_prefix, endpoint_url
from kling_tui.kinds import kind_spec
from kling_tui.models import ErrorType, FetchError

if TYPE_CHECKING:
    from kling_tui.gateway.fetcher import Fetcher

__all__ = [
    "DEFAULT_MAX_LIST_BODY",
    "PAGE_NUM_RANGE",
    "PAGE_SIZE_RANGE",
    "ListPage",
    "fetch_page",
    "is_native",
    "list_url",
    "lists_tasks",
]

PAGE_NUM_RANGE = (1, 1000)
"""The native API's accepted ``pageNum`` (inclusive)."""
PAGE_SIZE_RANGE = (1, MAX_PAGE_ITEMS)
"""The native API's accepted ``pageSize`` (inclusive)."""
DEFAULT_MAX_LIST_BODY = 16 * 1024 * 1024
"""Size cap of one list page: 500 task objects of up to ~32 KiB each (a single answer's cap
is 2 MiB, far more than one task needs; a page needs more than one task)."""


def is_native(gateway: GatewayConfig) -> bool:
    """The native Kling API (prefix ``/v1``), which has list endpoints; relays have none."""
    try:
        return check_path_prefix(gateway.path_prefix) == NATIVE_PREFIX
    except UrlRuleError:
        return False


def lists_tasks(gateway: GatewayConfig) -> bool:
    """Whether list-based refresh may be used on ``gateway``: native, and not switched off
    (``list_refresh = false``). A relay never, whatever its setting says."""
    return is_native(gateway) and gateway.list_refresh is not False


def list_url(gateway: GatewayConfig, kind: str, page_num: int, page_size: int) -> str:
    """The list URL of ``kind`` on ``gateway``. Raises ``ValueError`` for an unknown kind or
    a page number or size outside the API's ranges, ``UrlRuleError`` for a bad gateway."""
    spec = kind_spec(kind)
    if spec is None:
        raise ValueError(f"unknown task kind {kind!r}")
    for name, value, (low, high) in (
        ("pageNum", page_num, PAGE_NUM_RANGE),
        ("pageSize", page_size, PAGE_SIZE_RANGE),
    ):
        if type(value) is not int or not low <= value <= high:
            raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    endpoint = endpoint_url(gateway.base_url, gateway.path_prefix, spec.path)
    return f"{endpoint}?pageNum={page_num}&pageSize={page_size}"


async def fetch_page(
    fetcher: Fetcher,
    gateway: GatewayConfig,
    kind: str,
    *,
    page_num: int = 1,
    page_size: int = MAX_PAGE_ITEMS,
    timeout: float | None = None,
    ahead: Callable[[], Awaitable[object]] | None = None,
    raw: bool = True,
) -> ListPage:
    """Fetch and read one list page. Never raises for anything the network or server does:
    a page that failed as a whole is a :class:`ListPage` with ``error`` set.

    The same path as a single query: the credential only to the gateway's own origin, retries
    by the error policy (a 429 / 1302 with a short Retry-After is waited out, a long one goes
    back to the caller), the size cap (:data:`DEFAULT_MAX_LIST_BODY` unless the fetcher was
    given another), every secret of the gateway redacted from what comes back.

    ``ahead`` is awaited (once) when the answer is a full page, after its envelope is read
    and before its items are: a walk through the pages starts the next one there, so the
    server prepares it while this one is read (:func:`~kling_tui.importing.harvest.harvest`).

    ``raw=False``: the snapshots keep no raw text (``raw`` is None), for a caller whose
    snapshots no raw view will show (``kling-tui import``: the file never holds it).
    """
    told: list[bool] = []
    bodies: list[bytes] = []  # the answer the page was read from (the last attempt's)

    def failed(error: FetchError) -> ListPage:
        return ListPage(kind, page_num, page_size, error=fetcher._scrub_error(error, gateway))

    try:
        url = list_url(gateway, kind, page_num, page_size)
    except UrlRuleError as exc:
        return failed(fetcher._bad_url(gateway, f"cannot list {kind}", exc))
    except ValueError as exc:
        return failed(FetchError(ErrorType.BAD_RESPONSE, f"cannot list: {exc}", at=fetcher._now()))
    refused = fetcher._refusal(gateway, "TASK_ID", kind)
    if refused is not None:
        return failed(refused)

    async def attempt() -> tuple[ListPage, bool]:
        got = await fetcher._exchange(url, gateway, fetcher.max_list_body)
        if isinstance(got, tuple):
            error, retry = got
            return ListPage(kind, page_num, page_size, error=error), retry
        bodies[:] = [got.body]
        fields = {"kind": kind, "page_num": page_num, "page_size": page_size, "raw": raw}
        opened = fetcher._read(open_list, got, gateway, **fields)
        if isinstance(opened, ListPage):
            return opened, True
        if ahead is not None and opened.full and not told:
            told.append(True)
            await ahead()
        return opened.read(), True

    result = await fetcher._page(gateway, attempt, timeout)
    if isinstance(result, FetchError):
        return failed(result)
    return fetcher._scrub_page(result, gateway, bodies[0] if bodies else None)
