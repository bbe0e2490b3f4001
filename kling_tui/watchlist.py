"""The watch list: the operator's working set of tasks, in one hand-editable TOML file.

This is the ONE store. Losing or corrupting it is the worst thing kling-tui can do, so:

* every write is atomic (temporary file in the same directory, ``fsync``, ``os.replace``,
  ``fsync`` of the directory) and keeps the file's mode; a failed write leaves the
  original byte-for-byte intact and removes its temporary file;
* every read-modify-write holds an exclusive ``flock`` on a sidecar ``<name>.lock`` and
  re-reads the file first when it changed on disk, so a dashboard and a script running
  ``kling-tui add`` never lose each other's changes;
* a file that does not parse, or holds an entry this version cannot understand, is never
  overwritten: every mutating call raises :class:`WatchListError` naming the line, and the
  operator fixes the file by hand;
* keys this version does not know are kept on rewrite (top level, per task, and inside a
  task's ``last``/``error`` tables), so a newer kling-tui or a hand edit is not undone.

The file is also *input*, never trusted state: it may be hand-edited or come from
elsewhere. So it is read only if it is a regular file of at most 256 MiB that no one but
its owner can write; every text field is passed through :func:`~kling_tui.sanitize.clean_text`
as it is loaded (so the dashboard, ``ls``, ``watch``, ``wait`` and ``--json`` all get clean
text); an entry's ``base_url`` and ``path_prefix`` must follow the config's URL rules
(:mod:`kling_tui.urls`); and an entry's ``base_url`` alone earns no token (the fetcher's
rule, :mod:`kling_tui.trust`).

Unknown keys of a task's table live in ``WatchEntry.extra``. Unknown keys *inside* the
task's ``[tasks.last]`` / ``[tasks.error]`` tables live in ``extra["last"]`` /
``extra["error"]`` (each a dict) and are merged back into those tables on write, as long
as the task still has a snapshot / an error (a new error replaces the old one's table but
keeps these keys; a successful fetch drops the error table, and its unknown keys with it).

    store = WatchList(watchlist_path(flag, os.environ))
    store.load()                       # [] when the file does not exist yet
    store.add(entries)                 # -> AddResult(added, duplicates)
    removed = store.remove(keys)       # -> removed entries, for undo
    store.restore(removed)             # undo: back at their old positions
    store.update(entries)              # write back snapshots/errors, one write per batch
    store.reload_if_changed()          # another process wrote the file?
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import re
import threading
import time
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import platformdirs
import tomli_w

from kling_tui.atomic import atomic_write
from kling_tui.bulk import collector_paused
from kling_tui.ids import InvalidTaskId, validate_task_id
from kling_tui.models import (
    ErrorType,
    FetchError,
    Kind,
    Status,
    TaskKey,
    TaskSnapshot,
    Video,
    WatchEntry,
    utcnow,
)
from kling_tui.normalize import ID_LIMIT, MESSAGE_LIMIT, URL_LIMIT, WORD_LIMIT
from kling_tui.safe_read import FileRefused, MiB, access_problem, loads_toml, read_regular
from kling_tui.sanitize import clean_text
from kling_tui.urls import UrlRuleError, check_base_url, check_path_prefix

__all__ = [
    "FORMAT_VERSION",
    "WATCHLIST_ENV",
    "AddResult",
    "WatchList",
    "WatchListError",
    "default_watchlist_path",
    "entry_from_table",
    "entry_to_table",
    "new_entries",
    "watchlist_path",
]

FORMAT_VERSION = 1
WATCHLIST_ENV = "KLING_TUI_WATCHLIST"
LOCK_TIMEOUT = 30.0
MAX_WATCHLIST_BYTES = 256 * MiB
"""10,000 tasks take 4.4 MB: far above any real list, far below "reads /dev/zero forever"."""
LABEL_LIMIT = 500
"""Labels are the operator's own short notes; a longer one is cut (with ``…``) on entry."""
GATEWAY_NAME_LIMIT = 100
"""Seconds to wait for another process's read-modify-write (which takes well under one)."""

_HEADER = (
    "# kling-tui watch list. Safe to edit by hand (comments are not kept on rewrite).\n"
    '# Format: see the README, section "The watch list".\n\n'
)

_KINDS: dict[str, str] = {k.value: k.value for k in Kind}
_STATUSES: dict[str, Status] = {s.value: s for s in Status}
_ERROR_TYPES: dict[str, ErrorType] = {t.value: t for t in ErrorType}
_ENTRY_KEYS = frozenset(
    {"id", "kind", "gateway", "label", "added_at", "base_url", "path_prefix", "last", "error"}
)
_LAST_KEYS = frozenset(
    {
        "status",
        "status_raw",
        "progress",
        "message",
        "external_task_id",
        "created_at",
        "updated_at",
        "fetched_at",
        "videos",
    }
)
_ERROR_KEYS = frozenset({"type", "message", "at", "status_code", "code", "retry_after"})
_TOP_KEYS = frozenset({"version", "tasks"})

_NOT_INLINE = {"_": "x" * 200}
"""A table tomli_w cannot write inline (longer than a line): see ``_Chunk.made_for``."""
_TASK_START = "[[tasks]]\n"
_TASK_SEPARATOR = "\n\n[[tasks]]\n"
_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")
_TASKS_HEADER = re.compile(r"""^[ \t]*\[\[[ \t]*(?:tasks|"tasks"|'tasks')[ \t]*\]\]""", re.M)
_VERSION_LINE = re.compile(r"""^[ \t]*(?:version|"version"|'version')[ \t]*=""", re.M)

