"""Reading each answer shape (A/C relay record, B native Kling, D OpenAI-style) into a snapshot.

:mod:`kling_tui.gateway.normalize` picks the shape; the functions here read its fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kling_tui.gateway.fields import (
    MAX_ITEMS,
    URL_LIMIT,
    WORD_LIMIT,
    CallContext,
    dig,
    is_http_url,
    queried_id,
    read_duration,
    read_error_text,
    read_id,
    read_index,
    read_progress,
    read_text,
    read_time,
    read_units,
    read_url,
    read_word,
)
from kling_tui.gateway.sanitize import clean_text
from kling_tui.kinds import Media, kind_spec
from kling_tui.models import Image, Status, TaskSnapshot, Video

RAW_LIMIT = 64 * 1024
"""Cap for ``TaskSnapshot.raw`` (characters)."""
MAX_VIDEOS = MAX_ITEMS
MAX_IMAGES = MAX_ITEMS
RELAY_TIMEOUT = "任务超时"
"""How the open-source relay words its own 24-hour timeout (``任务超时（1440分钟）``, with
full-width, ASCII or no parentheses): the relay gave up on the task and refunded it."""
RELAY_TIMEOUT_MESSAGE = "timed out on the relay (refunded)"
_SUCCESS_WORDS = frozenset({"succeed", "success", "succeeded", "ok"})
"""Never a reason: the native ``message`` says SUCCEED even for a failed task."""
MAX_RELAY_DEPTH = 4
"""How many relays-behind-relays we follow looking for the native answer."""
RELAY_PROGRESS_STEPS = frozenset({0.0, 10.0, 20.0, 30.0, 100.0})
"""The only percentages a new-api relay's own task record holds: synthetic, not a rate."""


_STATUS: dict[str, Status] = {
    # shape A (relay record), compared in lower case
    "not_start": Status.SUBMITTED,
    "submitted": Status.SUBMITTED,
    "queued": Status.SUBMITTED,
    "in_progress": Status.IN_PROGRESS,
    "success": Status.SUCCEEDED,
    "failure": Status.FAILED,
    "unknown": Status.UNKNOWN,
    # shape B (native)
    "processing": Status.IN_PROGRESS,
    "succeed": Status.SUCCEEDED,
    "failed": Status.FAILED,
    # shapes C and D
    "succeeded": Status.SUCCEEDED,
    "completed": Status.SUCCEEDED,
}

_VIDEO_STATUSES = (Status.SUCCEEDED, Status.UNKNOWN)
"""Video URLs are only exposed for a finished (or unreadable) task: a relay's stale copy of
an older answer must not make an in-progress or failed task look downloadable."""


def shape_b(
    ctx: CallContext, d: dict[str, Any], body: bytes | str | None, task_id: str | None = None
) -> TaskSnapshot:
    """Native Kling: ``data`` is the task; times in ms; no progress (100 when done).

    ``body`` is the answer for the raw view (None: no raw text is kept, ``raw`` is None);
    ``task_id``: the item's id already read by the caller (a list page reads it first).
    """
    # On the hot path (every poll, 500 per list page, 10,000 per import): each key looked
    # up once, no helper call where a dict test does (``dig``'s answers, written out), and
    # the snapshot built by ``TaskSnapshot.build`` (half the frozen ``__init__``'s time).
    get = d.get
    status_raw, status = _status(get("task_status"))
    progress = 100.0 if status is Status.SUCCEEDED else read_progress(get("progress"))
    videos: tuple[Video, ...] = ()
    images: tuple[Image, ...] = ()
    if status in _VIDEO_STATUSES:
        result = get("task_result")
        if isinstance(result, dict):
            videos, images = _videos(result.get("videos")), _images(result.get("images"))
            # Audio kinds: the documentation shows no result shape; an ``audios`` list is
            # read like videos (a URL, an id, a duration), as the simulator sends them.
            if not videos:
                videos = _videos(result.get("audios"))
    info = get("task_info")
    external = parent = None
    if info:
        if isinstance(info, dict):
            external = read_id(info.get("external_task_id"))
            found = info.get("parent_video")
            parent = _video(found) if isinstance(found, dict) else None
    message = get("task_status_msg")
    cost = get("final_unit_deduction")
    model = get("model_name")
    return TaskSnapshot.build(
        task_id=task_id or read_id(get("task_id")) or queried_id(ctx),
        kind=ctx.kind,
        status=status,
        status_raw=status_raw,
        progress=progress,
        videos=videos,
        message=_reason(read_text(message)) if message is not None and message != "" else "",
        external_task_id=external,
        created_at=read_time(get("created_at")),
        updated_at=read_time(get("updated_at")),
        fetched_at=ctx.now,
        raw=_raw(body) if body is not None else None,
        images=images,
        parent_video=parent,
        final_unit_deduction=read_units(cost) if cost is not None else None,
        model=(read_word(model) if model is not None else None) or read_word(get("model")),
        expires_at=_expiry(status, get("expires_at")),
    )


