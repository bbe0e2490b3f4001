"""Taking a gateway's secrets out of what it answered, before anyone stores or shows it.

The fetcher calls :func:`scrub_result` on every result it hands out (single answers and
list pages): a server that quotes ``Authorization`` back must not get the token into the
watch list, the screen or ``--json``.
"""

from __future__ import annotations

from dataclasses import replace

from kling_tui.gateway.sanitize import ELLIPSIS, MIN_SECRET, redact
from kling_tui.models import FetchError, FetchResult, Image, Video

__all__ = ["body_cannot_leak", "scrub_result"]


def body_cannot_leak(body: bytes, secrets: list[str]) -> bool:
    """True when no text read from ``body`` can hold a secret, nor the start of one that
    ``clean_text`` cut short: a list page's 500 snapshots then need no scan each.

    Sure only for a body of printable ASCII without a backslash (no JSON escape can make
    a character that is not in the body, nothing in it is escaped by ``clean_text``, and
    ``json`` refuses raw control characters in strings; DEL, which it lets through, makes
    the body fail the test): every text read from it is then a piece of the body, cut at
    most (with an ellipsis, which an ASCII body cannot hold). A secret, or its first
    ``MIN_SECRET`` characters before a cut, would then be in the body itself.
    """
    if not body.isascii() or b"\\" in body or b"\x7f" in body:
        return False
    for secret in secrets:
        if len(secret) < MIN_SECRET:
            continue  # never searched for (``redact``)
        probe = secret[:MIN_SECRET]
        if probe.isascii() and probe.encode() in body:
            return False
    return True


def scrub_result(result: FetchResult, secrets: list[str]) -> FetchResult:
    """The one place server text loses the gateway's secrets, before anyone stores or
    shows it: a server that quotes ``Authorization`` back (in a 401, 429 or 5xx text, a
    task message, the raw body) must not get the token into the watch list or the UI."""
    if not secrets:
        return result

    def r(value: str | None) -> str | None:
        return redact(value, secrets) if value else value

    if isinstance(result, FetchError):
        message, code = redact(result.message, secrets), r(result.code)
        if message == result.message and code == result.code:
            return result
        return replace(result, message=message, code=code)
    texts = [result.task_id, result.status_raw, result.message, result.raw or ""]
    texts += [result.external_task_id or "", result.kling_task_id or ""]
    parent = result.parent_video
    every_video = (*result.videos, parent) if parent is not None else result.videos
    texts += [f"{v.id} {v.url} {v.watermark_url}" for v in every_video]
    texts += [f"{i.url} {i.watermark_url}" for i in result.images]
    texts.append(result.model or "")
    joined = "\n".join(texts)  # the hot path: one scan, nothing rebuilt when clean
    if ELLIPSIS not in joined and not any(secret in joined for secret in secrets):
        return result

    def video(v: Video) -> Video:
        return Video(r(v.id), r(v.url), v.duration, r(v.watermark_url))

    videos = tuple(video(v) for v in result.videos)
    images = tuple(Image(i.index, r(i.url), r(i.watermark_url)) for i in result.images)
    scrubbed = replace(
        result,
        task_id=redact(result.task_id, secrets),
        status_raw=redact(result.status_raw, secrets),
        message=redact(result.message, secrets),
        external_task_id=r(result.external_task_id),
        kling_task_id=r(result.kling_task_id),
        videos=videos,
        images=images,
        parent_video=video(parent) if parent is not None else None,
        model=r(result.model),
        raw=r(result.raw),
    )
    return result if scrubbed == result and scrubbed.raw == result.raw else scrubbed
