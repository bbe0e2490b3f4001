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
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from kling_tui.gateway.fields import (
    ID_LIMIT,
    MAX_IMAGE_INDEX,
    MAX_ITEMS,
    MAX_UNITS,
    MESSAGE_LIMIT,
    URL_LIMIT,
    WORD_LIMIT,
)
from kling_tui.gateway.ids import InvalidTaskId, validate_task_id
from kling_tui.gateway.sanitize import clean_text
from kling_tui.gateway.urls import UrlRuleError, check_base_url, check_path_prefix
from kling_tui.kinds import KIND_SPECS, parse_kind
from kling_tui.models import (
    ErrorType,
    FetchError,
    Image,
    Status,
    TaskSnapshot,
    Video,
    WatchEntry,
    utcnow,
)
from kling_tui.store.errors import EntryInvalid, WatchListError

FORMAT_VERSION = 1
LABEL_LIMIT = 500
"""Labels are the operator's own short notes; a longer one is cut (with ``…``) on entry."""
GATEWAY_NAME_LIMIT = 100

HEADER = (
    "# kling-tui watch list. Safe to edit by hand (comments are not kept on rewrite).\n"
    '# Format: see the README, section "The watch list".\n\n'
)

_KIND_NAMES = ", ".join(k.value for k in KIND_SPECS)
_KIND_VALUES: dict[str, str] = {k.value: k.value for k in KIND_SPECS}
"""Each stored kind name to itself: one shared string for 10,000 tasks' kinds."""
EARLIEST_STATE_SINCE = datetime(2000, 1, 1, tzinfo=UTC)
"""``last.state_since`` is kept in EARLIEST_STATE_SINCE..``last.fetched_at`` (a later one is
read as ``fetched_at``: the state cannot have been seen before it was fetched)."""
MAX_IMAGES = MAX_ITEMS
"""``last.images`` and ``last.final_unit_deduction`` use the normalizer's caps (fields.py)."""
_STATUSES: dict[str, Status] = {s.value: s for s in Status}
_ERROR_TYPES: dict[str, ErrorType] = {t.value: t for t in ErrorType}
ENTRY_KEYS = frozenset(
    {
        "id",
        "kind",
        "gateway",
        "external",
        "label",
        "added_at",
        "base_url",
        "path_prefix",
        "last",
        "error",
    }
)
_LAST_KEYS = frozenset(
    {
        "task_id",
        "status",
        "status_raw",
        "progress",
        "message",
        "external_task_id",
        "created_at",
        "updated_at",
        "fetched_at",
        "videos",
        "images",
        "parent_video",
        "final_unit_deduction",
        "kling_task_id",
        "model",
        "progress_synthetic",
        "state_since",
    }
)
_ERROR_KEYS = frozenset({"type", "message", "at", "status_code", "code", "retry_after"})


_T = TypeVar("_T")


def _utc(value: datetime) -> datetime:
    """Aware UTC, cheaply: the common case (already UTC) is an identity check."""
    tz = value.tzinfo
    if tz is UTC:
        return value
    if tz is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


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
    if s.kling_task_id is not None:
        last["kling_task_id"] = s.kling_task_id
    if s.model is not None:
        last["model"] = s.model
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
    return t


INT64 = range(-(2**63), 2**63)
"""TOML integers are 64-bit; toml_rs builds any size (and Python cannot print one of over
4,300 digits: a save or an error message would end in a traceback)."""


MAX_KEPT_DEPTH = 32
"""How deep unknown keys may nest: tables in tables in arrays... (a hand edit has two or
three levels; 5,000 levels would overflow the stack of whatever walks or writes them)."""


def _past_int64(value: Any) -> bool:
    """An integer (not a bool) TOML cannot hold: the one test of :func:`check_kept` and
    :func:`show`."""
    return isinstance(value, int) and not isinstance(value, bool) and value not in INT64


