"""The watch list file as a whole: from its bytes to the checked entries.

A file that does not parse, or holds an entry this version cannot understand, is never
overwritten: :func:`read_document` raises :class:`~kling_tui.store.errors.WatchListError`
naming the line, and the operator fixes the file by hand.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import toml_rs

from kling_tui.models import TaskKey, WatchEntry
from kling_tui.store.codec import FORMAT_VERSION, check_kept, read_entry, show
from kling_tui.store.errors import EntryInvalid, WatchListError
from kling_tui.store.safe_read import MiB, loads_toml

_TOP_KEYS = frozenset({"version", "tasks"})
_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")
_TASKS_HEADER = re.compile(r"""^[ \t]*\[\[[ \t]*(?:tasks|"tasks"|'tasks')[ \t]*\]\]""", re.M)
_VERSION_LINE = re.compile(r"""^[ \t]*(?:version|"version"|'version')[ \t]*=""", re.M)

MAX_WATCHLIST_BYTES = 256 * MiB
"""10,000 tasks take 4.4 MB: far above any real list, far below "reads /dev/zero forever"."""

Parsed = tuple[list[WatchEntry], dict[str, Any]]
"""The entries and the unknown top-level keys (kept on rewrite)."""


def parse_toml(data: bytes, path: Path) -> tuple[dict[str, Any], str]:
    """The TOML document of the file's bytes, and its text (to name lines in errors).

    Parsed by toml_rs (Rust): 10,000 tasks in 0.12-0.23 s where tomllib takes 1.5-2.3 s on
    the same machine, which is what keeps a start after another program changed the file
    fast. It gives the same document as tomllib (a unit test holds it to that). A file it
    refuses is parsed again by tomllib, whose message this module knows how to point at
    a line; errors are rare, so the second parse costs nothing that matters.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise WatchListError(path, line, "not valid UTF-8 text") from None
    try:
        doc = toml_rs.loads(text)
    except (toml_rs.TOMLDecodeError, ValueError, RecursionError, OverflowError) as rust_error:
        try:
            loads_toml(text)
        except tomllib.TOMLDecodeError as exc:
            raise _toml_error(path, text, exc) from None
        raise _rust_toml_error(path, rust_error) from None
    return doc, text


def entries_from_doc(doc: dict[str, Any], text: str, path: Path) -> Parsed:
    """Entries from a parsed document; ``text`` (the file) only to name lines."""
    version = doc.get("version", FORMAT_VERSION)
    if type(version) is not int or version < 1:
        raise WatchListError(
            path,
            _line_of(_VERSION_LINE, text),
            f"version must be a positive integer, got {show(version)}",
        )
    if version > FORMAT_VERSION:
        raise WatchListError(
            path,
            _line_of(_VERSION_LINE, text),
            f"format version {version} was written by a newer kling-tui (this one "
            f"reads version {FORMAT_VERSION}); it will not be changed",
        )
    tables = doc.get("tasks", [])
    if not isinstance(tables, list):
        raise WatchListError(path, None, f"tasks must be an array of tables, got {show(tables)}")
    entries: list[WatchEntry] = []
    seen: dict[TaskKey, int] = {}
    for index, table in enumerate(tables):
        try:
            entry = read_entry(table)
        except EntryInvalid as exc:
            msg = str(exc)
            if not msg.startswith("task "):
                msg = f"task #{index + 1}: {msg}"
            raise WatchListError(path, _line_of_task(text, index), msg) from None
        key = entry.key
        if key in seen:
            first = _line_of_task(text, seen[key])
            raise WatchListError(
                path,
                _line_of_task(text, index),
                f"task {entry.task_id} ({entry.kind} on {entry.gateway}) is listed twice"
                + (f" (first at line {first})" if first else "")
                + "; delete one of them",
            )
        seen[key] = index
        entries.append(entry)
    top_extra = {k: v for k, v in doc.items() if k not in _TOP_KEYS} if doc else {}
    try:
        check_kept(top_extra, "a top-level key")
    except EntryInvalid as exc:
        raise WatchListError(path, None, str(exc)) from None
    return entries, top_extra


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


def _rust_toml_error(path: Path, exc: toml_rs.TOMLDecodeError) -> WatchListError:
    """A file toml_rs refuses but tomllib reads (none known): toml_rs's own reason at the
    line it names, and nothing is written over the file."""
    reason = str(exc).strip().splitlines()[-1]
    line = getattr(exc, "lineno", None)
    if not isinstance(line, int) or line < 1:
        return WatchListError(path, None, f"not valid TOML: {reason}")
    return WatchListError(path, line, f"not valid TOML: {reason} (column {exc.colno})")
