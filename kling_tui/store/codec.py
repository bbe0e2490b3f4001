"""Between ``[[tasks]]`` TOML tables and :class:`~kling_tui.models.WatchEntry` objects.

Writing: :func:`entry_to_table` (known keys first in a stable order, then the unknown keys
kept from the file). Reading: :func:`entries_from_doc` checks a parsed document and builds
the entries, cleaning every text field with :func:`~kling_tui.gateway.sanitize.clean_text` and
applying the config's URL rules to ``base_url``/``path_prefix``; anything wrong raises
:class:`~kling_tui.store.errors.WatchListError` naming the line.

Unknown keys of a task's table live in ``WatchEntry.extra``. Unknown keys *inside* the
task's ``[tasks.last]`` / ``[tasks.error]`` tables live in ``extra["last"]`` /
``extra["error"]`` (each a dict) and are merged back into those tables on write, as long
as the task still has a snapshot / an error (a new error replaces the old one's table but
keeps these keys; a successful fetch drops the error table, and its unknown keys with it).

The module is split (move only): the keys, limits and per-field readers live in
``codec_fields``, the writer in ``codec_write``, the savable test in ``codec_savable``; this
module keeps the entry-level reader and the checks of a new entry, and re-exports the public
names of the others so every import from ``kling_tui.store.codec`` works as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kling_tui.gateway.fields import (
    ID_LIMIT,
    MAX_UNITS,
    MESSAGE_LIMIT,
    WORD_LIMIT,
)
from kling_tui.gateway.ids import validate_task_id
from kling_tui.gateway.sanitize import clean_text
from kling_tui.gateway.urls import check_base_url, check_path_prefix
from kling_tui.models import (
    TaskSnapshot,
    Video,
    WatchEntry,
    utcnow,
)
from kling_tui.store.codec_fields import (
    _ABSENT,
    _ERROR_KEYS,
    _LAST_KEYS,
    _STATUSES,
    EARLIEST_STATE_SINCE,
    ENTRY_KEYS,
    GATEWAY_NAME_LIMIT,
    INT64,
    LABEL_LIMIT,
    MAX_IMAGES,
    MAX_KEPT_DEPTH,
    _check_id,
    _check_kind,
    _choice,
    _dt,
    _error_from,
    _images_from,
    _local_files_from,
    _opt_bool,
    _opt_clean,
    _opt_dt,
    _opt_num,
    _plain,
    _plain_number,
    _plain_text,
    _plain_time,
    _state_since_from,
    _str,
    _url_rule,
    _video_from,
    check_kept,
    show,
)
from kling_tui.store.codec_savable import plainly_savable
from kling_tui.store.codec_write import entry_to_table
from kling_tui.store.errors import EntryInvalid, WatchListError

__all__ = [
    "EARLIEST_STATE_SINCE",
    "ENTRY_KEYS",
    "FORMAT_VERSION",
    "GATEWAY_NAME_LIMIT",
    "HEADER",
    "INT64",
    "LABEL_LIMIT",
    "MAX_IMAGES",
    "MAX_KEPT_DEPTH",
    "check_kept",
    "check_new_entry",
    "check_new_entry_plain",
    "entry_from_table",
    "entry_to_table",
    "plainly_savable",
    "read_entry",
    "show",
]

FORMAT_VERSION = 1

HEADER = (
    "# kling-tui watch list. Safe to edit by hand (comments are not kept on rewrite).\n"
    '# Format: see the README, section "The watch list".\n\n'
)


def _videos_from(raw: Any) -> tuple[Video, ...]:
    """``last.videos`` when present: an array of video tables."""
    if not isinstance(raw, list | tuple):
        raise EntryInvalid(f"last.videos must be an array of tables, got {show(raw)}")
    found = []
    for v in raw:
        if not isinstance(v, dict):
            raise EntryInvalid(f"last.videos must hold tables, got {show(v)}")
        found.append(_video_from(v, "video"))
    return tuple(found)


# The full checks of a group of ``[tasks.last]`` fields, called only when one of the group
# fails its fast test (a plain value comes back unchanged from its full check, so the
# group is checked as a whole, in the order as ever: the first bad field names itself).


def _units_from(last: dict[str, Any]) -> tuple[float | None, float | None]:
    cost = _opt_num(last, "final_unit_deduction", "last.final_unit_deduction")
    if cost is not None and not 0 <= cost <= MAX_UNITS:
        raise EntryInvalid(f"last.final_unit_deduction must be in 0..{MAX_UNITS:.0e}, got {cost}")
    return cost, _opt_num(last, "quota", "last.quota")


def _times_from(last: dict[str, Any]) -> tuple[datetime | None, ...]:
    return (
        _opt_dt(last, "created_at", "last.created_at"),
        _opt_dt(last, "updated_at", "last.updated_at"),
        _opt_dt(last, "expires_at", "last.expires_at"),
    )


def _tail_from(last: dict[str, Any]) -> tuple[str | None, str | None, bool]:
    return (
        _opt_clean(last, "kling_task_id", "last.kling_task_id", ID_LIMIT),
        _opt_clean(last, "model", "last.model", WORD_LIMIT),
        _opt_bool(last, "progress_synthetic", "last.progress_synthetic"),
    )


def _snapshot_from(last: Any, task_id: str, kind: str) -> TaskSnapshot:
    """The snapshot of ``[tasks.last]``. Each field is first given a fast test for the
    well-formed value (``_plain``...: the value as the dashboard writes it, which the full
    check would return unchanged); only a value that fails it goes through the full check,
    in the same order as ever, which cleans it or raises the same message. This runs for
    every task of a cold start (10,000 in bench/run.py ``startup_cold_ratio_10k``)."""
    if not isinstance(last, dict):
        raise EntryInvalid(f"last must be a table, got {show(last)}")
    get = last.get
    word = get("status")
    status = _STATUSES.get(word) if type(word) is str else None
    if status is None:
        status = _choice(last, "status", _STATUSES, "last")  # raises, naming the choices
    fetched = get("fetched_at")
    if fetched is None:
        raise EntryInvalid("last.fetched_at is missing")
    raw_videos = get("videos", _ABSENT)
    videos = () if raw_videos is _ABSENT else _videos_from(raw_videos)
    parent = get("parent_video")
    if parent is not None and not isinstance(parent, dict):
        raise EntryInvalid(f"last.parent_video must be a table, got {show(parent)}")
    cost, quota = get("final_unit_deduction"), get("quota")
    if not (_plain_number(cost) and _plain_number(quota)):
        cost, quota = _units_from(last)
    if cost is not None and not 0 <= cost <= MAX_UNITS:
        raise EntryInvalid(f"last.final_unit_deduction must be in 0..{MAX_UNITS:.0e}, got {cost}")
    if quota is not None and not 0 <= quota <= MAX_UNITS:
        raise EntryInvalid(f"last.quota must be in 0..{MAX_UNITS:.0e}, got {quota}")
    status_raw = get("status_raw", word)
    message = get("message", "")
    answer_id = get("task_id")
    if not _plain(answer_id, ID_LIMIT):
        answer_id = _opt_clean(last, "task_id", "last.task_id", ID_LIMIT)
    # The keyword arguments below, in this order: what the full checks meet first.
    if not _plain_text(status_raw, WORD_LIMIT):
        status_raw = clean_text(_str(status_raw, "last.status_raw"), WORD_LIMIT)
    progress = get("progress")
    if not _plain_number(progress):
        progress = _opt_num(last, "progress", "last.progress")
    if not _plain_text(message, MESSAGE_LIMIT):
        message = clean_text(_str(message, "last.message"), MESSAGE_LIMIT)
    external_id = get("external_task_id")
    if not _plain(external_id, ID_LIMIT):
        external_id = _opt_clean(last, "external_task_id", "last.external_task_id", ID_LIMIT)
    created, updated, expires = get("created_at"), get("updated_at"), get("expires_at")
    if not (_plain_time(created) and _plain_time(updated) and _plain_time(expires)):
        created, updated, expires = _times_from(last)
    if not (type(fetched) is datetime and fetched.tzinfo is UTC):
        fetched = _dt(fetched, "last.fetched_at")
    raw_images = get("images", _ABSENT)
    images = () if raw_images is _ABSENT else _images_from(raw_images)
    parent_video = _video_from(parent, "parent video") if parent is not None else None
    kling_id, model = get("kling_task_id"), get("model")
    synthetic = get("progress_synthetic", False)
    if not (_plain(kling_id, ID_LIMIT) and _plain(model, WORD_LIMIT) and type(synthetic) is bool):
        kling_id, model, synthetic = _tail_from(last)
    return TaskSnapshot.build(
        task_id=answer_id or task_id,
        kind=kind,
        status=status,
        status_raw=status_raw,
        progress=progress,
        videos=videos,
        message=message,
        external_task_id=external_id,
        created_at=created,
        updated_at=updated,
        fetched_at=fetched,
        images=images,
        parent_video=parent_video,
        final_unit_deduction=cost,
        kling_task_id=kling_id,
        model=model,
        progress_synthetic=synthetic,
        expires_at=expires,
        quota=quota,
    )


def _bad_gateway(gateway: Any) -> EntryInvalid:
    """What an entry's gateway that is not a non-empty string is told (only then built)."""
    if gateway is None:
        return EntryInvalid("gateway is missing")
    return EntryInvalid(f"gateway must be a non-empty string, got {show(gateway)}")


