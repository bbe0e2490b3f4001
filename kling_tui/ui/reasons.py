"""Why a task has no video to open or copy, in words that say what is actually known.

``o`` and ``c`` need a video URL. When there is none the operator should learn the true
state (not found on the gateway, failed and why, still rendering, never checked, finished
without a URL) rather than a generic "not checked yet".
"""

from __future__ import annotations

from kling_tui.gateway.errors import is_not_served, kind_title
from kling_tui.models import ErrorType, FetchError, Status, WatchEntry
from kling_tui.ui.format import clip, fmt_progress


def _error_words(error: FetchError) -> str:
    words = error.type.value.replace("_", " ")
    if error.status_code is not None:
        words += f" (HTTP {error.status_code})"
    return words


def why_no_video(entry: WatchEntry) -> str:
    """A short clause: why ``entry`` has no video URL right now (no trailing full stop)."""
    snap, error = entry.snapshot, entry.last_error
    gateway = clip(entry.gateway, 40)
    if error is not None and error.type is ErrorType.NOT_FOUND:
        code = f" (HTTP {error.status_code})" if error.status_code is not None else ""
        if is_not_served(error):
            return f"the gateway {gateway} does not serve {kind_title(entry.kind)}{code}"
        if snap is None:
            return f"not found on the gateway {gateway}{code}"
        return f"the gateway {gateway} no longer finds it{code}"
    if snap is None:
        if error is None:
            return "not checked yet"
        return f"no answer from the gateway yet: {_error_words(error)}"
    if snap.status is Status.FAILED:
        reason = clip(snap.message, 160) if snap.message else "no reason given"
        return f"failed: {reason}"
    if snap.status is Status.SUCCEEDED:
        return "finished without a video URL"
    if snap.status is Status.IN_PROGRESS:
        why = "still rendering"
        if snap.progress is not None:
            why += f" {fmt_progress(snap.progress)}"
    elif snap.status is Status.SUBMITTED:
        why = "submitted, waiting to start"
    else:
        why = f"status {clip(snap.status_label, 80)}"
    if error is not None:
        why += f"; the last check failed: {_error_words(error)}"
    return why
