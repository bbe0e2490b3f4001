"""The watch-list table's keys and limits, and the per-field readers the loader is built of.

Each reader (``_dt``, ``_opt_str``, ``_opt_clean``, ``_opt_num``, ``_choice``, ``_url_rule``,
``_video_from``, ``_error_from``, ``_check_id``, ``_check_kind``...) checks one field of a
``[[tasks]]`` table and raises :class:`~kling_tui.store.errors.EntryInvalid` naming it; the
``_plain*`` tests are the read path's fast checks for a well-formed value. :func:`check_kept`
and :func:`show` guard and word unknown keys. Apart from ``codec.py`` (which assembles an entry
from these) so that the writer and the savable test can share the keys without a cycle.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from kling_tui.gateway.fields import (
    ID_LIMIT,
    MAX_IMAGE_INDEX,
    MAX_ITEMS,
    MESSAGE_LIMIT,
    URL_LIMIT,
    WORD_LIMIT,
)
from kling_tui.gateway.ids import InvalidTaskId, validate_task_id
from kling_tui.gateway.sanitize import clean_text
from kling_tui.gateway.urls import UrlRuleError
from kling_tui.kinds import KIND_SPECS, parse_kind
from kling_tui.models import (
    LOCAL_FILE_ROLES,
    ErrorType,
    FetchError,
    Image,
    LocalFile,
    Status,
    TaskSnapshot,
    Video,
)
from kling_tui.store.errors import EntryInvalid

LABEL_LIMIT = 500
"""Labels are the operator's own short notes; a longer one is cut (with ``…``) on entry."""
GATEWAY_NAME_LIMIT = 100

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
        "local_files",
        "download_error",
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
        "quota",
        "kling_task_id",
        "model",
        "progress_synthetic",
        "state_since",
        "expires_at",
    }
)
_ERROR_KEYS = frozenset({"type", "message", "at", "status_code", "code", "retry_after"})
LOCAL_FILE_KEYS = ("path", "size", "sha256", "url", "n", "role")
"""The keys of one ``[[tasks.local_files]]`` table, in the order they are written."""
MAX_LOCAL_FILES = 3 * MAX_ITEMS
"""``local_files``: at most one file per video, image and watermarked copy of a task."""
LOCAL_PATH_LIMIT = 4096
"""``local_files.path``: PATH_MAX on Linux."""
LOCAL_SIZE_MAX = 2**53
"""``local_files.size`` in 0..2**53 bytes (8 PiB: any file a disk holds, exact in JSON)."""
_SHA256_HEX = frozenset("0123456789abcdef")
_ROLES: dict[str, str] = {r: r for r in LOCAL_FILE_ROLES}


_T = TypeVar("_T")


def _utc(value: datetime) -> datetime:
    """Aware UTC, cheaply: the common case (already UTC) is an identity check."""
    tz = value.tzinfo
    if tz is UTC:
        return value
    if tz is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


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


def _local_file_from(raw: Any) -> LocalFile:
    """One ``[[tasks.local_files]]`` table: every field required, each in its range."""
    if not isinstance(raw, dict):
        raise EntryInvalid(f"local_files must hold tables, got {show(raw)}")
    unknown = [k for k in raw if k not in LOCAL_FILE_KEYS]
    if unknown:
        raise EntryInvalid(f"local_files has an unknown key {show(unknown[0])}")
    path = clean_text(_str(raw.get("path"), "local_files.path"), LOCAL_PATH_LIMIT)
    if not path.startswith("/") and not (len(path) > 2 and path[1] == ":"):
        raise EntryInvalid(f"local_files.path must be an absolute path, got {show(path)}")
    size = raw.get("size")
    if type(size) is not int or not 0 <= size <= LOCAL_SIZE_MAX:
        raise EntryInvalid(f"local_files.size must be a whole number in 0..2**53, got {show(size)}")
    digest = raw.get("sha256")
    if type(digest) is not str or len(digest) != 64 or not _SHA256_HEX.issuperset(digest):
        raise EntryInvalid(
            f"local_files.sha256 must be 64 lowercase hex digits, got {show(digest)}"
        )
    n = raw.get("n")
    if type(n) is not int or not 0 <= n <= MAX_IMAGE_INDEX:
        raise EntryInvalid(
            f"local_files.n must be a whole number in 0..{MAX_IMAGE_INDEX}, got {show(n)}"
        )
    return LocalFile(
        path=path,
        size=size,
        sha256=digest,
        url=clean_text(_str(raw.get("url"), "local_files.url"), URL_LIMIT),
        n=n,
        role=_choice(raw, "role", _ROLES, "local_files"),
    )


def _local_files_from(raw: Any) -> tuple[LocalFile, ...]:
    """``local_files``: an array of at most :data:`MAX_LOCAL_FILES` tables."""
    if not isinstance(raw, list | tuple):
        raise EntryInvalid(f"local_files must be an array of tables, got {show(raw)}")
    if len(raw) > MAX_LOCAL_FILES:
        raise EntryInvalid(f"local_files holds {len(raw)} files, over {MAX_LOCAL_FILES}")
    return tuple(_local_file_from(f) for f in raw)
