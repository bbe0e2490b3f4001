"""The native list endpoints: ``GET /v1/{path}?pageNum=N&pageSize=S``, one per kind.

Newest first, paged like the API (pageNum 1-1000, pageSize 1-500; defaults 1 and 30); a value
out of range, or not a whole number, answers 400 with code 1201. ``data`` is an array of the
same task objects a single native query answers. Relays have no list endpoints: under the
relay prefix these paths stay unrouted (the relay's "Invalid URL" 404). The same path with
``?external_task_id=`` is no list: it queries one task by the caller's id.

The paths are the single queries' own (``envelopes.match_kind``): one table for both. The
paths themselves are pinned against the API README in ``tests/unit/test_kinds.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from kling_tui.sim.envelopes import NATIVE_PREFIX, match_kind, native_error
from kling_tui.sim.payloads import JSON_NATIVE, dumps
from kling_tui.sim.tasks import phase_at

if TYPE_CHECKING:
    from kling_tui.sim.server import Handler
    from kling_tui.sim.simulator import Simulator

PAGE_NUM = (1, 1000)
PAGE_SIZE = (1, 500)
DEFAULT_PAGE_SIZE = 30


@dataclass(frozen=True)
class ListRoute:
    """A list request: the kind and the raw ``pageNum`` / ``pageSize`` (checked when answered)."""

    kind: str
    page_num: str | None
    page_size: str | None


def parse_list(path: str, query: str) -> ListRoute | None:
    """The list request ``path`` makes under the native prefix, or None (not a list path)."""
    if not path.startswith(NATIVE_PREFIX + "/"):
        return None
    kind, tail = match_kind(path[len(NATIVE_PREFIX) + 1 :].rstrip("/"))
    if kind is None or tail != "":  # not a kind's bare path (a task's, or none)
        return None
    params = parse_qs(query, keep_blank_values=True)
    if "external_task_id" in params:
        return None  # the same path queries one task by its external id

    def first(name: str) -> str | None:
        values = params.get(name)
        return values[0] if values else None

    return ListRoute(kind, first("pageNum"), first("pageSize"))


def _whole(value: str | None, default: int, bounds: tuple[int, int]) -> int | None:
    """The parameter as a number within ``bounds``; None when it is not one."""
    if value is None:
        return default
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        return None
    number = int(text)
    return number if bounds[0] <= number <= bounds[1] else None


def answer_list(sim: Simulator, h: Handler, route: ListRoute) -> None:
    """One page of ``route.kind``'s tasks, newest first, in the native envelope."""
    page_num = _whole(route.page_num, 1, PAGE_NUM)
    page_size = _whole(route.page_size, DEFAULT_PAGE_SIZE, PAGE_SIZE)
    if page_num is None or page_size is None:
        which = "pageNum" if page_num is None else "pageSize"
        low, high = PAGE_NUM if page_num is None else PAGE_SIZE
        native_error(h, 400, 1201, f"parameter {which} is invalid: must be {low}-{high}")
        return
    now = sim.clock()
    tasks = sim.tasks_of_kind(route.kind)  # newest first
    start = (page_num - 1) * page_size
    data = []
    for task in tasks[start : start + page_size]:
        body = sim._envelope(task, phase_at(task, now), now, relay=False)
        data.append(body["data"])
    envelope = {"code": 0, "message": "SUCCEED", "request_id": str(uuid.uuid4()), "data": data}
    h._send(200, dumps(envelope), JSON_NATIVE)