_T = TypeVar("_T")
_Signature = tuple[int, int, int, int, int]
"""(st_mtime_ns, st_size, st_ino, st_mode, st_uid): what tells us another process rewrote
the file, or made it writable by others (a chmod or chown changes none of the first three,
and the running dashboard must not go on trusting, and saving, such a file)."""
_NEVER_READ: Any = object()
_Removed = tuple[int, int, TaskKey | None, TaskKey | None]
"""(index, removal number, key before, key after) as of a removal: where undo puts it back."""


# -- paths ---------------------------------------------------------------------------------


def default_watchlist_path() -> Path:
    """Where the watch list lives when neither flag nor environment says otherwise."""
    return platformdirs.user_data_path("kling-tui") / "watchlist.toml"


def new_entries(
    ids: Iterable[str],
    *,
    kind: str,
    gateway: str,
    now: datetime,
    label: str | None = None,
    base_url: str | None = None,
    path_prefix: str | None = None,
) -> list[WatchEntry]:
    """Entries for tasks about to be watched, all added at the same instant (``kling-tui add``
    and the add dialog). ``base_url``/``path_prefix`` only for a gateway given by URL.

    The label is cleaned here (:func:`~kling_tui.sanitize.clean_text`): typed text may hold
    escape sequences (``--label $'x\\e]52;c;...\\a'``) and must reach no terminal raw.
    """
    if label is not None:
        label = clean_text(label, LABEL_LIMIT)
    return [
        WatchEntry(
            task_id=task_id,
            kind=kind,
            gateway=gateway,
            added_at=now,
            label=label,
            base_url=base_url,
            path_prefix=path_prefix,
        )
        for task_id in ids
    ]