def _relay_message(rec: dict[str, Any], status: Status, native: dict[str, Any] | None) -> str:
    """A relay's failure text: ``fail_reason`` (unless it is a URL), its ``error``, then the
    native copy's ``task_status_msg`` of a failed task."""
    fail_reason = rec.get("fail_reason")
    message = "" if is_http_url(fail_reason) else _reason(read_text(fail_reason))
    if not message:
        message = _reason(read_error_text(rec.get("error")))
    if not message and status is Status.FAILED and native is not None:
        message = _reason(read_text(native.get("task_status_msg")))
    return message


def _relay_results(
    ctx: CallContext,
    rec: dict[str, Any],
    status: Status,
    native: dict[str, Any] | None,
    deep: dict[str, Any] | None,
) -> tuple[tuple[Video, ...], tuple[Image, ...]]:
    """A relay task's videos and images (none before it has results)."""
    if status not in _VIDEO_STATUSES:
        return (), ()
    images: tuple[Image, ...] = ()
    if deep is not None:
        images = _images(dig(deep, "task_result", "images"))
    videos = _relay_videos(rec, native, 0)
    if not images and videos and _makes_images(ctx.kind):
        # An image task's only URL (``result_url``) is its image, not a video.
        return (), tuple(Image(index=n, url=v.url) for n, v in enumerate(videos))
    return videos, images


def _relay_times(
    rec: dict[str, Any], native: dict[str, Any] | None
) -> tuple[datetime | None, datetime | None]:
    """A relay task's created and updated times; the latest of its finish, start and submit
    times when it gives no ``updated_at``."""
    created = read_time(rec.get("created_at")) or read_time(rec.get("submit_time"))
    if created is None and native is not None:
        created = read_time(native.get("created_at"))  # a creation time cannot go stale
    updated = read_time(rec.get("updated_at"))
    if updated is None:
        moments = [
            t
            for t in (
                read_time(rec.get("finish_time")),
                read_time(rec.get("start_time")),
                read_time(rec.get("submit_time")),
            )
            if t is not None
        ]
        updated = max(moments) if moments else None
    return created, updated


def shape_relay(ctx: CallContext, rec: dict[str, Any], body: bytes) -> TaskSnapshot:
    """Shapes A and C: a relay's own record; its ``status`` wins over the inner copy."""
    status_raw, status = _status(rec.get("status"))
    progress = 100.0 if status is Status.SUCCEEDED else read_progress(rec.get("progress"))
    native = _inner_native(rec.get("data"))
    # The native answer, also behind relays behind this relay: results, parent, cost, id.
    deep = native if native is not None else _behind_relays(rec)

    message = _relay_message(rec, status, native)
    videos, images = _relay_results(ctx, rec, status, native, deep)
    external = read_id(rec.get("external_task_id"))
    if external is None and native is not None:
        external = read_id(dig(native, "task_info", "external_task_id"))
    created, updated = _relay_times(rec, native)
    task_id = read_id(rec.get("task_id")) or queried_id(ctx)
    kling_id = read_id(deep.get("task_id")) if deep is not None else None
    properties = rec.get("properties")
    return TaskSnapshot(
        task_id=task_id,
        kind=ctx.kind,
        status=status,
        status_raw=status_raw,
        progress=progress,
        videos=videos,
        message=message,
        external_task_id=external,
        created_at=created,
        updated_at=updated,
        fetched_at=ctx.now,
        raw=_raw(body),
        progress_synthetic=not status.terminal and progress in RELAY_PROGRESS_STEPS,
        images=images,
        parent_video=_parent(deep) if deep is not None else None,
        final_unit_deduction=read_units(
            (deep or rec).get("final_unit_deduction", rec.get("final_unit_deduction"))
        ),
        quota=read_units(rec.get("quota")),
        # A 2026 relay answers with its own ``task_…`` id; Kling's is only in its copy.
        kling_task_id=kling_id if kling_id != task_id else None,
        model=_model(
            deep,
            dig(properties, "upstream_model_name"),
            dig(properties, "origin_model_name"),
            rec,
        ),
        expires_at=_expiry(
            status,
            rec.get("expires_at", deep.get("expires_at") if deep is not None else None),
        ),
    )


