"""One page of a new-api relay's task log, through the one fetcher and the one normalizer.

The open-source relay (new-api) has no list endpoints, but it keeps the user's own tasks:
``GET {base_url}/api/task/self?p=N&page_size=S`` (see the API README, "The open-source relay"),
newest first, each a relay record like the one its status query answers. It is read with the
user's *access token* (from the relay's web console, not the API key) and, on current
versions, the ``New-Api-User`` header naming the user's id. A gateway opts in with
``task_log = true`` plus ``access_token_env`` (or ``access_token``) and ``user_id``.

Both go only to the gateway's own configured origin, like its API key (never to an address
from the watch list), and both are redacted from whatever comes back.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import httpx

from kling_tui.config import GatewayConfig
from kling_tui.gateway.normalize import ListPage, normalize_task_log
from kling_tui.gateway.urls import UrlRuleError, check_base_url
from kling_tui.models import ErrorType, FetchError

if TYPE_CHECKING:
    from kling_tui.gateway.fetcher import Fetcher

__all__ = ["TASK_LOG_KIND", "TASK_LOG_PAGE_SIZE", "TASK_LOG_PATH", "fetch_task_log_page"]

TASK_LOG_PATH = "/api/task/self"
TASK_LOG_PAGE_SIZE = 100
"""new-api caps ``page_size`` at 100."""
TASK_LOG_KIND = "task-log"
"""The ``ListPage.kind`` of a task-log page (its tasks carry their own kinds)."""


class _TokenAuth(httpx.Auth):
    """The access token, set at send time (a ``Secret`` prints as ``***`` in tracebacks)."""

    def __init__(self, gateway: GatewayConfig) -> None:
        self._credential = gateway.task_log_token
        self._user = gateway.user_id

    def auth_flow(self, request: httpx.Request):  # -> Generator[Request, Response, None]
        if self._credential is not None:
            request.headers["Authorization"] = "Bearer " + self._credential.bearer().reveal()
        if self._user is not None:
            request.headers["New-Api-User"] = str(self._user)
        yield request


def task_log_url(gateway: GatewayConfig, page: int, page_size: int, since: datetime | None) -> str:
    base = check_base_url(gateway.base_url)
    url = f"{base}{TASK_LOG_PATH}?p={int(page)}&page_size={int(page_size)}"
    if since is not None:
        url += f"&start_timestamp={int(since.timestamp())}"
    return url


def _refusal(fetcher: Fetcher, gateway: GatewayConfig) -> str | None:
    """Why the access token must not be sent, or None."""
    if not gateway.task_log:
        return f"gateway {gateway.name} has no task log configured (task_log = true)"
    configured = fetcher.config.gateways.get(gateway.name)
    if configured is None or configured.origin != gateway.origin:
        return (
            f"the task log of gateway {gateway.name} is read only at its configured base_url, "
            f"not {gateway.origin}"
        )
    if gateway.task_log_token is None:
        return (
            f"no access token for the task log of {gateway.origin}: set "
            f"{gateway.task_log_hint} (the user access token from the relay's console)"
        )
    return None


async def fetch_task_log_page(
    fetcher: Fetcher,
    gateway: GatewayConfig,
    *,
    page: int = 1,
    page_size: int = TASK_LOG_PAGE_SIZE,
    since: datetime | None = None,
    timeout: float | None = None,
) -> ListPage:
    """Fetch and read one task-log page; never raises for what the network or server does."""

    def failed(error: FetchError) -> ListPage:
        return ListPage(TASK_LOG_KIND, page, page_size, error=fetcher._scrub_error(error, gateway))

    try:
        url = task_log_url(gateway, page, page_size, since)
    except UrlRuleError as exc:
        return failed(fetcher._bad_url(gateway, "cannot read the task log", exc))
    refused = _refusal(fetcher, gateway)
    if refused is not None:
        return failed(FetchError(ErrorType.AUTH, refused, at=fetcher._now()))
    auth = _TokenAuth(gateway)

    async def attempt() -> tuple[ListPage, bool]:
        got = await fetcher._exchange(url, gateway, fetcher.max_list_body, auth=auth)
        if isinstance(got, tuple):
            error, retry = got
            return ListPage(TASK_LOG_KIND, page, page_size, error=error), retry
        hint = gateway.task_log_hint
        fields = {"page_num": page, "page_size": page_size}
        return fetcher._read(normalize_task_log, got, gateway, hint=hint, **fields), True

    result = await fetcher._page(gateway, attempt, timeout)
    if isinstance(result, FetchError):
        return failed(result)
    return fetcher._scrub_page(result, gateway)