def watchlist_path(
    flag: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Path:
    """Resolve the watch list's path: ``--watchlist`` flag, then $KLING_TUI_WATCHLIST, then
    the platform's user data dir. Empty values count as unset so ``VAR= cmd`` falls through.
    """
    if flag is not None and os.fspath(flag):
        return Path(flag).expanduser()
    value = (os.environ if env is None else env).get(WATCHLIST_ENV)
    if value:
        return Path(value).expanduser()
    return default_watchlist_path()


# -- errors ---------------------------------------------------------------------------------


class WatchListError(Exception):
    """The watch list cannot be read, is invalid, or cannot be written.

    ``line`` points the operator at what to fix by hand (1-based; ``None`` when unknown).
    While the file is invalid, every mutating call raises this and leaves the file alone.
    """

    def __init__(self, path: Path | None, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = "watch list" if self.path is None else f"watch list {self.path}"
        if self.line is not None:
            where += f", line {self.line}"
        return f"{where}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.line, self.message))


class _Invalid(Exception):
    """Internal: an entry field is wrong; becomes a WatchListError with path and line."""


@dataclass(frozen=True, slots=True)
class AddResult:
    """What ``add`` did: ``added`` + ``duplicates`` is the input, in input order.

    ``added`` holds the stored objects (an id normalized by ``validate_task_id`` makes a
    new object); ``duplicates`` holds the given entries whose (id, kind, gateway) was
    already watched or repeated in the same call.
    """

    added: list[WatchEntry]
    duplicates: list[WatchEntry]


# -- entry <-> TOML table ------------------------------------------------------------------


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


def _snapshot_table(s: TaskSnapshot, unknown: Any) -> dict[str, Any]:
    last: dict[str, Any] = {"status": s.status.value, "status_raw": s.status_raw}
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
        videos = []
        for v in s.videos:
            video: dict[str, Any] = {}
            if v.id is not None:
                video["id"] = v.id
            if v.url is not None:
                video["url"] = v.url
            if v.duration is not None:
                video["duration"] = v.duration
            videos.append(video)
        last["videos"] = videos
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


_Fields = tuple[str, str, str, str | None, datetime, str | None, str | None]


class _State(NamedTuple):
    """Everything a task's table is made of, read from its entry once.

    The poller applies results to the entries on the event loop while a save serialises
    them in a worker thread: reading the entry once, then building the table *and* the
    save's bookkeeping from that one reading, keeps the two in agreement.
    """

    fields: _Fields
    snapshot: TaskSnapshot | None
    error: FetchError | None
    extra: dict[str, Any]

    @classmethod
    def of(cls, entry: WatchEntry) -> _State:
        # A tuple: 10,000 of these per full save, and a frozen dataclass's __init__ cost
        # 20 ms more (bench/run.py, save_ratio_10k).
        return cls(
            (
                entry.task_id,
                entry.kind,
                entry.gateway,
                entry.label,
                entry.added_at,
                entry.base_url,
                entry.path_prefix,
            ),
            entry.snapshot,
            entry.last_error,
            entry.extra,
        )

    def is_of(self, entry: WatchEntry) -> bool:
        """Still the entry's state? Snapshot and error are frozen and replaced (never
        changed) on each poll, so identity says it; ``extra`` (unknown keys kept from the
        file) is never modified in place by kling-tui."""
        f = self.fields
        return (
            self.snapshot is entry.snapshot
            and self.error is entry.last_error
            and self.extra is entry.extra
            and f[3] == entry.label
            and f[0] == entry.task_id
            and f[1] == entry.kind
            and f[2] == entry.gateway
            and f[4] == entry.added_at
            and f[5] == entry.base_url
            and f[6] == entry.path_prefix
        )


def entry_to_table(entry: WatchEntry) -> dict[str, Any]:
    """One ``[[tasks]]`` table. Keys that are ``None`` are omitted (TOML has no null).

    Known keys come first so a person reading the file sees them in a stable order; keys
    from ``entry.extra`` follow. ``TaskSnapshot.raw`` (the server's whole answer) is not
    written: it is bulky and only for the live detail pane.
    """
    return _table_of(_State.of(entry))


def _table_of(state: _State) -> dict[str, Any]:
    """The table of one reading of an entry. This runs for every changed entry on every
    save, so it is plain dict building, no generic dataclass walking."""
    task_id, kind, gateway, label, added_at, base_url, path_prefix = state.fields
    t: dict[str, Any] = {"id": task_id, "kind": kind, "gateway": gateway}
    if label is not None:
        t["label"] = label
    t["added_at"] = _utc(added_at)
    if base_url is not None:
        t["base_url"] = _strip_userinfo(base_url)
    if path_prefix is not None:
        t["path_prefix"] = path_prefix
    extra = state.extra
    if extra:
        for k, v in extra.items():
            if k not in _ENTRY_KEYS:
                t[k] = v
    if state.snapshot is not None:
        t["last"] = _snapshot_table(state.snapshot, extra.get("last") if extra else None)
    if state.error is not None:
        t["error"] = _error_table(state.error, extra.get("error") if extra else None)
    return t


@dataclass(slots=True)
class _Chunk:
    """One entry's ``[[tasks]]`` text as last written, and the reading it was made from.

    A save rewrites the whole file, but between two saves of a 10,000-task list only the
    tasks polled meanwhile changed: their text is made again, the rest is reused. Holding
    the reading (snapshot and error objects included) also means an address is never
    reused for a different object.
    """

    entry: WatchEntry
    state: _State
    text: str

    def current_for(self, entry: WatchEntry) -> bool:
        return self.entry is entry and self.state.is_of(entry)

    @classmethod
    def made_for(cls, entries: list[WatchEntry]) -> list[_Chunk] | None:
        """The chunks of these entries, from ONE ``tomli_w.dumps`` call (10,000 small calls
        cost twice as much as one big one), cut apart at the ``[[tasks]]`` headers.

        A chunk's ``text`` is the table's body: no ``[[tasks]]`` line, no final newline.
        tomli_w writes an array whose tables are all small as one inline array instead; a
        last table too long for a line rules that out, and is cut off again. ``None`` if
        the text is not cut the way expected (then the caller dumps the whole document).
        """
        states = [_State.of(e) for e in entries]
        text = tomli_w.dumps({"tasks": [*map(_table_of, states), _NOT_INLINE]})
        # Strings are written on one line with escapes, so the separator can only start
        # the array's next table; the count check is the safety net.
        bodies = text[len(_TASK_START) : -1].split(_TASK_SEPARATOR)
        if not text.startswith(_TASK_START) or len(bodies) != len(entries) + 1:
            return None
        return [cls(e, st, body) for e, st, body in zip(entries, states, bodies, strict=False)]


def _show(value: Any) -> str:
    """A short, escaped rendering of a bad value for an error message."""
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
            raise _Invalid(f"{what} must be a date-time, got {_show(value)}") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        raise _Invalid(f"{what} must be a date-time with a time of day, got {value}")
    raise _Invalid(f"{what} must be a date-time, got {_show(value)}")


def _opt_dt(table: dict[str, Any], key: str, what: str) -> datetime | None:
    value = table.get(key)
    return None if value is None else _dt(value, what)


def _str(value: Any, what: str) -> str:
    if type(value) is not str:
        raise _Invalid(f"{what} must be a string, got {_show(value)}")
    return value


def _opt_str(table: dict[str, Any], key: str, what: str) -> str | None:
    value = table.get(key)
    if value is None or type(value) is str:
        return value
    raise _Invalid(f"{what} must be a string, got {_show(value)}")


def _opt_clean(table: dict[str, Any], key: str, what: str, limit: int) -> str | None:
    """An optional text field, cleaned for the terminal (see the module docstring)."""
    value = _opt_str(table, key, what)
    return None if value is None else clean_text(value, limit)


def _url_rule(table: dict[str, Any], key: str, check: Any) -> str | None:
    """``base_url`` / ``path_prefix`` of an entry: the config's own rule (``check``)."""
    value = _opt_str(table, key, key)
    if value is None:
        return None
    try:
        return check(value)
    except UrlRuleError as exc:
        got = f", got {_show(value)}" if exc.echo else ""
        raise _Invalid(f"{key} must be {exc.expected}{got}") from None


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
        raise _Invalid(f"{what} must be a finite number, got {_show(value)}")
    raise _Invalid(f"{what} must be a number, got {_show(value)}")


def _choice(table: dict[str, Any], key: str, choices: Mapping[str, _T], where: str) -> _T:
    """A required word that must be one of ``choices``; the message lists them."""
    word = table.get(key)
    value = choices.get(word) if type(word) is str else None
    if value is None:
        raise _Invalid(
            f"{where}.{key} must be one of {', '.join(choices)}, got {_show(word)}"
            if word is not None
            else f"{where}.{key} is missing"
        )
    return value


def _snapshot_from(last: Any, task_id: str, kind: str) -> TaskSnapshot:
    if not isinstance(last, dict):
        raise _Invalid(f"last must be a table, got {_show(last)}")
    status = _choice(last, "status", _STATUSES, "last")
    word = last["status"]
    fetched = last.get("fetched_at")
    if fetched is None:
        raise _Invalid("last.fetched_at is missing")
    raw_videos = last.get("videos", ())
    if not isinstance(raw_videos, list | tuple):
        raise _Invalid(f"last.videos must be an array of tables, got {_show(raw_videos)}")
    videos = []
    for v in raw_videos:
        if not isinstance(v, dict):
            raise _Invalid(f"last.videos must hold tables, got {_show(v)}")
        videos.append(
            Video(
                id=_opt_clean(v, "id", "video id", ID_LIMIT),
                url=_opt_clean(v, "url", "video url", URL_LIMIT),
                duration=_opt_num(v, "duration", "video duration"),
            )
        )
    status_raw = last.get("status_raw", word)
    message = last.get("message", "")
    return TaskSnapshot(
        task_id=task_id,
        kind=kind,
        status=status,
        status_raw=clean_text(_str(status_raw, "last.status_raw"), WORD_LIMIT),
        progress=_opt_num(last, "progress", "last.progress"),
        videos=tuple(videos),
        message=clean_text(_str(message, "last.message"), MESSAGE_LIMIT),
        external_task_id=_opt_clean(last, "external_task_id", "last.external_task_id", ID_LIMIT),
        created_at=_opt_dt(last, "created_at", "last.created_at"),
        updated_at=_opt_dt(last, "updated_at", "last.updated_at"),
        fetched_at=_dt(fetched, "last.fetched_at"),
    )


def _error_from(err: Any) -> FetchError:
    if not isinstance(err, dict):
        raise _Invalid(f"error must be a table, got {_show(err)}")
    etype = _choice(err, "type", _ERROR_TYPES, "error")
    at = err.get("at")
    if at is None:
        raise _Invalid("error.at is missing")
    status_code = err.get("status_code")
    if status_code is not None and (type(status_code) is not int):
        raise _Invalid(f"error.status_code must be an integer, got {_show(status_code)}")
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
        raise _Invalid(f"id must be a string, got {_show(raw)}")
    try:
        return validate_task_id(raw)
    except InvalidTaskId as exc:
        raise _Invalid(f"id is not valid: {exc}") from None


def _check_kind(kind: Any) -> str:
    checked = _KINDS.get(kind) if type(kind) is str else None
    if checked is None:
        raise _Invalid(f"kind must be one of {', '.join(_KINDS)}, got {_show(kind)}")
    return checked


def _entry_from(table: Any) -> WatchEntry:
    if not isinstance(table, dict) or "id" not in table or "kind" not in table:
        raise _Invalid(f"expected a table with id and kind, got {_show(table)}")
    task_id = _check_id(table["id"])
    try:
        kind = _check_kind(table["kind"])
        gateway = table.get("gateway")
        if type(gateway) is not str or not gateway:
            raise _Invalid(
                "gateway is missing"
                if gateway is None
                else f"gateway must be a non-empty string, got {_show(gateway)}"
            )
        added = table.get("added_at")
        snapshot = None
        last = table.get("last")
        if last is not None:
            snapshot = _snapshot_from(last, task_id, kind)
        error = None
        err = table.get("error")
        if err is not None:
            error = _error_from(err)
        extra: dict[str, Any] = {}
        if not table.keys() <= _ENTRY_KEYS:
            extra = {k: v for k, v in table.items() if k not in _ENTRY_KEYS}
        if snapshot is not None and not last.keys() <= _LAST_KEYS:
            extra["last"] = {k: v for k, v in last.items() if k not in _LAST_KEYS}
        if error is not None and not err.keys() <= _ERROR_KEYS:
            extra["error"] = {k: v for k, v in err.items() if k not in _ERROR_KEYS}
        checked: datetime | None = None
        if snapshot is not None:
            checked = snapshot.fetched_at
        if error is not None and (checked is None or error.at > checked):
            checked = error.at
        return WatchEntry(
            task_id=task_id,
            kind=kind,
            gateway=clean_text(gateway, GATEWAY_NAME_LIMIT),
            # A hand-written entry may leave it out: it was added no later than now.
            added_at=utcnow() if added is None else _dt(added, "added_at"),
            label=_opt_clean(table, "label", "label", LABEL_LIMIT),
            base_url=_url_rule(table, "base_url", check_base_url),
            path_prefix=_url_rule(table, "path_prefix", check_path_prefix),
            snapshot=snapshot,
            last_checked=checked,
            last_error=error,
            extra=extra,
        )
    except _Invalid as exc:
        raise _Invalid(f"task {task_id}: {exc}") from None


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
        return _entry_from(table)
    except _Invalid as exc:
        msg = str(exc)
        if line is None and not msg.startswith("task "):
            msg = f"task #{index + 1}: {msg}"
        raise WatchListError(path, line, msg) from None


def _check_new_entry(entry: WatchEntry) -> WatchEntry:
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
    _check_savable(entry)
    return entry


def _check_savable(entry: WatchEntry) -> None:
    try:
        _entry_from(entry_to_table(entry))
    except _Invalid as exc:
        raise ValueError(f"cannot save {exc}") from None
    except (AttributeError, TypeError) as exc:  # e.g. added_at is not a datetime
        raise ValueError(f"cannot save task {entry.task_id}: {exc}") from None


# -- locating problems in the text ---------------------------------------------------------


def _line_of_task(text: str, index: int) -> int | None:
    """Line of the ``index``-th ``[[tasks]]`` header (only computed when reporting)."""
    for n, match in enumerate(_TASKS_HEADER.finditer(text)):
        if n == index:
            return text.count("\n", 0, match.start()) + 1
    return None


def _line_of(pattern: re.Pattern[str], text: str) -> int | None:
    match = pattern.search(text)
    return None if match is None else text.count("\n", 0, match.start()) + 1


def _toml_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> WatchListError:
    msg = str(exc)
    match = _TOML_POSITION.search(msg)
    line: int | None = None
    if match is not None:
        msg = msg[: match.start()]
        if match.group(1):
            line = int(match.group(1))
            msg += f" (column {match.group(2)})"
        else:
            line = text.count("\n") + 1
            msg += " (at the end of the file)"
    return WatchListError(path, line, f"not valid TOML: {msg}")


# -- the store -----------------------------------------------------------------------------


def _signature(st: os.stat_result) -> _Signature:
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_mode, st.st_uid)


PARSED_CACHE_MIN_BYTES = 64 * 1024
"""Smaller watch lists parse in a few milliseconds: no cache file for them."""


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=32).hexdigest()