def shape_d(ctx: CallContext, p: dict[str, Any], body: bytes) -> TaskSnapshot:
    """OpenAI-style video object: ``id``, ``status``, ``progress``, ``seconds``, ms times."""
    status_raw, status = _status(p.get("status"))
    progress = 100.0 if status is Status.SUCCEEDED else read_progress(p.get("progress"))
    videos: tuple[Video, ...] = ()
    if status in _VIDEO_STATUSES:
        url = read_url(dig(p, "metadata", "url")) or read_url(p.get("url"))
        if url is not None:
            videos = (Video(id=None, url=url, duration=read_duration(p.get("seconds"))),)
    return TaskSnapshot(
        task_id=read_id(p.get("id")) or read_id(p.get("task_id")) or queried_id(ctx),
        kind=ctx.kind,
        status=status,
        status_raw=status_raw,
        progress=progress,
        videos=videos,
        message=_reason(read_error_text(p.get("error"))),
        external_task_id=read_id(p.get("external_task_id")),
        created_at=read_time(p.get("created_at")),
        updated_at=read_time(p.get("updated_at")) or read_time(p.get("completed_at")),
        fetched_at=ctx.now,
        raw=_raw(body),
        model=_model(p),
        expires_at=_expiry(status, p.get("expires_at")),
    )


def _expiry(status: Status, value: Any) -> datetime | None:
    """The answer's ``expires_at`` (Unix seconds or ms, or ISO-8601), for a succeeded task
    only: when its result stops being served (the OpenAI-style video object sends it; a
    relay record or a native task object may). None: not given, or not a time."""
    if value is None or status is not Status.SUCCEEDED:
        return None
    return read_time(value)


def _inner_native(inner: Any) -> dict[str, Any] | None:
    """The native task inside a relay record's ``data`` (``data.data.data``), if it is one."""
    if isinstance(inner, dict):
        d = inner.get("data")
        if isinstance(d, dict) and ("task_status" in d or "task_result" in d):
            return d
    return None


def _behind_relays(rec: dict[str, Any]) -> dict[str, Any] | None:
    """The native task behind relays behind ``rec`` (each one's ``data.data`` is the next
    relay's record), at most MAX_RELAY_DEPTH deep; None when there is none."""
    for _ in range(MAX_RELAY_DEPTH):
        inner = rec.get("data")
        nested = inner.get("data") if isinstance(inner, dict) else None
        if not isinstance(nested, dict) or "status" not in nested:
            return None
        found = _inner_native(nested.get("data"))
        if found is not None:
            return found
        rec = nested
    return None


def _relay_videos(
    rec: dict[str, Any], native: dict[str, Any] | None, depth: int
) -> tuple[Video, ...]:
    """Videos of a finished relay task, best source first.

    Inner native ``task_result.videos`` (ids and durations), then a relay behind this relay,
    then ``result_url`` (2026 era), then shape C's ``url``, then a ``fail_reason`` that is an
    http(s) URL (2025 era).
    """
    if native is not None:
        found = _videos(dig(native, "task_result", "videos"))
        if found:
            return found
    elif depth < MAX_RELAY_DEPTH:
        inner = rec.get("data")
        nested = inner.get("data") if isinstance(inner, dict) else None
        if isinstance(nested, dict) and "status" in nested:
            found = _relay_videos(nested, _inner_native(nested.get("data")), depth + 1)
            if found:
                return found
    url = read_url(rec.get("result_url")) or read_url(rec.get("url"))
    if url is not None:
        duration = read_duration(rec.get("duration"))
        if duration is None:
            duration = read_duration(dig(rec, "metadata", "duration"))
        return (Video(id=None, url=url, duration=duration),)
    reason = rec.get("fail_reason")
    if is_http_url(reason):
        return (Video(id=None, url=clean_text(reason.strip(), URL_LIMIT), duration=None),)
    return ()


