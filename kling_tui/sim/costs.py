"""The native account endpoint: ``GET /account/costs?start_time=MS&end_time=MS``.

Answers ``data.resource_pack_subscribe_infos[]`` (see the API README, "Account balance") with
deterministic packs: the same names, quantities and states every run, their times fixed
offsets from the simulator's start, so the demo's Costs screen and the tests read the same
figures. ``Simulator.packs`` replaces them (a test's own list of pack dicts). Authenticated
like a task query (static token or JWT); faults are injected as for list pages
(``inject(..., lists=True)``).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from kling_tui.sim.envelopes import native_error, unauthorized
from kling_tui.sim.payloads import JSON_NATIVE, dumps

if TYPE_CHECKING:
    from kling_tui.sim.server import Handler
    from kling_tui.sim.simulator import Simulator

COSTS_PATH = "/account/costs"
DAY_MS = 86_400_000

DEFAULT_PACKS: tuple[tuple[str, str, float, float, int, int, str], ...] = (
    # name, type, total, remaining, bought (days before start), expires (days after), status
    ("Video Pack 3000", "decreasing_total", 3000.0, 1835.5, 20, 70, "online"),
    ("Monthly Trial 100", "constant_period", 100.0, 0.0, 31, -1, "runOut"),
    ("Image Pack 500", "decreasing_total", 500.0, 500.0, 2, 180, "toBeOnline"),
)


def default_packs(start_ms: int) -> list[dict[str, Any]]:
    """The deterministic packs, their times counted from ``start_ms`` (Unix ms)."""
    packs = []
    for n, (name, kind, total, remaining, bought, expires, status) in enumerate(DEFAULT_PACKS):
        packs.append(
            {
                "resource_pack_name": name,
                "resource_pack_id": str(uuid.UUID(int=0xC057 + n)),
                "resource_pack_type": kind,
                "total_quantity": total,
                "remaining_quantity": remaining,
                "purchase_time": start_ms - bought * DAY_MS,
                "effective_time": start_ms - bought * DAY_MS,
                "invalid_time": start_ms + expires * DAY_MS,
                "status": status,
            }
        )
    return packs


def answer_costs(sim: Simulator, h: Handler, query: str) -> None:
    """The packs, after the bearer check; a missing or bad window is a 400 (code 1201)."""
    refused = sim._authorized(h.headers.get("Authorization"))
    if refused:
        unauthorized(h, False, refused)
        return
    params = parse_qs(query)
    try:
        start = int(params["start_time"][0])
        end = int(params["end_time"][0])
    except (KeyError, ValueError, IndexError):
        native_error(h, 400, 1201, "start_time and end_time are required (ms)")
        return
    if start > end:
        native_error(h, 400, 1201, "start_time is after end_time")
        return
    packs = sim.packs if sim.packs is not None else default_packs(int(sim._epoch * 1000))
    name = params.get("resource_pack_name", [""])[0]
    if name:
        packs = [p for p in packs if p.get("resource_pack_name") == name]
    body = {
        "code": 0,
        "message": "SUCCEED",
        "request_id": "sim-costs",
        "data": {"code": 0, "msg": "", "resource_pack_subscribe_infos": packs},
    }
    h._send(200, dumps(body), JSON_NATIVE)