def _tag(value: Any) -> Any:
    """TOML's date and time values, which JSON lacks, as one-key objects."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dtime):
        return {"$time": value.isoformat()}
    raise TypeError(f"cannot cache {type(value).__name__}")


_UNTAG = {
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$time": dtime.fromisoformat,
}


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((key, value),) = obj.items()
        parse = _UNTAG.get(key)
        if parse is not None and isinstance(value, str):
            return parse(value)
    return obj


class _ParsedCache:
    """The watch list's parsed document, kept beside the user's cache, keyed by the bytes.

    tomllib reads a 10,000-task list (4.4 MB) in 0.56 s, twice what the whole dashboard
    takes to start with an empty list; JSON reads the same document in 0.03 s. The cache
    is used only for a file whose bytes hash to the key it was made for, and what comes out
    of it goes through the same checks as a fresh parse: the TOML file stays the one truth.
    It is written after a parse and by ``WatchList.remember_parsed`` (the dashboard, on
    quit); it is a pure speed-up, so every failure around it is ignored.
    """

    def __init__(self, watchlist: Path) -> None:
        name = hashlib.blake2b(str(watchlist).encode(), digest_size=8).hexdigest()
        self.file = platformdirs.user_cache_path("kling-tui") / f"watchlist-{name}.json"

    def load(self, data: bytes) -> dict[str, Any] | None:
        if len(data) < PARSED_CACHE_MIN_BYTES:
            return None
        try:
            raw, st = read_regular(self.file, limit=2 * MAX_WATCHLIST_BYTES)
            if access_problem(self.file, st) is not None:
                return None  # someone else could have written it: parse the file instead
            cached = json.loads(raw, object_hook=_untag)
        except (OSError, ValueError, TypeError, FileRefused):
            return None
        if not isinstance(cached, dict) or cached.get("blake2b") != _digest(data):
            return None
        doc = cached.get("doc")
        return doc if isinstance(doc, dict) else None

    def store(self, data: bytes, doc: dict[str, Any]) -> None:
        if len(data) < PARSED_CACHE_MIN_BYTES:
            return
        try:
            text = json.dumps(
                {"blake2b": _digest(data), "doc": doc},
                default=_tag,
                ensure_ascii=False,
                separators=(",", ":"),
            )
            # A hand-added key that looks like one of the tags would not come back as it
            # went in: then no cache (checked by reading it back, 0.03 s at 10,000 tasks).
            if json.loads(text, object_hook=_untag)["doc"] != doc:
                return
            atomic_write(self.file, text.encode("utf-8", "surrogatepass"))
        except (OSError, ValueError, TypeError, UnicodeError):
            with contextlib.suppress(OSError):
                self.file.unlink()


class WatchList:
    """The watch list file and the entries last read from or written to it.

    Not a cache of the truth but a view of it: every mutation re-reads the file under the
    lock when another process changed it, applies only its own change, and writes
    atomically. ``entries`` is what was last loaded or written.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser().absolute()
        self._entries: list[WatchEntry] = []
        self._top_extra: dict[str, Any] = {}
        self._seen: _Signature | None = _NEVER_READ  # None: the file did not exist
        self._broken: WatchListError | None = None
        self._empty_seen: _Signature | None = None
        """An empty file a reload saw and did not take yet (see ``_read``)."""
        self._refused: _Signature | None = None
        """The signature of a file last refused for who may write it (see ``_read``)."""
        self.reads = 0
        """How many times the file was taken in (see ``_read``): a writer compares it before
        and after a change to learn whether the file it wrote over had another's edit."""
        self._removed_at: dict[TaskKey, _Removed] = {}
        self._removals = 0
        self._mutex = threading.RLock()
        self._chunks: dict[int, _Chunk] = {}
        self._parsed = _ParsedCache(self.path)
        self._written: str | None = None
        """Digest of the bytes this object last wrote (see ``remember_parsed``)."""
        self._unremembered: tuple[bytes, dict[str, Any]] | None = None
        """The file's bytes and tomllib's document of them, from the last parse."""

    def __repr__(self) -> str:
        return f"WatchList({str(self.path)!r}, {len(self._entries)} entries)"

    # -- reading ---------------------------------------------------------------------------

    @property
    def entries(self) -> list[WatchEntry]:
        """The entries as last loaded or written (a copy of the list, the same objects)."""
        return list(self._entries)

    def load(self) -> list[WatchEntry]:
        """Read the file. A missing file is an empty list (created on the first write).

        On error the previous entries stay in ``entries`` (a dashboard keeps showing them)
        and the file is marked broken: mutations raise until it is fixed on disk.
        """
        with self._mutex:
            self._read()
            return list(self._entries)

    def changed_on_disk(self) -> bool:
        """True when the file is not the one we last read or wrote (or never read)."""
        return self._stat_now() != self._seen

    def reload_if_changed(self) -> bool:
        """Re-read the file if another process changed it. Raises WatchListError if the
        new content is invalid; the next call returns False until the file changes again.
        A file found emptied is taken at the next call only (it may be mid-save).
        """
        with self._mutex:
            now = self._stat_now()
            if now == self._seen or (now is not None and now == self._refused):
                return False  # unchanged, or refused for its mode already: said once
            return self._read(settle_empty=True)

    def _stat_now(self) -> _Signature | None:
        try:
            return _signature(os.stat(self.path))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise WatchListError(self.path, None, f"cannot read: {exc.strerror}") from exc

    def _read(self, *, settle_empty: bool = False) -> bool:
        """Read and parse; record what was read (signature) even when it is invalid.

        With ``settle_empty`` (a reload, not a read before a write) an empty file replacing
        a list with tasks is taken only once it is still the same empty file at the next
        call: an editor saving in place (nano, ``>``) truncates, then writes, and a reload
        in between must not drop every task (nor keep "the list as it was" empty when the
        new text turns out broken). Returns whether the file was taken.
        """
        try:
            data, st = read_regular(self.path, limit=MAX_WATCHLIST_BYTES)
        except FileNotFoundError:
            self._entries, self._top_extra = [], {}
            self._seen, self._broken = None, None
            self.reads += 1
            return True
        except FileRefused as exc:
            raise WatchListError(self.path, None, exc.reason) from None
        except OSError as exc:
            raise WatchListError(self.path, None, f"cannot read: {exc.strerror}") from exc
        problem = access_problem(self.path, st)
        if problem is not None:
            # Not marked broken, and not taken as read: a chmod back to what was last read
            # must be enough to go on. Remembered so a reload says it once, not every poll;
            # every save still refuses such a file.
            self._refused = _signature(st)
            raise WatchListError(self.path, None, f"not read, since {problem}")
        signature = _signature(st)
        if settle_empty and not data and self._entries and self._empty_seen != signature:
            self._empty_seen = signature  # not adopted: the next call looks again
            return False
        self._empty_seen = None
        try:
            with collector_paused():
                entries, top_extra = self._parse(data)
        except WatchListError as exc:
            self._seen, self._broken = signature, exc
            raise
        self._entries, self._top_extra = entries, top_extra
        self._seen, self._broken = signature, None
        self._written = None
        self.reads += 1
        return True

    def _parse(self, data: bytes) -> tuple[list[WatchEntry], dict[str, Any]]:
        cached = self._parsed.load(data)
        if cached is not None:
            try:
                return self._check(cached, "")
            except WatchListError:
                pass  # stricter checks than when it was cached: parse, to name the line
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise WatchListError(self.path, line, "not valid UTF-8 text") from None
        try:
            doc = loads_toml(text)
        except tomllib.TOMLDecodeError as exc:
            raise _toml_error(self.path, text, exc) from None
        result = self._check(doc, text)
        self._unremembered = (data, doc)  # cached by remember_parsed, off the start-up path
        return result

    def _check(self, doc: dict[str, Any], text: str) -> tuple[list[WatchEntry], dict[str, Any]]:
        """Entries from a parsed document; ``text`` (the file) only to name lines."""
        version = doc.get("version", FORMAT_VERSION)
        if type(version) is not int or version < 1:
            raise WatchListError(
                self.path,
                _line_of(_VERSION_LINE, text),
                f"version must be a positive integer, got {_show(version)}",
            )
        if version > FORMAT_VERSION:
            raise WatchListError(
                self.path,
                _line_of(_VERSION_LINE, text),
                f"format version {version} was written by a newer kling-tui (this one "
                f"reads version {FORMAT_VERSION}); it will not be changed",
            )
        tables = doc.get("tasks", [])
        if not isinstance(tables, list):
            raise WatchListError(
                self.path, None, f"tasks must be an array of tables, got {_show(tables)}"
            )
        entries: list[WatchEntry] = []
        seen: dict[TaskKey, int] = {}
        for index, table in enumerate(tables):
            try:
                entry = _entry_from(table)
            except _Invalid as exc:
                msg = str(exc)
                if not msg.startswith("task "):
                    msg = f"task #{index + 1}: {msg}"
                raise WatchListError(self.path, _line_of_task(text, index), msg) from None
            key = entry.key
            if key in seen:
                first = _line_of_task(text, seen[key])
                raise WatchListError(
                    self.path,
                    _line_of_task(text, index),
                    f"task {entry.task_id} ({entry.kind} on {entry.gateway}) is listed twice"
                    + (f" (first at line {first})" if first else "")
                    + "; delete one of them",
                )
            seen[key] = index
            entries.append(entry)
        top_extra = {k: v for k, v in doc.items() if k not in _TOP_KEYS} if doc else {}
        return entries, top_extra

    # -- writing ---------------------------------------------------------------------------

    def add(self, entries: Iterable[WatchEntry]) -> AddResult:
        """Add entries not watched yet; one write. Invalid entries refuse the whole call
        (``ValueError``/``InvalidTaskId``) before the file is touched.
        """
        wanted = [_check_new_entry(e) for e in entries]
        with self._mutex, self._locked():
            known = {e.key for e in self._entries}
            added: list[WatchEntry] = []
            duplicates: list[WatchEntry] = []
            for entry in wanted:
                key = entry.key
                if key in known:
                    duplicates.append(entry)
                else:
                    known.add(key)
                    added.append(entry)
            if added:
                self._write([*self._entries, *added])
            return AddResult(added, duplicates)

    def remove(self, keys: Iterable[TaskKey]) -> list[WatchEntry]:
        """Remove these tasks; returns the removed entries (last state included) for undo."""
        wanted = set(keys)
        with self._mutex, self._locked():
            return self._remove_where(lambda e: e.key in wanted)

    def remove_ids(self, ids: Iterable[str]) -> list[WatchEntry]:
        """Remove every entry with one of these ids, whatever its kind or gateway."""
        wanted = {i.strip() for i in ids}
        with self._mutex, self._locked():
            return self._remove_where(lambda e: e.task_id in wanted)

    def _remove_where(self, match: Any) -> list[WatchEntry]:
        current = self._entries
        keep: list[WatchEntry] = []
        removed: list[WatchEntry] = []
        positions: dict[TaskKey, _Removed] = {}
        self._removals += 1
        for i, entry in enumerate(current):
            if match(entry):
                removed.append(entry)
                before = current[i - 1].key if i > 0 else None
                after = current[i + 1].key if i + 1 < len(current) else None
                positions[entry.key] = (i, self._removals, before, after)
            else:
                keep.append(entry)
        if removed:
            self._write(keep)
            self._removed_at.update(positions)
        return removed

    def restore(self, entries: Iterable[WatchEntry]) -> list[WatchEntry]:
        """Undo a removal: put entries back where they were, with their last state.

        Best effort, using what was around each entry when it was removed: right after the
        entry that preceded it (after any entry this same call already put there, which
        came earlier), else before the one that followed it, else at its old index.
        Entries never removed through this object go to the end. Entries already present
        are left alone; returns the ones put back.
        """
        given = [_check_new_entry(e) for e in entries]
        with self._mutex, self._locked():
            result = list(self._entries)
            present = {e.key for e in result}
            unknown: _Removed = (len(result) + len(given), 0, None, None)
            todo = sorted(
                (e for e in given if e.key not in present),
                key=lambda e: self._removed_at.get(e.key, unknown)[:2],
            )
            restored: list[WatchEntry] = []
            mine: set[TaskKey] = set()
            for entry in todo:
                if entry.key in present:
                    continue  # listed twice in this call
                index, _, before, after = self._removed_at.get(entry.key, unknown)
                keys = [e.key for e in result]
                if before is None or before in present:
                    at = 0 if before is None else keys.index(before) + 1
                    while at < len(result) and keys[at] in mine:
                        at += 1
                elif after is not None and after in present:
                    at = keys.index(after)
                else:
                    at = min(index, len(result))
                result.insert(at, entry)
                present.add(entry.key)
                mine.add(entry.key)
                restored.append(entry)
            if restored:
                self._write(result)
                for entry in restored:
                    self._removed_at.pop(entry.key, None)
            return restored

    def update(self, entries: Iterable[WatchEntry]) -> None:
        """Write back the last snapshot / error of these entries, in ONE file write.

        Only ``snapshot``, ``last_checked`` and ``last_error`` are taken from the given
        entries; everything else comes from the file as it is now, so a label edited by
        hand (or by another process) meanwhile is kept, and a task removed meanwhile is not
        brought back.
        """
        given = list(entries)
        if not given:
            return
        for entry in given:  # cheap: the fetcher builds these from the typed model
            if entry.snapshot is not None and not isinstance(entry.snapshot, TaskSnapshot):
                raise TypeError(f"snapshot of {entry.key} is {type(entry.snapshot).__name__}")
            if entry.last_error is not None and not isinstance(entry.last_error, FetchError):
                raise TypeError(f"last_error of {entry.key} is {type(entry.last_error).__name__}")
        with self._mutex, self._locked():
            index = {e.key: e for e in self._entries}
            touched = False
            for entry in given:
                current = index.get(entry.key)
                if current is None:
                    continue
                touched = True
                if current is not entry:
                    current.snapshot = entry.snapshot
                    current.last_checked = entry.last_checked
                    current.last_error = entry.last_error
            if touched:
                self._write(self._entries)

    def remember_parsed(self) -> bool:
        """Cache the parsed form of the file as this object last read or wrote it, so the
        next start reads it without tomllib. The dashboard calls this after its first frame
        (a list tomllib just parsed) and on quit (what its last save wrote).

        After a write, only when the file on disk is still what was written and the entries
        in memory still serialise to exactly those bytes. Returns whether it cached.
        """
        with self._mutex:
            if self.changed_on_disk():
                return False
            pending, self._unremembered = self._unremembered, None
            if pending is not None:
                self._parsed.store(*pending)
                return True
            if self._written is None or self._top_extra:
                return False
            # Read each entry once: the poller may be applying results meanwhile. Every
            # reading must be the one its saved text was made from, and the text as a whole
            # what was written; then the tables of those readings are the file's document.
            bodies: list[str] = []
            tables: list[dict[str, Any]] = []
            for entry in self._entries:
                state = _State.of(entry)
                chunk = self._chunks.get(id(entry))
                if chunk is None or chunk.entry is not entry or chunk.state != state:
                    return False  # changed in memory since the last save
                bodies.append(chunk.text)
                tables.append(_table_of(state))
            body = _TASK_SEPARATOR.join(bodies)
            text = f"version = {FORMAT_VERSION}\n\n{_TASK_START}{body}\n"
            data = (_HEADER + text).encode()
            if not bodies or _digest(data) != self._written:
                return False
            self._parsed.store(data, {"version": FORMAT_VERSION, "tasks": tables})
            return True

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive lock for one read-modify-write, with the file re-read if it changed.

        The lock is a sidecar file (never the data file, which ``os.replace`` swaps out
        from under any lock held on it). It is never deleted: deleting lock files races.
        """
        target = Path(os.path.realpath(self.path))  # one lock per file, whatever the link
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WatchListError(
                self.path, None, f"cannot create {target.parent}: {exc.strerror}"
            ) from exc
        lock_path = target.with_name(target.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise WatchListError(
                self.path, None, f"cannot open the lock file {lock_path}: {exc.strerror}"
            ) from exc
        try:
            deadline = time.monotonic() + LOCK_TIMEOUT
            pause = 0.001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WatchListError(
                            self.path,
                            None,
                            f"another process has held {lock_path} for {LOCK_TIMEOUT:.0f} s",
                        ) from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.02)
            if self._broken is not None and not self.changed_on_disk():
                b = self._broken
                raise WatchListError(b.path, b.line, b.message)
            if self._broken is not None or self.changed_on_disk():
                self._read()
            yield
        finally:
            os.close(fd)  # releases the flock

    def _write(self, entries: list[WatchEntry]) -> None:
        """Serialize and replace the file atomically; adopt ``entries`` only on success."""
        try:
            with collector_paused():  # up to 10,000 tables and texts built at once
                data = (_HEADER + self._serialize(entries)).encode()
        except UnicodeEncodeError as exc:  # a lone surrogate, e.g. from undecodable argv
            raise ValueError(f"cannot save text that is not valid Unicode: {exc}") from None
        try:
            self._seen = self._atomic_write(data)
            self._written = _digest(data) if len(data) >= PARSED_CACHE_MIN_BYTES else None
            self._unremembered = None
        except OSError as exc:
            raise WatchListError(
                self.path,
                None,
                f"could not save ({exc.strerror or exc}); the file on disk is unchanged",
            ) from exc
        self._entries = entries

    def _serialize(self, entries: list[WatchEntry]) -> str:
        """The document, written by tomli_w, reusing the text of tasks that did not change.

        Tasks are always written as ``[[tasks]]`` tables (tomli_w would write a list of
        only small tables as one inline array): whenever tomli_w itself writes tables, the
        result is byte for byte its dump of the whole document (a unit test holds it to
        that). Hand-added top-level keys, or output not cut as expected: a plain dump.
        """
        stale: list[WatchEntry] = []
        found: list[_Chunk | None] = []
        if not self._top_extra and entries:
            previous = self._chunks
            for entry in entries:
                chunk = previous.get(id(entry))
                if chunk is None or not chunk.current_for(entry):
                    chunk = None
                    stale.append(entry)
                found.append(chunk)
            fresh = _Chunk.made_for(stale) if stale else []
            if fresh is not None:
                made = iter(fresh)
                chunks = [c if c is not None else next(made) for c in found]
                self._chunks = {id(c.entry): c for c in chunks}
                body = _TASK_SEPARATOR.join([c.text for c in chunks])
                return f"version = {FORMAT_VERSION}\n\n{_TASK_START}{body}\n"
        self._chunks = {}
        doc: dict[str, Any] = {"version": FORMAT_VERSION, **self._top_extra}
        doc["tasks"] = [entry_to_table(e) for e in entries]
        return tomli_w.dumps(doc)

    def _atomic_write(self, data: bytes) -> _Signature:
        """Write ``data`` via a temporary file; returns the new file's signature."""
        target = Path(os.path.realpath(self.path))  # keep a symlinked watch list a symlink
        self._remove_stale_temps(target.parent, target.name)
        return _signature(atomic_write(target, data))

    @staticmethod
    def _remove_stale_temps(directory: Path, name: str) -> None:
        """Temporary files left by a writer that was killed mid-write (we hold the lock, so
        no live writer owns one)."""
        prefix = f".{name}."
        with contextlib.suppress(OSError), os.scandir(directory) as it:
            for item in it:
                if item.name.startswith(prefix) and item.name.endswith(".tmp"):
                    with contextlib.suppress(OSError):
                        os.unlink(item.path)