def check_kept(value: Any, what: str) -> None:
    """Keys kept as they are (unknown ones) must be writable again: no integer past 64 bits,
    no nesting past :data:`MAX_KEPT_DEPTH`. Walks only the unknown keys, which are few;
    known ones are checked by their type. Iterative, so depth cannot blow the stack."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if _past_int64(item):
            raise EntryInvalid(
                f"not valid TOML: {what} holds an integer over 64 bits ({item.bit_length()} bits)"
            )
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        if children and depth >= MAX_KEPT_DEPTH:
            raise EntryInvalid(f"{what} nests more than {MAX_KEPT_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in children)


def show(value: Any) -> str:
    """A short, escaped rendering of a bad value for an error message."""
    if _past_int64(value):
        return f"an integer of {value.bit_length()} bits"
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in value) or "no keys"
        text = f"a table with keys {keys}"
    else:
        text = f"{type(value).__name__} {value!r}"
    return text if len(text) <= 80 else text[:79] + "…"


def _dt(value: Any, what: str) -> datetime:
    if type(value) is datetime:
        return _utc(value)
    if isinstance(value, str):  # hand edits: "2026-11-22T10:00:00Z" in quotes
        try:
            return _utc(datetime.fromisoformat(value))
        except ValueError:
            raise EntryInvalid(f"{what} must be a date-time, got {show(value)}") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        raise EntryInvalid(f"{what} must be a date-time with a time of day, got {value}")
    raise EntryInvalid(f"{what} must be a date-time, got {show(value)}")


def _opt_dt(table: dict[str, Any], key: str, what: str) -> datetime | None:
    value = table.get(key)
    return None if value is None else _dt(value, what)


def _str(value: Any, what: str) -> str:
    if type(value) is not str:
        raise EntryInvalid(f"{what} must be a string, got {show(value)}")
    return value


def _opt_str(table: dict[str, Any], key: str, what: str) -> str | None:
    value = table.get(key)
    if value is None or type(value) is str:
        return value
    raise EntryInvalid(f"{what} must be a string, got {show(value)}")


def _opt_clean(table: dict[str, Any], key: str, what: str, limit: int) -> str | None:
    """An optional text field, cleaned for the terminal (see the module docstring)."""
    value = _opt_str(table, key, what)
    return None if value is None else clean_text(value, limit)


def _plain_text(value: Any, limit: int) -> bool:
    """``value`` is a string ``clean_text`` returns unchanged (printable, at most ``limit``
    long): the read path's fast test. Anything else goes through the full check
    (``_opt_clean``, ``_str``...), which cleans it or names what is wrong, as before."""
    return type(value) is str and len(value) <= limit and value.isprintable()


def _plain(value: Any, limit: int) -> bool:
    """Absent, or :func:`_plain_text`."""
    return value is None or (type(value) is str and len(value) <= limit and value.isprintable())


def _plain_time(value: Any) -> bool:
    """Absent, or a datetime ``_dt`` returns unchanged (aware UTC, as toml_rs reads ``Z``)."""
    return value is None or (type(value) is datetime and value.tzinfo is UTC)


def _plain_number(value: Any) -> bool:
    """Absent, or a finite float ``_opt_num`` returns unchanged (``nan`` fails both tests)."""
    return value is None or (type(value) is float and -_FLOAT_MAX <= value <= _FLOAT_MAX)


_FLOAT_MAX = sys.float_info.max
_ABSENT: tuple[()] = ()
"""The default of ``last.videos`` / ``last.images``: told apart from an empty array by identity."""


def _url_rule(table: dict[str, Any], key: str, check: Any) -> str | None:
    """``base_url`` / ``path_prefix`` of an entry: the config's own rule (``check``)."""
    value = _opt_str(table, key, key)
    if value is None:
        return None
    try:
        return check(value)
    except UrlRuleError as exc:
        got = f", got {show(value)}" if exc.echo else ""
        raise EntryInvalid(f"{key} must be {exc.expected}{got}") from None


