"""``/account/costs`` answers read by the normalizer family: packs, bad items, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from kling_tui.gateway.costs import normalize_costs
from kling_tui.models import ErrorType

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
JSON = {"content-type": "application/json"}


def body(packs: object, code: object = 0) -> bytes:
    data = {"code": code, "message": "SUCCEED", "data": {"resource_pack_subscribe_infos": packs}}
    return json.dumps(data).encode()


def test_packs_are_read_and_bad_items_counted_not_fatal() -> None:
    good = {
        "resource_pack_name": "Pack \x1b]52;c;aGk=\x07\u202e[b]x[/b]",
        "resource_pack_id": 123,
        "resource_pack_type": "decreasing_total",
        "total_quantity": "3000",
        "remaining_quantity": 12.5,
        "invalid_time": 1_800_000_000_000,
        "status": "online",
    }
    page = normalize_costs(200, JSON, body([good, "junk", {}, {"status": "online"}]), now=NOW)
    assert page.error is None and page.unreadable == 3
    (pack,) = page.packs
    assert "\x1b" not in pack.name and "\u202e" not in pack.name and "[b]x[/b]" in pack.name
    assert (pack.pack_id, pack.total, pack.remaining) == ("123", 3000.0, 12.5)
    assert pack.expires_at == datetime.fromtimestamp(1_800_000_000, UTC)


def test_error_envelopes_and_wrong_shapes_are_typed_errors() -> None:
    limited = normalize_costs(
        429, {**JSON, "retry-after": "3"}, body([], code=1302), origin="https://k", now=NOW
    )
    assert limited.error is not None and limited.error.type is ErrorType.RATE_LIMITED
    auth = normalize_costs(401, JSON, body([], code=1004), now=NOW)
    assert auth.error is not None and auth.error.type is ErrorType.AUTH
    wrong = normalize_costs(200, JSON, body("a string"), now=NOW)
    assert wrong.error is not None and "pack list" in wrong.error.message
    cut = normalize_costs(200, JSON, body([])[:20], now=NOW)
    assert cut.error is not None and cut.error.type is ErrorType.BAD_RESPONSE
    empty = normalize_costs(200, JSON, json.dumps({"code": 0, "data": {}}).encode(), now=NOW)
    assert empty.error is None and empty.packs == ()