def read_entry(table: Any) -> WatchEntry:
    if not isinstance(table, dict) or "id" not in table or "kind" not in table:
        raise EntryInvalid(f"expected a table with id and kind, got {show(table)}")
    task_id = _check_id(table["id"])
    try:
        kind = _check_kind(table["kind"])
        gateway = table.get("gateway")
        if type(gateway) is not str or not gateway:
            raise _bad_gateway(gateway)
        added = table.get("added_at")
        external = table.get("external", False)
        if type(external) is not bool:
            raise EntryInvalid(f"external must be true or false, got {show(external)}")
        snapshot = None
        last = table.get("last")
        if last is not None:
            snapshot = _snapshot_from(last, task_id, kind)
        error = None
        err = table.get("error")
        if err is not None:
            error = _error_from(err)
        extra: dict[str, Any] = {}
        if not table.keys() <= ENTRY_KEYS:
            extra = {k: v for k, v in table.items() if k not in ENTRY_KEYS}
        if snapshot is not None and not last.keys() <= _LAST_KEYS:
            extra["last"] = {k: v for k, v in last.items() if k not in _LAST_KEYS}
        if error is not None and not err.keys() <= _ERROR_KEYS:
            extra["error"] = {k: v for k, v in err.items() if k not in _ERROR_KEYS}
        if extra:
            check_kept(extra, "a key kling-tui does not know")
        checked: datetime | None = None
        since: datetime | None = None
        if snapshot is not None:
            checked = snapshot.fetched_at
            if last.get("state_since") is not None:
                since = _state_since_from(last, snapshot)
        if error is not None and (checked is None or error.at > checked):
            checked = error.at
        # Fast tests first as in _snapshot_from; the full checks in the same order as ever.
        if not (type(added) is datetime and added.tzinfo is UTC):
            # A hand-written entry may leave it out: it was added no later than now.
            added = utcnow() if added is None else _dt(added, "added_at")
        label = table.get("label")
        if not _plain(label, LABEL_LIMIT):
            label = _opt_clean(table, "label", "label", LABEL_LIMIT)
        base_url = table.get("base_url")
        if base_url is not None:
            base_url = _url_rule(table, "base_url", check_base_url)
        prefix = table.get("path_prefix")
        if prefix is not None:
            prefix = _url_rule(table, "path_prefix", check_path_prefix)
        raw_files = table.get("local_files")
        local_files = () if raw_files is None else _local_files_from(raw_files)
        download_error = table.get("download_error")
        if download_error is not None:
            download_error = _opt_clean(table, "download_error", "download_error", MESSAGE_LIMIT)
        return WatchEntry(
            task_id=task_id,
            kind=kind,
            gateway=gateway
            if _plain_text(gateway, GATEWAY_NAME_LIMIT)
            else clean_text(gateway, GATEWAY_NAME_LIMIT),
            added_at=added,
            label=label,
            base_url=base_url,
            path_prefix=prefix,
            snapshot=snapshot,
            last_checked=checked,
            last_error=error,
            extra=extra,
            state_since=since,
            external=external,
            local_files=local_files,
            download_error=download_error,
        )
    except EntryInvalid as exc:
        raise EntryInvalid(f"task {task_id}: {exc}") from None


