"""``kling-tui import FILE``: the rows of a CSV or JSON-lines file that submission scripts write.

A file is input from elsewhere, so it is read like any other: bounded in size and in lines,
every id through :func:`~kling_tui.gateway.ids.validate_task_id`, every kind through
:func:`~kling_tui.kinds.parse_kind`, every text through
:func:`~kling_tui.gateway.sanitize.clean_text`. A bad row is reported with its line number
and skipped; the good rows are imported all the same (the operator fixes the few and runs
the import again: rows already watched are not added twice).

Two formats, told apart by the first character that is not blank: ``{`` is JSON lines (one
object per line), anything else CSV with a header row. Either names a task by ``task_id``
or ``external_task_id``, with optional ``kind`` (any spelling), ``gateway`` and ``label``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from kling_tui.gateway.ids import InvalidTaskId, validate_task_id
from kling_tui.gateway.sanitize import clean_text
from kling_tui.kinds import KIND_SPECS, parse_kind
from kling_tui.store.codec import LABEL_LIMIT

__all__ = [
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_LINES",
    "MAX_LINE_CHARS",
    "ImportFileError",
    "ImportRow",
    "ParsedFile",
    "RowProblem",
    "parse_import",
]

MAX_IMPORT_BYTES = 16 * 1024 * 1024
"""A file of 100,000 rows with labels is a few MiB; more is not a task list."""
MAX_IMPORT_LINES = 100_000
"""Ten times the largest watch list the dashboard is measured with."""
MAX_LINE_CHARS = 64 * 1024
"""One row: an id (256), a kind, a gateway name and a label (500) fit many times over."""
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""What ends a row: not ``str.splitlines``, which also breaks at U+2028, U+2029 and U+0085,
characters a JSON string may hold raw (a label written with ``ensure_ascii=False``)."""
_KEYS = ("task_id", "external_task_id", "kind", "gateway", "label")


