"""The two answer shapes the fetcher must read, for task records and for errors.

* ``/kling/v1/{path}/{id}``: shape A, the relay-unified envelope (``code: "success"``,
  a relay task record with a native copy in ``data.data``);
* ``/v1/{path}/{id}``: shape B, the native Kling envelope (``code: 0``).

``{path}`` is a kind's path from ``kinds.KIND_SPECS`` (``videos/text2video``,
``images/generations``, ``videos/avatar/image2video``...).

Bodies are plain dicts built from a task and its phase; ``epoch`` maps simulator-clock seconds
to Unix time and ``video_url`` is where the task's video is served.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from kling_tui.kinds import KIND_SPECS, Media
from kling_tui.sim.auth import NATIVE_AUTH_MESSAGES
from kling_tui.sim.payloads import JSON_NATIVE, JSON_RELAY, dumps
from kling_tui.sim.tasks import RELAY_TIMEOUT_REASON, RELAY_TIMEOUT_SECONDS, Phase, SimTask

if TYPE_CHECKING:
    from kling_tui.sim.server import Handler

RELAY_PREFIX = "/kling/v1"
NATIVE_PREFIX = "/v1"
KINDS = tuple(k.value for k in KIND_SPECS)
"""Every kind: all are served on the native prefix."""
STOCK_RELAY_KINDS = tuple(k.value for k, spec in KIND_SPECS.items() if spec.stock_relay)
"""What the stock open-source relay serves (text2video, image2video)."""
RELAY_KINDS = ("text2video", "image2video", "multi-image2video")
"""The relay prefix's default: a relay that also added multi-image2video (as before)."""
_KIND_PATHS = sorted(((s.path, s.kind.value) for s in KIND_SPECS.values()), reverse=True)
"""(path, kind), longest first where one path starts another."""


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
    kind, tail = match_kind(rest)
    ids: list[str] = []
    if tail:
        ids.append(unquote(tail))
    if query:
        ids.extend(parse_qs(query).get("external_task_id", []))
    if kind is None or tail is None or not ids:
        return Route(relay, None, tuple(ids))
    return Route(relay, kind, tuple(ids))


def match_kind(rest: str) -> tuple[str | None, str | None]:
    """(kind, what follows its path) for ``rest`` = ``{path}[/{id}]``; tail ``""`` for the
    bare path, None when the path is not a task path; kind None for an unknown kind."""
    for path, kind in _KIND_PATHS:
        if rest == path:
            return kind, ""
        if rest.startswith(path + "/") and "/" not in rest[len(path) + 1 :]:
            return kind, rest[len(path) + 1 :]
    segments = rest.split("/")
    if len(segments) == 3 and segments[0] == "videos":  # an unknown video kind
        return None, segments[2]
    return None, None


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
    if task.has_parent:
        data["task_info"]["parent_video"] = {
            "id": task.video_id[::-1],
            "url": _file(video_url, "parent", "mp4"),
            "duration": "5",
        }
    if task.final_unit_deduction is not None:
        data["final_unit_deduction"] = task.final_unit_deduction
    if phase.name == "succeed":
        data["task_result"] = _result(task, video_url)
    return data


def _file(video_url: str, tag: str, ext: str) -> str:
    """Another file of the task beside its video: ``{id}-{tag}.{ext}`` (see ``_serve_file``)."""
    return f"{video_url.removesuffix('.mp4')}-{tag}.{ext}"


def _result(task: SimTask, video_url: str) -> dict[str, Any]:
    """``task_result``: images for an image kind, else one video (audio too comes so)."""
    if task.media is Media.IMAGE:
        images: list[dict[str, Any]] = []
        for n in range(task.images):
            image: dict[str, Any] = {"index": n, "url": _file(video_url, str(n), "png")}
            if task.watermark:
                image["watermark_url"] = _file(video_url, f"{n}-wm", "png")
            images.append(image)
        return {"images": images}
    video: dict[str, Any] = {"id": task.video_id, "url": video_url}
    if task.watermark:
        video["watermark_url"] = _file(video_url, "wm", "mp4")
    video["duration"] = f"{task.duration:g}"
    return {"videos": [video]}


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
    fail_reason = task.fail_reason if phase.name == "failed" else ""
    finished, progress = phase.finished, f"{phase.progress}%"
    if finished is None:
        if now - task.created >= RELAY_TIMEOUT_SECONDS:
            # The relay gives up on a task after 24 h, whatever Kling's (stale) copy says.
            status, fail_reason, progress = "FAILURE", RELAY_TIMEOUT_REASON, "100%"
            finished = task.created + RELAY_TIMEOUT_SECONDS
        elif now - task.created < task.not_start_seconds:
            status = "NOT_START"
        elif task.relay_status is not None:
            status = task.relay_status
    record: dict[str, Any] = {
        "created_at": unix(task.created),
        "updated_at": unix(finished if finished is not None else now),
        "task_id": task.relay_id or task.task_id,
        "platform": "50",
        "action": "textGenerate" if task.kind == "text2video" else "generate",
        "status": status,
        "fail_reason": fail_reason,
        "submit_time": unix(task.created),
        "start_time": unix(phase.started),
        "finish_time": unix(finished),
        "progress": progress,
        "properties": {"input": "", "origin_model_name": task.model},
        "data": native_body(task, phase, now, epoch, video_url),
    }
    if phase.name == "succeed":
        first = _result(task, video_url)
        items = first.get("videos") or first.get("images") or [{}]
        record["result_url"] = items[0].get("url", video_url)
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
