"""Writing: one :class:`~kling_tui.models.WatchEntry` -> one ``[[tasks]]`` TOML table.

:func:`entry_to_table` (known keys first in a stable order, then the unknown keys kept from
the file) and its per-table helpers. Apart from the reader because it shares nothing with it
but the key sets (in ``codec_fields``); re-exported by ``store/codec.py``.
"""

from __future__ import annotations

from typing import Any

from kling_tui.models import (
    FetchError,
    TaskSnapshot,
    Video,
    WatchEntry,
)
from kling_tui.store.codec_fields import _ERROR_KEYS, _LAST_KEYS, ENTRY_KEYS, _utc


def _strip_userinfo(url: str) -> str:
    """``https://user:pass@host`` -> ``https://host``: the file never holds a credential."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, tail = rest.partition("/")
    if "@" not in netloc:
        return url
    return f"{scheme}://{netloc.rpartition('@')[2]}{slash}{tail}"


def _video_table(v: Video) -> dict[str, Any]:
    video: dict[str, Any] = {}
    if v.id is not None:
        video["id"] = v.id
    if v.url is not None:
        video["url"] = v.url
    if v.duration is not None:
        video["duration"] = v.duration
    if v.watermark_url is not None:
        video["watermark_url"] = v.watermark_url
    return video


def _snapshot_table(s: TaskSnapshot, unknown: Any, entry_id: str) -> dict[str, Any]:
    last: dict[str, Any] = {}
    if s.task_id != entry_id:  # the answer's own id (Kling's, for an external id): kept
        last["task_id"] = s.task_id
    last["status"] = s.status.value
    last["status_raw"] = s.status_raw
    if s.progress is not None:
        last["progress"] = s.progress
    last["message"] = s.message
    if s.external_task_id is not None:
        last["external_task_id"] = s.external_task_id
    if s.created_at is not None:
        last["created_at"] = _utc(s.created_at)
    if s.updated_at is not None:
        last["updated_at"] = _utc(s.updated_at)
    last["fetched_at"] = _utc(s.fetched_at)
    if s.videos:
        last["videos"] = [_video_table(v) for v in s.videos]
    if s.images:
        images = []
        for i in s.images:
            image: dict[str, Any] = {}
            if i.index is not None:
                image["index"] = i.index
            if i.url is not None:
                image["url"] = i.url
            if i.watermark_url is not None:
                image["watermark_url"] = i.watermark_url
            images.append(image)
        last["images"] = images
    if s.parent_video is not None:
        last["parent_video"] = _video_table(s.parent_video)
    if s.final_unit_deduction is not None:
        last["final_unit_deduction"] = s.final_unit_deduction
    if s.quota is not None:
        last["quota"] = s.quota
    if s.kling_task_id is not None:
        last["kling_task_id"] = s.kling_task_id
    if s.model is not None:
        last["model"] = s.model
    if s.expires_at is not None:
        last["expires_at"] = _utc(s.expires_at)
    if unknown and isinstance(unknown, dict):
        for k, v in unknown.items():
            if k not in _LAST_KEYS:
                last[k] = v
    return last


def _error_table(e: FetchError, unknown: Any) -> dict[str, Any]:
    err: dict[str, Any] = {"type": e.type.value, "message": e.message, "at": _utc(e.at)}
    if e.status_code is not None:
        err["status_code"] = e.status_code
    if e.code is not None:
        err["code"] = e.code
    if e.retry_after is not None:
        err["retry_after"] = e.retry_after
    if unknown and isinstance(unknown, dict):
        for k, v in unknown.items():
            if k not in _ERROR_KEYS:
                err[k] = v
    return err


def entry_to_table(entry: WatchEntry) -> dict[str, Any]:
    """One ``[[tasks]]`` table. Keys that are ``None`` are omitted (TOML has no null).

    Known keys come first so a person reading the file sees them in a stable order; keys
    from ``entry.extra`` follow. ``TaskSnapshot.raw`` (the server's whole answer) is not
    written: it is bulky and only for the live detail pane. This runs for every entry on
    every save, so it is plain dict building, no generic dataclass walking.
    """
    t: dict[str, Any] = {"id": entry.task_id, "kind": entry.kind, "gateway": entry.gateway}
    if entry.external:
        t["external"] = True
    if entry.label is not None:
        t["label"] = entry.label
    t["added_at"] = _utc(entry.added_at)
    if entry.base_url is not None:
        t["base_url"] = _strip_userinfo(entry.base_url)
    if entry.path_prefix is not None:
        t["path_prefix"] = entry.path_prefix
    # Read once: the poller replaces these on the event loop while a save runs in a worker.
    extra, snapshot, error = entry.extra, entry.snapshot, entry.last_error
    since = entry.state_since
    if extra:
        for k, v in extra.items():
            if k not in ENTRY_KEYS:
                t[k] = v
    if snapshot is not None:
        last = t["last"] = _snapshot_table(
            snapshot, extra.get("last") if extra else None, entry.task_id
        )
        if snapshot.progress_synthetic:
            last["progress_synthetic"] = True
        if since is not None and not snapshot.status.terminal:  # stuck detection only
            last["state_since"] = _utc(min(since, snapshot.fetched_at))
    if error is not None:
        t["error"] = _error_table(error, extra.get("error") if extra else None)
    files, download_error = entry.local_files, entry.download_error
    if files:
        t["local_files"] = [
            {
                "path": f.path,
                "size": f.size,
                "sha256": f.sha256,
                "url": _strip_userinfo(f.url),
                "n": f.n,
                "role": f.role,
            }
            for f in files
        ]
    if download_error is not None:
        t["download_error"] = download_error
    return t