class ImportFileError(ValueError):
    """The whole file is refused (too big, too many lines, no id column): nothing imported."""


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One good row. ``kind`` / ``gateway`` are None where the row does not say (the
    command's defaults apply); ``external`` marks an id given as ``external_task_id``."""

    line: int
    task_id: str
    external: bool = False
    kind: str | None = None
    gateway: str | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A refused row: its line number and why (text already cleaned)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(slots=True)
class ParsedFile:
    """What a file held: the good rows in file order, and the refused ones."""

    format: str
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def parse_import(data: bytes, name: str = "the file") -> ParsedFile:
    """Parse an import file's bytes; raises :class:`ImportFileError` for a file refused whole.

    Bytes that are not UTF-8 are kept as surrogate escapes, so the id check refuses such an
    id (a control character) and a label shows them escaped: one bad byte costs one row.
    """
    shown = clean_text(name, 200)
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(
            f"{shown} is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB: split it"
        )
    text = data.decode("utf-8", "surrogateescape")
    text = text.removeprefix("\ufeff")
    lines = _LINE_BREAK.split(text)
    if lines[-1] == "":
        lines.pop()  # the file's last newline ends a line, it does not start one
    if len(lines) > MAX_IMPORT_LINES:
        raise ImportFileError(
            f"{shown} has {len(lines):,} lines; at most {MAX_IMPORT_LINES:,} are imported at "
            "once: split it"
        )
    first = text.lstrip()[:1]
    if first == "{":
        return _parse_jsonl(lines)
    if first == "[":  # json.dump(list): read as CSV it was a header "naming no column"
        raise ImportFileError(
            f"{shown} is a JSON array; kling-tui reads JSON lines (one object per line) or "
            f"CSV: for example jq -c '.[]' FILE | kling-tui import -"
        )
    return _parse_csv(text, shown)


# -- one row's fields -----------------------------------------------------------------------


def _row(line: int, values: dict[str, Any]) -> ImportRow | RowProblem:
    """One row's fields checked: the id, then the kind, gateway and label."""
    raw_id, external = values.get("task_id"), False
    if _blank(raw_id):
        raw_id, external = values.get("external_task_id"), True
    if _blank(raw_id):
        return RowProblem(line, "no task_id or external_task_id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        return RowProblem(line, f"the id must be text, not {_json_type(raw_id)}")
    try:
        task_id = validate_task_id(str(raw_id))
    except InvalidTaskId as exc:
        return RowProblem(line, f"invalid id {exc}")
    kind = None
    raw_kind = values.get("kind")
    if not _blank(raw_kind):
        found = parse_kind(raw_kind)
        if found is None:
            shorts = ", ".join(s.short for s in KIND_SPECS.values())
            return RowProblem(line, f"unknown kind {_shown(raw_kind)}: use one of {shorts}")
        kind = found.value
    gateway = None
    raw_gateway = values.get("gateway")
    if not _blank(raw_gateway):
        if not isinstance(raw_gateway, str):
            return RowProblem(line, f"gateway must be text, not {_json_type(raw_gateway)}")
        gateway = raw_gateway.strip()
    label = None
    raw_label = values.get("label")
    if not _blank(raw_label):
        if not isinstance(raw_label, str | int | float) or isinstance(raw_label, bool):
            return RowProblem(line, f"label must be text, not {_json_type(raw_label)}")
        label = clean_text(str(raw_label).strip(), LABEL_LIMIT)
    return ImportRow(line, task_id, external, kind, gateway, label)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _json_type(value: Any) -> str:
    return {bool: "true/false", dict: "an object", list: "a list", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _shown(value: Any) -> str:
    return repr(clean_text(value if isinstance(value, str) else str(value), 60))


def _add(parsed: ParsedFile, result: ImportRow | RowProblem) -> None:
    if isinstance(result, ImportRow):
        parsed.rows.append(result)
    else:
        parsed.problems.append(result)


# -- the two formats ------------------------------------------------------------------------


def _parse_jsonl(lines: list[str]) -> ParsedFile:
    parsed = ParsedFile("jsonl")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_CHARS:
            parsed.problems.append(RowProblem(number, f"longer than {MAX_LINE_CHARS:,} characters"))
            continue
        try:
            value = json.loads(line)
        except RecursionError:
            parsed.problems.append(RowProblem(number, "JSON nested too deeply"))
            continue
        except ValueError as exc:
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else "not readable"
            parsed.problems.append(RowProblem(number, f"not JSON ({clean_text(why, 80)})"))
            continue
        if not isinstance(value, dict):
            parsed.problems.append(
                RowProblem(number, f"expected a JSON object, got {_json_type(value)}")
            )
            continue
        _add(parsed, _row(number, value))
    return parsed


def _parse_csv(text: str, shown: str) -> ParsedFile:
    parsed = ParsedFile("csv")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 0
    while header is None:
        try:
            first = next(reader)
        except StopIteration:
            return parsed  # an empty file: nothing to import, nothing wrong
        except csv.Error as exc:
            raise ImportFileError(f"{shown}: the header row is not CSV ({exc})") from None
        if any(cell.strip() for cell in first):
            header = [cell.strip().lower() for cell in first]
            header_line = reader.line_num
    if "task_id" not in header and "external_task_id" not in header:
        named = ", ".join(clean_text(h, 40) for h in header[:8])
        raise ImportFileError(
            f"{shown}: line {header_line} (the header) names no task_id or external_task_id "
            f"column (it has: {named}); expected columns {', '.join(_KEYS)}"
        )
    columns = [(i, h) for i, h in enumerate(header) if h in _KEYS]
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            parsed.problems.append(RowProblem(reader.line_num, f"not CSV ({exc})"))
            continue
        number = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if sum(len(c) for c in cells) > MAX_LINE_CHARS:
            parsed.problems.append(RowProblem(number, f"longer than {MAX_LINE_CHARS:,} characters"))
            continue
        values = {h: cells[i] for i, h in columns if i < len(cells)}
        _add(parsed, _row(number, values))
    return parsed
