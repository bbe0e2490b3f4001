"""The two answer shapes the fetcher must read, for task records and for errors.

* ``/kling/v1/videos/{kind}/{id}``: shape A, the relay-unified envelope (``code: "success"``,
  a relay task record with a native copy in ``data.data``);
* ``/v1/videos/{kind}/{id}``: shape B, the native Kling envelope (``code: 0``).

Bodies are plain dicts built from a task and its phase; ``epoch`` maps simulator-clock seconds
to Unix time and ``video_url`` is where the task's video is served.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from kling_tui.sim.auth import NATIVE_AUTH_MESSAGES
from kling_tui.sim.payloads import JSON_NATIVE, JSON_RELAY, dumps
from kling_tui.sim.tasks import Phase, SimTask

if TYPE_CHECKING:
    from kling_tui.sim.server import Handler

RELAY_PREFIX = "/kling/v1"
NATIVE_PREFIX = "/v1"
KINDS = ("text2video", "image2video", "multi-image2video")


@dataclass
class Route:
    """What a prefixed request asked for; ``kind`` is None when the path is not a task path."""

    relay: bool
    kind: str | None
    ids: tuple[str, ...]


def parse_route(path: str, query: str) -> Route | None:
    """What a path asked for; None when it is under neither prefix."""
    if path.startswith(RELAY_PREFIX + "/"):
        relay, rest = True, path[len(RELAY_PREFIX) + 1 :]
    elif path.startswith(NATIVE_PREFIX + "/"):
        relay, rest = False, path[len(NATIVE_PREFIX) + 1 :]
    else:
        return None
    segments = rest.split("/")
    ids: list[str] = []
    if len(segments) == 3 and segments[2]:
        ids.append(unquote(segments[2]))
    if query:
        ids.extend(parse_qs(query).get("external_task_id", []))
    if segments[0] != "videos" or len(segments) not in (2, 3) or not ids:
        return Route(relay, None, tuple(ids))
    return Route(relay, segments[1], tuple(ids))


def native_data(
    task: SimTask, phase: Phase, now: float, epoch: float, video_url: str
) -> dict[str, Any]:
    """The native ``data`` record: status, timestamps in ms, the video once succeeded."""
    created_ms = round((task.created + epoch) * 1000)
    if phase.finished is not None:
        updated = phase.finished
    elif phase.started is not None:
        updated = now
    else:
        updated = task.created
    data: dict[str, Any] = {
        "task_id": task.task_id,
        "task_status": "submitted" if phase.name == "queued" else phase.name,
        "task_status_msg": task.fail_reason if phase.name == "failed" else "",
        "task_info": ({"external_task_id": task.external_task_id} if task.external_task_id else {}),
        "created_at": created_ms,
        "updated_at": round((updated + epoch) * 1000),
    }
    if phase.name == "succeed":
        data["task_result"] = {
            "videos": [
                {
                    "id": task.video_id,
                    "url": video_url,
                    "duration": f"{task.duration:g}",
                }
            ]
        }
    return data


def native_body(
    task: SimTask, phase: Phase, now: float, epoch: float, video_url: str
) -> dict[str, Any]:
    """Shape B: the native Kling envelope around ``native_data``."""
    return {
        "code": 0,
        "message": "SUCCEED",
        "request_id": str(uuid.uuid4()),
        "data": native_data(task, phase, now, epoch, video_url),
    }


def relay_body(
    task: SimTask, phase: Phase, now: float, epoch: float, video_url: str
) -> dict[str, Any]:
    """Shape A: the relay task record, with the native body copied into ``data.data``."""

    def unix(t: float | None) -> int:
        return 0 if t is None else int(t + epoch)

    status = {
        "submitted": "SUBMITTED",
        "queued": "QUEUED",
        "processing": "IN_PROGRESS",
        "succeed": "SUCCESS",
        "failed": "FAILURE",
    }[phase.name]
    record: dict[str, Any] = {
        "created_at": unix(task.created),
        "updated_at": unix(phase.finished if phase.finished is not None else now),
        "task_id": task.task_id,
        "platform": "50",
        "action": "textGenerate" if task.kind == "text2video" else "generate",
        "status": status,
        "fail_reason": task.fail_reason if phase.name == "failed" else "",
        "submit_time": unix(task.created),
        "start_time": unix(phase.started),
        "finish_time": unix(phase.finished),
        "progress": f"{phase.progress}%",
        "properties": {"input": "", "origin_model_name": "kling-v2-1"},
        "data": native_body(task, phase, now, epoch, video_url),
    }
    if phase.name == "succeed":
        record["result_url"] = video_url
    return {"code": "success", "message": "", "data": record}


def native_error(
    h: Handler, status: int, code: int, message: str, extra: dict[str, str] | None = None
) -> None:
    body = {"code": code, "message": message, "request_id": str(uuid.uuid4())}
    h._send(status, dumps(body), JSON_NATIVE, extra)


def relay_error(h: Handler, status: int, message: str, extra: dict[str, str] | None = None) -> None:
    body = {"error": {"message": message, "type": "new_api_error"}}
    h._send(status, dumps(body), JSON_RELAY, extra)


def unauthorized(h: Handler, relay: bool, code: int) -> None:
    if relay:
        relay_error(h, 401, "未提供令牌" if code == 1001 else "invalid token")
    else:
        native_error(h, 401, code, NATIVE_AUTH_MESSAGES.get(code, "Authentication failed"))


def not_found(h: Handler, relay: bool) -> None:
    if relay:
        body = {"code": "task_not_exist", "message": "task_not_exist", "data": None}
        h._send(400, dumps(body), JSON_RELAY)
    else:
        native_error(h, 404, 1203, "resource not found")


def invalid_url_body(path: str) -> bytes:
    """The relay's answer to a path it does not route (also sent for unknown prefixes)."""
    return dumps(
        {"error": {"message": f"Invalid URL (GET {path})", "type": "invalid_request_error"}}
    )
