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


def _put(table: dict[str, Any], **values: Any) -> dict[str, Any]:
    """Add the values that are not ``None`` to ``table``, in order (TOML has no null)."""
    for key, value in values.items():
        if value is not None:
            table[key] = value
    return table


def _keep_unknown(table: dict[str, Any], unknown: Any, known: frozenset[str]) -> None:
    """Carry over keys a newer version (or a person) wrote that this version does not know."""
    if unknown and isinstance(unknown, dict):
        for k, v in unknown.items():
            if k not in known:
                table[k] = v


def _video_table(v: Video) -> dict[str, Any]:
    # Written out, not ``_put``: once per video on every save and import (a keyword call
    # per video cost three times as much).
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


_ALWAYS_WRITTEN = frozenset({"status_raw", "message"})
"""Keys of ``last`` written even when None (only looked up for a None value)."""


def _snapshot_table(s: TaskSnapshot, unknown: Any, entry_id: str) -> dict[str, Any]:
    """The ``last`` table: every key in the file's order, then the ``None`` ones dropped,
    but for ``status_raw`` and ``message``, always written as they were before: a None one
    (a caller's mistake; both are ``str``) must reach the loader, which refuses it, so
    ``check_new_entry`` refuses the entry rather than keep a None text in memory and write
    a file without it.

    Once per entry on every save and import: one dict display and one comprehension are
    a third cheaper than ``_put`` calls with keywords (10,000 entries at an import).
    """
    created, updated, expires, parent = s.created_at, s.updated_at, s.expires_at, s.parent_video
    full: dict[str, Any] = {
        # the answer's own id (Kling's, for an external id): kept when it differs
        "task_id": None if s.task_id == entry_id else s.task_id,
        "status": s.status.value,
        "status_raw": s.status_raw,
        "progress": s.progress,
        "message": s.message,
        "external_task_id": s.external_task_id,
        "created_at": None if created is None else _utc(created),
        "updated_at": None if updated is None else _utc(updated),
        "fetched_at": _utc(s.fetched_at),
        "videos": [_video_table(v) for v in s.videos] if s.videos else None,
        "images": [
            _put({}, index=i.index, url=i.url, watermark_url=i.watermark_url) for i in s.images
        ]
        if s.images
        else None,
        "parent_video": None if parent is None else _video_table(parent),
        "final_unit_deduction": s.final_unit_deduction,
        "quota": s.quota,
        "kling_task_id": s.kling_task_id,
        "model": s.model,
        "expires_at": None if expires is None else _utc(expires),
    }
    last = {k: v for k, v in full.items() if v is not None or k in _ALWAYS_WRITTEN}
    _keep_unknown(last, unknown, _LAST_KEYS)
    return last


def _error_table(e: FetchError, unknown: Any) -> dict[str, Any]:
    err: dict[str, Any] = {"type": e.type.value, "message": e.message, "at": _utc(e.at)}
    _put(err, status_code=e.status_code, code=e.code, retry_after=e.retry_after)
    _keep_unknown(err, unknown, _ERROR_KEYS)
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
    _keep_unknown(t, extra, ENTRY_KEYS)
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