def _opt_num(table: dict[str, Any], key: str, what: str) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Finite only: ``nan`` / ``inf`` (valid TOML) would reach ``ls --json`` as ``NaN``,
        # which is not JSON, and an int no float holds raised OverflowError here.
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if math.isfinite(number):
            return number
        raise EntryInvalid(f"{what} must be a finite number, got {show(value)}")
    raise EntryInvalid(f"{what} must be a number, got {show(value)}")


def _choice(table: dict[str, Any], key: str, choices: Mapping[str, _T], where: str) -> _T:
    """A required word that must be one of ``choices``; the message lists them."""
    word = table.get(key)
    value = choices.get(word) if type(word) is str else None
    if value is None:
        raise EntryInvalid(
            f"{where}.{key} must be one of {', '.join(choices)}, got {show(word)}"
            if word is not None
            else f"{where}.{key} is missing"
        )
    return value


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
    videos: tuple[Video, ...] = ()
    if raw_videos is not _ABSENT:
        if not isinstance(raw_videos, list | tuple):
            raise EntryInvalid(f"last.videos must be an array of tables, got {show(raw_videos)}")
        found = []
        for v in raw_videos:
            if not isinstance(v, dict):
                raise EntryInvalid(f"last.videos must hold tables, got {show(v)}")
            found.append(_video_from(v, "video"))
        videos = tuple(found)
    parent = get("parent_video")
    if parent is not None and not isinstance(parent, dict):
        raise EntryInvalid(f"last.parent_video must be a table, got {show(parent)}")
    cost = get("final_unit_deduction")
    if not _plain_number(cost):
        cost = _opt_num(last, "final_unit_deduction", "last.final_unit_deduction")
    if cost is not None and not 0 <= cost <= MAX_UNITS:
        raise EntryInvalid(f"last.final_unit_deduction must be in 0..{MAX_UNITS:.0e}, got {cost}")
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
    created = get("created_at")
    if not _plain_time(created):
        created = _opt_dt(last, "created_at", "last.created_at")
    updated = get("updated_at")
    if not _plain_time(updated):
        updated = _opt_dt(last, "updated_at", "last.updated_at")
    if not (type(fetched) is datetime and fetched.tzinfo is UTC):
        fetched = _dt(fetched, "last.fetched_at")
    raw_images = get("images", _ABSENT)
    images = () if raw_images is _ABSENT else _images_from(raw_images)
    kling_id = get("kling_task_id")
    model = get("model")
    synthetic = get("progress_synthetic", False)
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
        parent_video=_video_from(parent, "parent video") if parent is not None else None,
        final_unit_deduction=cost,
        kling_task_id=kling_id
        if _plain(kling_id, ID_LIMIT)
        else _opt_clean(last, "kling_task_id", "last.kling_task_id", ID_LIMIT),
        model=model
        if _plain(model, WORD_LIMIT)
        else _opt_clean(last, "model", "last.model", WORD_LIMIT),
        progress_synthetic=synthetic
        if type(synthetic) is bool
        else _opt_bool(last, "progress_synthetic", "last.progress_synthetic"),
    )


def _opt_bool(table: dict[str, Any], key: str, what: str) -> bool:
    value = table.get(key, False)
    if type(value) is not bool:
        raise EntryInvalid(f"{what} must be true or false, got {show(value)}")
    return value


def _state_since_from(last: dict[str, Any], snapshot: TaskSnapshot) -> datetime | None:
    """``last.state_since``, in its range (:data:`EARLIEST_STATE_SINCE`)."""
    since = _opt_dt(last, "state_since", "last.state_since")
    if since is None:
        return None
    if since < EARLIEST_STATE_SINCE:
        raise EntryInvalid(f"last.state_since must be 2000-01-01 or later, got {since}")
    return min(since, snapshot.fetched_at)


