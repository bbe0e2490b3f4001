"""The account's resource packs: ``GET /account/costs`` read into plain data.

Part of the one normalizer: the body is read by :func:`normalize._read_payload` (status, HTML,
truncated or garbled JSON, error envelopes with their codes: the same typed errors as a task
query), then ``data.resource_pack_subscribe_infos[]`` item by item; a bad item is skipped and
counted, never fatal. Every server string is cleaned and capped. Never raises.

The request itself goes through the one fetcher (:meth:`Fetcher.fetch_costs`): same client,
origin rule, retries, body cap and redaction as a task query.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kling_tui.costs import ResourcePack
from kling_tui.gateway.errors import error_from_payload, is_success_code
from kling_tui.gateway.fields import WORD_LIMIT, CallContext, read_text, read_time, read_units
from kling_tui.gateway.normalize import _read_payload
from kling_tui.models import ErrorType, FetchError, utcnow

__all__ = ["COSTS_PATH", "MAX_PACKS", "CostsPage", "costs_query", "normalize_costs"]

COSTS_PATH = "/account/costs"
MAX_PACKS = 200
"""The most packs read from one answer (an account holds a handful)."""
NAME_LIMIT = 80


@dataclass(frozen=True, slots=True)
class CostsPage:
    """The packs one answer listed (``unreadable``: items skipped), or the error it was."""

    packs: tuple[ResourcePack, ...] = ()
    unreadable: int = 0
    error: FetchError | None = None


def costs_query(start: datetime, end: datetime) -> str:
    """``?start_time=MS&end_time=MS``: the window the packs are asked for (ms since 1970)."""
    return f"?start_time={int(start.timestamp() * 1000)}&end_time={int(end.timestamp() * 1000)}"


def normalize_costs(
    status_code: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    origin: str = "",
    credential_hint: str = "",
    now: datetime | None = None,
) -> CostsPage:
    """One ``/account/costs`` answer as a :class:`CostsPage`; anything unexpected is an error."""
    fetched_at = now if now is not None else utcnow()
    try:
        ctx = CallContext(
            int(status_code), headers, "", "costs", origin, credential_hint, fetched_at
        )
        return _read(ctx, body)
    except Exception as exc:  # the contract: a surprise is a bad answer, never a crash
        where = read_text(origin, 300) or "the gateway"
        message = f"{where} sent an account answer kling-tui could not read ({type(exc).__name__})"
        return CostsPage(error=FetchError(ErrorType.BAD_RESPONSE, message, at=fetched_at))


def _read(ctx: CallContext, body: bytes) -> CostsPage:
    payload = _read_payload(ctx, body)
    if not isinstance(payload, FetchError) and "code" in payload:
        if not is_success_code(payload["code"]):
            payload = error_from_payload(ctx, payload)
    if isinstance(payload, FetchError):
        return CostsPage(error=payload)
    data = payload.get("data")
    items = data.get("resource_pack_subscribe_infos") if isinstance(data, dict) else None
    if items is None and isinstance(data, dict) and not data:
        items = []
    if not isinstance(items, list):
        what = "null" if items is None else type(items).__name__
        return CostsPage(
            error=ctx.error(
                ErrorType.BAD_RESPONSE,
                f"{ctx.where} answered /account/costs without a pack list ({what})",
            )
        )
    packs = [p for p in (_pack(item) for item in items[:MAX_PACKS]) if p is not None]
    return CostsPage(tuple(packs), len(items) - len(packs))


def _pack(item: Any) -> ResourcePack | None:
    if not isinstance(item, dict):
        return None
    name = read_text(item.get("resource_pack_name"), NAME_LIMIT)
    pack_id = read_text(item.get("resource_pack_id"), NAME_LIMIT)
    if not name and not pack_id:
        return None
    return ResourcePack(
        name=name or pack_id,
        pack_id=pack_id,
        pack_type=read_text(item.get("resource_pack_type"), WORD_LIMIT),
        total=read_units(item.get("total_quantity")),
        remaining=read_units(item.get("remaining_quantity")),
        purchased_at=read_time(item.get("purchase_time")),
        effective_at=read_time(item.get("effective_time")),
        expires_at=read_time(item.get("invalid_time")),
        status=read_text(item.get("status"), WORD_LIMIT),
    )