def _videos(items: Any) -> tuple[Video, ...]:
    if not isinstance(items, list):
        return ()
    out: list[Video] = []
    for item in items[:MAX_VIDEOS]:
        if isinstance(item, dict):
            video = _video(item)
            if video is not None:
                out.append(video)
    return tuple(out)


def _video(item: dict[str, Any]) -> Video | None:
    """One ``videos[]`` item (or ``parent_video``); None when it has neither id nor URL."""
    vid = read_id(item.get("id"))
    url = read_url(item.get("url"))
    if vid is None and url is None:
        return None
    watermark = item.get("watermark_url")
    return Video(
        id=vid,
        url=url,
        duration=read_duration(item.get("duration")),
        watermark_url=read_url(watermark) if watermark is not None else None,
    )


def _images(items: Any) -> tuple[Image, ...]:
    """``task_result.images[]`` of an image task: ``index``, ``url``, ``watermark_url``."""
    if not isinstance(items, list):
        return ()
    out: list[Image] = []
    for item in items[:MAX_IMAGES]:
        if not isinstance(item, dict):
            continue
        url = read_url(item.get("url"))
        watermark = read_url(item.get("watermark_url"))
        if url is None and watermark is None:
            continue
        out.append(Image(index=read_index(item.get("index")), url=url, watermark_url=watermark))
    return tuple(out)


def _parent(d: dict[str, Any]) -> Video | None:
    """``task_info.parent_video`` of an extend / lip-sync task: the video it worked on."""
    parent = dig(d, "task_info", "parent_video")
    return _video(parent) if isinstance(parent, dict) else None


def _model(*sources: Any) -> str | None:
    """The first model name given: a dict's ``model_name`` / ``model``, or a bare name."""
    for source in sources:
        if isinstance(source, dict):
            for key in ("model_name", "model"):
                found = read_word(source.get(key))
                if found is not None:
                    return found
        elif source is not None:
            found = read_word(source)
            if found is not None:
                return found
    return None


def _reason(text: str) -> str:
    """A status message as the operator should read it.

    A success word is no reason (the native ``message`` says SUCCEED even for a failed
    task, and some relays copy it); the relay's 24-hour timeout is said in plain words
    (the server's own text stays in the raw answer).
    """
    if not text:
        return text
    if RELAY_TIMEOUT in text:
        return RELAY_TIMEOUT_MESSAGE
    if text.strip().lower() in _SUCCESS_WORDS:
        return ""
    return text


def _makes_images(kind: str) -> bool:
    spec = kind_spec(kind)
    return spec is not None and spec.media is Media.IMAGE


_STATUS_SEEN: dict[str, tuple[str, Status]] = {}
"""Status words already read (a server uses a handful): the same answer without cleaning."""


def _status(value: Any) -> tuple[str, Status]:
    if type(value) is str:
        seen = _STATUS_SEEN.get(value)
        if seen is not None:
            return seen
        word = value.strip()
        read = clean_text(word, WORD_LIMIT), _STATUS.get(word.lower(), Status.UNKNOWN)
        if len(_STATUS_SEEN) < 64:
            _STATUS_SEEN[value] = read
        return read
    if isinstance(value, str):
        word = value.strip()
        return clean_text(word, WORD_LIMIT), _STATUS.get(word.lower(), Status.UNKNOWN)
    if type(value) in (int, float):
        return clean_text(str(value), WORD_LIMIT), Status.UNKNOWN
    return "", Status.UNKNOWN


def _raw(body: bytes | str) -> str:
    """The body as text for the raw view: cleaned, capped, line breaks kept (a list item
    comes as text already: its JSON, encoded by the normalizer)."""
    head = body[: 4 * (RAW_LIMIT + 1)]
    text = head if isinstance(head, str) else head.decode("utf-8", "replace")
    return clean_text(text, RAW_LIMIT, multiline=True)
