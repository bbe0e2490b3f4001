"""The new-api relay's task log: ``GET /api/task/self?p=1&page_size=N`` (``import`` reads it).

What the open-source relay serves (see the API README, "The open-source relay"): the user's own
tasks, newest first, as ``TaskDto`` records, paged. It is authenticated with the user's
*access token* (not an API key: the ``Authorization`` header, with or without ``Bearer``) and,
on current versions, the ``New-Api-User`` header naming that user's id. Two envelopes:

* current: ``{"success": true, "message": "", "data": {"items": [...], "total", "page",
  "page_size"}}``;
* older versions: ``{"success": true, "message": "", "data": [...]}`` (no total, no header
  checked).

Only the relay's own kinds are in it (``textGenerate`` = text2video, ``generate`` =
image2video): each record is the relay record the status query answers, plus the log's fields.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from kling_tui.sim.payloads import JSON_RELAY, dumps
from kling_tui.sim.tasks import SimTask, phase_at

if TYPE_CHECKING:
    from kling_tui.sim.server import Handler
    from kling_tui.sim.simulator import Simulator

TASK_LOG_PATH = "/api/task/self"
LOG_KINDS = ("text2video", "image2video")
"""What the stock relay creates, so what its task log holds."""
MAX_PAGE_SIZE = 100
"""new-api caps ``page_size``."""


def _refuse(h: Handler, status: int, message: str) -> None:
    h._send(status, dumps({"success": False, "message": message}), JSON_RELAY)


def _user(sim: Simulator, h: Handler) -> int | None:
    """The user id the access token belongs to, after the header checks; None: answered."""
    said = (h.headers.get("Authorization") or "").strip()
    token = said[7:].strip() if said.lower().startswith("bearer ") else said
    user = None
    for known, uid in sim.access_tokens.items():
        if token and hmac.compare_digest(token.encode(), known.encode()):
            user = uid
    if user is None:
        _refuse(h, 401, "无权进行此操作，access token 无效")
        return None
    if sim.task_log_envelope == "current":
        header = (h.headers.get("New-Api-User") or "").strip()
        if not header:
            _refuse(h, 401, "无权进行此操作，未提供 New-Api-User")
            return None
        if header != str(user):
            _refuse(h, 401, "无权进行此操作，New-Api-User 与登录用户不匹配")
            return None
    return user


def _int(query: dict[str, list[str]], name: str, default: int) -> int:
    try:
        return int(query.get(name, [str(default)])[0])
    except ValueError:
        return default


def _record(sim: Simulator, task: SimTask, row: int, user: int, now: float) -> dict[str, Any]:
    """One TaskDto: the relay record of the status query, plus the log's own fields."""
    body = sim._envelope(task, phase_at(task, now), now, relay=True)
    record: dict[str, Any] = body["data"]
    properties = record.setdefault("properties", {})
    properties.setdefault("upstream_model_name", "kling-v2-1")
    record.update(
        {
            "id": row,
            "platform": "kling",
            "user_id": user,
            "group": "default",
            "channel_id": 3,
            "quota": 150000,
        }
    )
    return record


def answer_task_log(sim: Simulator, h: Handler, query: str) -> None:
    """One page of the user's task log, newest first."""
    user = _user(sim, h)
    if user is None:
        return
    params = parse_qs(query)
    page = max(1, _int(params, "p", 1))
    size = min(MAX_PAGE_SIZE, max(1, _int(params, "page_size", 10)))
    start = _int(params, "start_timestamp", 0)
    now = sim.clock()
    with sim._lock:
        tasks = [
            t for t in sim._tasks.values() if t.kind in LOG_KINDS and t.kind in sim.relay_kinds
        ]
    rows = {id(t): n for n, t in enumerate(tasks, start=1)}
    tasks.sort(key=lambda t: (t.created, rows[id(t)]), reverse=True)
    if start:
        tasks = [t for t in tasks if t.created + sim._epoch >= start]
    chosen = tasks[(page - 1) * size : page * size]
    items = [_record(sim, t, rows[id(t)], user, now) for t in chosen]
    data: Any = items
    if sim.task_log_envelope == "current":
        data = {"items": items, "total": len(tasks), "page": page, "page_size": size}
    h._send(200, dumps({"success": True, "message": "", "data": data}), JSON_RELAY)