def entry_from_table(
    table: Mapping[str, Any],
    *,
    index: int,
    line: int | None = None,
    path: Path | None = None,
) -> WatchEntry:
    """Rebuild a ``WatchEntry`` from one ``[[tasks]]`` table (``index`` is 0-based).

    Datetimes come back aware UTC (a TOML local date-time is taken as UTC; an ISO string
    from a hand edit is accepted). ``last_checked`` is the later of ``last.fetched_at`` and
    ``error.at``. Anything wrong raises ``WatchListError`` at ``line`` so the operator can
    find the entry; the loader passes ``line=None`` and locates the header only on error.
    """
    try:
        return read_entry(table)
    except EntryInvalid as exc:
        msg = str(exc)
        if line is None and not msg.startswith("task "):
            msg = f"task #{index + 1}: {msg}"
        raise WatchListError(path, line, msg) from None


def check_new_entry(entry: WatchEntry) -> WatchEntry:
    """What ``add``/``restore`` accept: exactly what the loader would accept back.

    Writing something the loader refuses would lock the operator out of their own list,
    so the entry goes through the loader's own checks first and a bad one is refused
    (``InvalidTaskId`` for a bad id, ``ValueError`` otherwise) before the file is touched.
    """
    return check_new_entry_plain(entry)[0]


def check_new_entry_plain(entry: WatchEntry) -> tuple[WatchEntry, bool]:
    """:func:`check_new_entry`, and whether the entry passed as :func:`plainly_savable`
    (a staged add then writes its text directly, ``codec_text``, without testing it again)."""
    if not isinstance(entry, WatchEntry):
        raise TypeError(f"expected a WatchEntry, got {type(entry).__name__}")
    task_id = validate_task_id(entry.task_id)
    if task_id != entry.task_id:
        entry = replace(entry, task_id=task_id)
    if plainly_savable(entry):
        return entry, True
    _check_savable(entry)
    return entry, False


def _check_savable(entry: WatchEntry) -> None:
    try:
        read_entry(entry_to_table(entry))
    except EntryInvalid as exc:
        raise ValueError(f"cannot save {exc}") from None
    except (AttributeError, TypeError) as exc:  # e.g. added_at is not a datetime
        raise ValueError(f"cannot save task {entry.task_id}: {exc}") from None
