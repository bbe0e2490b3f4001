"""The account's resource packs (``GET {base_url}/account/costs``) through the one fetcher.

Native gateways only (prefix ``/v1``: a relay has no account endpoint). The same client,
credential-origin rule, retries by the error policy, body cap and redaction as a task query
(:meth:`Fetcher.fetch_costs` calls :func:`fetch_costs`); the answer is read by
:func:`kling_tui.gateway.costs.normalize_costs`. How often it is asked is the caller's
business (:class:`kling_tui.costs.PackCache`: once a minute at most).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from kling_tui.config import GatewayConfig
from kling_tui.gateway import listing
from kling_tui.gateway.costs import COSTS_PATH, CostsPage, costs_query, normalize_costs
from kling_tui.gateway.urls import UrlRuleError, check_base_url
from kling_tui.models import ErrorType, FetchError

if TYPE_CHECKING:
    from kling_tui.gateway.fetcher import Fetcher

__all__ = ["COSTS_BODY_CAP", "PACK_WINDOW", "costs_url", "fetch_costs"]

COSTS_BODY_CAP = 256 * 1024
"""An account answer lists a handful of packs: a few KiB."""
PACK_WINDOW = timedelta(days=365)
"""Packs bought within this window before now are asked for."""


def costs_url(gateway: GatewayConfig, start: datetime, end: datetime) -> str:
    """``{base_url}/account/costs?start_time=MS&end_time=MS`` (no path prefix: not ``/v1``)."""
    return f"{check_base_url(gateway.base_url)}{COSTS_PATH}{costs_query(start, end)}"


async def fetch_costs(
    fetcher: Fetcher, gateway: GatewayConfig, *, timeout: float | None = None
) -> CostsPage:
    """Fetch and read the gateway's packs; never raises for what the network or server does."""

    def failed(error: FetchError) -> CostsPage:
        return CostsPage(error=fetcher._scrub_error(error, gateway))

    now = fetcher._now()
    if not listing.is_native(gateway):
        return failed(
            FetchError(
                ErrorType.BAD_RESPONSE,
                f"gateway {gateway.name} is a relay: only the native API (/v1) has packs",
                at=now,
            )
        )
    try:
        url = costs_url(gateway, now - PACK_WINDOW, now)
    except UrlRuleError as exc:
        return failed(fetcher._bad_url(gateway, "cannot read the account's packs", exc))
    refused = fetcher._refusal(gateway, "TASK_ID", "text2video")
    if refused is not None:
        return failed(refused)

    async def attempt() -> tuple[CostsPage, bool]:
        got = await fetcher._exchange(url, gateway, COSTS_BODY_CAP)
        if isinstance(got, tuple):
            error, retry = got
            return CostsPage(error=error), retry
        return fetcher._read(normalize_costs, got, gateway), True

    result = await fetcher._page(gateway, attempt, timeout)
    if isinstance(result, FetchError):
        return failed(result)
    if result.error is not None:
        return failed(result.error)
    secrets = fetcher._secrets(gateway)
    if not secrets:
        return result
    return _scrubbed(result, fetcher, gateway)


def _scrubbed(page: CostsPage, fetcher: Fetcher, gateway: GatewayConfig) -> CostsPage:
    """The gateway's secrets out of every pack's texts (a pack name is server text)."""
    from dataclasses import replace

    def clean(text: str) -> str:
        return fetcher._redact(text, gateway)

    packs = tuple(
        replace(p, name=clean(p.name), pack_id=clean(p.pack_id), status=clean(p.status))
        for p in page.packs
    )
    return replace(page, packs=packs)