def _video_from(v: dict[str, Any], what: str) -> Video:
    get = v.get
    video_id, url, duration, marked = get("id"), get("url"), get("duration"), get("watermark_url")
    if (
        _plain(video_id, ID_LIMIT)
        and _plain(url, URL_LIMIT)
        and _plain_number(duration)
        and _plain(marked, URL_LIMIT)
    ):  # well-formed (see _snapshot_from); else the full checks, in their order
        return Video(video_id, url, duration, marked)
    return Video(
        id=_opt_clean(v, "id", f"{what} id", ID_LIMIT),
        url=_opt_clean(v, "url", f"{what} url", URL_LIMIT),
        duration=_opt_num(v, "duration", f"{what} duration"),
        watermark_url=_opt_clean(v, "watermark_url", f"{what} watermark_url", URL_LIMIT),
    )


def _images_from(raw: Any) -> tuple[Image, ...]:
    if not isinstance(raw, list | tuple):
        raise EntryInvalid(f"last.images must be an array of tables, got {show(raw)}")
    if len(raw) > MAX_IMAGES:
        raise EntryInvalid(f"last.images holds {len(raw)} images, over {MAX_IMAGES}")
    images = []
    for i in raw:
        if not isinstance(i, dict):
            raise EntryInvalid(f"last.images must hold tables, got {show(i)}")
        index = i.get("index")
        if index is not None and (type(index) is not int or not 0 <= index <= MAX_IMAGE_INDEX):
            raise EntryInvalid(
                f"image index must be an integer in 0..{MAX_IMAGE_INDEX}, got {show(index)}"
            )
        images.append(
            Image(
                index=index,
                url=_opt_clean(i, "url", "image url", URL_LIMIT),
                watermark_url=_opt_clean(i, "watermark_url", "image watermark_url", URL_LIMIT),
            )
        )
    return tuple(images)


def _error_from(err: Any) -> FetchError:
    if not isinstance(err, dict):
        raise EntryInvalid(f"error must be a table, got {show(err)}")
    etype = _choice(err, "type", _ERROR_TYPES, "error")
    at = err.get("at")
    if at is None:
        raise EntryInvalid("error.at is missing")
    status_code = err.get("status_code")
    if status_code is not None and (type(status_code) is not int):
        raise EntryInvalid(f"error.status_code must be an integer, got {show(status_code)}")
    return FetchError(
        type=etype,
        message=clean_text(_str(err.get("message", ""), "error.message"), MESSAGE_LIMIT),
        status_code=status_code,
        code=_opt_clean(err, "code", "error.code", WORD_LIMIT),
        retry_after=_opt_num(err, "retry_after", "error.retry_after"),
        at=_dt(at, "error.at"),
    )


def _check_id(raw: Any) -> str:
    """The shared id rule; a TOML integer id (hand edit without quotes) is accepted too."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if type(raw) is not str:
        raise EntryInvalid(f"id must be a string, got {show(raw)}")
    try:
        return validate_task_id(raw)
    except InvalidTaskId as exc:
        raise EntryInvalid(f"id is not valid: {exc}") from None


def _check_kind(kind: Any) -> str:
    """A stored kind name; a hand edit may write a short label or path (``lip``), which is
    stored as the kind's name on the next save."""
    name = _KIND_VALUES.get(kind) if type(kind) is str else None
    if name is not None:  # the stored name itself (what every save writes)
        return name
    checked = parse_kind(kind) if type(kind) is str else None
    if checked is None:
        raise EntryInvalid(f"kind must be one of {_KIND_NAMES}, got {show(kind)}")
    return checked.value


def read_entry(table: Any) -> WatchEntry:
    if not isinstance(table, dict) or "id" not in table or "kind" not in table:
        raise EntryInvalid(f"expected a table with id and kind, got {show(table)}")
    task_id = _check_id(table["id"])
    try:
        kind = _check_kind(table["kind"])
        gateway = table.get("gateway")
        if type(gateway) is not str or not gateway:
            raise EntryInvalid(
                "gateway is missing"
                if gateway is None
                else f"gateway must be a non-empty string, got {show(gateway)}"
            )
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
    if not isinstance(entry, WatchEntry):
        raise TypeError(f"expected a WatchEntry, got {type(entry).__name__}")
    task_id = validate_task_id(entry.task_id)
    if task_id != entry.task_id:
        entry = replace(entry, task_id=task_id)
    if not plainly_savable(entry):
        _check_savable(entry)
    return entry


def _finite(value: object) -> bool:
    return type(value) is float and value - value == 0.0  # inf - inf and nan - nan are nan


def _text(value: object) -> bool:
    return value is None or type(value) is str


def _utc_time(value: object) -> bool:
    return type(value) is datetime and value.tzinfo is UTC  # ``_utc`` keeps it as it is


def _plain_video(v: object) -> bool:
    return (
        type(v) is Video
        and _text(v.id)
        and _text(v.url)
        and _text(v.watermark_url)
        and (v.duration is None or _finite(v.duration))
    )


def _plain_snapshot(s: object) -> bool:
    if type(s) is not TaskSnapshot:
        return False
    cost, progress, images = s.final_unit_deduction, s.progress, s.images
    return (
        type(s.status) is Status
        and type(s.task_id) is str
        and type(s.status_raw) is str
        and type(s.message) is str
        and _text(s.external_task_id)
        and _text(s.kling_task_id)
        and _text(s.model)
        and _utc_time(s.fetched_at)
        and (s.created_at is None or _utc_time(s.created_at))
        and (s.updated_at is None or _utc_time(s.updated_at))
        and (progress is None or _finite(progress))
        and (cost is None or (_finite(cost) and 0 <= cost <= MAX_UNITS))
        and type(s.progress_synthetic) is bool
        and type(s.videos) is tuple
        and (not s.videos or all(_plain_video(v) for v in s.videos))
        and (s.parent_video is None or _plain_video(s.parent_video))
        and type(images) is tuple
        and len(images) <= MAX_IMAGES
        and (
            not images
            or all(
                type(i) is Image
                and _text(i.url)
                and _text(i.watermark_url)
                and (i.index is None or (type(i.index) is int and 0 <= i.index <= MAX_IMAGE_INDEX))
                for i in images
            )
        )
    )


def plainly_savable(entry: WatchEntry) -> bool:
    """A cheap sufficient test for :func:`check_new_entry`: True when the entry has the
    plain form an import or ``add`` builds (no unknown keys, no own address, no error, no
    ``state_since``) and every field the loader checks has a type and range it accepts
    (texts are str, times aware UTC, numbers finite floats in range, kinds exact names).

    Then writing it and reading it back cannot fail, so the round trip is skipped: 10,000
    imported entries are checked in a few milliseconds rather than a tenth of a second.
    False says nothing but "not plain": the round trip decides. Held to the round trip by
    ``tests/unit/test_codec_plainly_savable.py`` (True never where the loader refuses).
    """
    return (
        type(entry) is WatchEntry
        and type(entry.kind) is str
        and entry.kind in _KIND_VALUES
        and type(entry.gateway) is str
        and entry.gateway != ""
        and type(entry.external) is bool
        and _text(entry.label)
        and entry.base_url is None
        and entry.path_prefix is None
        and not entry.extra
        and entry.last_error is None
        and entry.state_since is None
        and _utc_time(entry.added_at)
        and (entry.snapshot is None or _plain_snapshot(entry.snapshot))
    )


def _check_savable(entry: WatchEntry) -> None:
    try:
        read_entry(entry_to_table(entry))
    except EntryInvalid as exc:
        raise ValueError(f"cannot save {exc}") from None
    except (AttributeError, TypeError) as exc:  # e.g. added_at is not a datetime
        raise ValueError(f"cannot save task {entry.task_id}: {exc}") from None
