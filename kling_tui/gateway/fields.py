"""Reading single fields of a server answer, and what one normalize call knows (its context).

Every server string goes through :func:`clean_text`, numbers are checked (no bools, no NaN),
ids stay exact (JSON ints are never routed through ``float``). The caps here are also the
store's caps (``store/codec.py`` reads saved snapshots with the same limits).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import ErrorType, FetchError

MESSAGE_LIMIT = 2000
"""Cap for a task's message (failure reason) in a snapshot."""
SERVER_TEXT_LIMIT = 1000
"""Cap for the server's own words quoted inside an error message."""
URL_LIMIT = 4096
ID_LIMIT = 256
WORD_LIMIT = 100
"""Cap for a status word (``status_raw``), an error code and a model name."""
MAX_ITEMS = 64
"""Cap for the result videos and images of one snapshot."""
MAX_IMAGE_INDEX = 1000
"""An image's ``index`` is kept only in 0..1000 (a task makes a handful of images)."""
MAX_UNITS = 1e9
"""A task's cost (``final_unit_deduction``, Kling units) is kept only in 0..1e9: a real task
costs a few to a few hundred units; a figure outside is a broken answer, kept as None."""
_MS_THRESHOLD = 10**11
"""A timestamp above this is milliseconds (10^11 s is the year 5138; 10^11 ms is 1973)."""

_MAX_INT_TIME = 2**53
"""Integers below this are exact as floats: :func:`read_time` reads them without ``_number``."""

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class CallContext:
    """What one call knows besides the body; built once, read by every helper."""

    __slots__ = ("headers", "hint", "kind", "now", "sc", "task_id", "where")

    def __init__(
        self,
        sc: int,
        headers: Mapping[str, str],
        task_id: str,
        kind: str,
        origin: str,
        hint: str,
        now: datetime,
    ) -> None:
        self.sc = sc
        self.headers = headers
        self.task_id = task_id
        self.kind = kind
        self.where = clean_text(origin, 300) if origin else "the gateway"
        self.hint = clean_text(hint, 100) if hint else "the configured credential"
        self.now = now

    def error(
        self,
        kind: ErrorType,
        message: str,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> FetchError:
        return FetchError(
            kind,
            message,
            status_code=self.sc,
            code=code,
            retry_after=retry_after,
            at=self.now,
        )


def header_value(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive header lookup that works for ``httpx.Headers`` and plain dicts."""
    try:
        value = headers.get(name)
        if value is None:
            value = headers.get(name.title())
        if value is None:
            for key, candidate in headers.items():
                if isinstance(key, str) and key.lower() == name:
                    value = candidate
                    break
    except Exception:
        return ""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return value if isinstance(value, str) else str(value)


def dig(d: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def queried_id(ctx: CallContext) -> str:
    return clean_text(ctx.task_id, ID_LIMIT)


def read_text(value: Any, limit: int = MESSAGE_LIMIT) -> str:
    """A server text field; missing or not text -> ``""`` (numbers are shown as written)."""
    if isinstance(value, str):
        return clean_text(value, limit)
    if type(value) in (int, float):
        return clean_text(str(value), limit)
    return ""


def read_error_text(err: Any) -> str:
    if isinstance(err, dict):
        return read_text(err.get("message"))
    return read_text(err) if isinstance(err, str) else ""


def read_id(value: Any) -> str | None:
    """An id as text; a JSON integer is printed exactly (never via ``float``)."""
    if isinstance(value, str):
        return clean_text(value, ID_LIMIT) if value.strip() else None
    if type(value) is int:
        return clean_text(str(value), ID_LIMIT)
    return None


def read_url(value: Any) -> str | None:
    """A URL as the server sent it (cleaned); the UI validates the scheme before opening."""
    if isinstance(value, str):
        value = value.strip()
        if value:
            return clean_text(value, URL_LIMIT)
    return None


def is_http_url(value: Any) -> bool:
    """True for a bare ``http(s)://`` URL (how 2025 relays report a video in fail_reason)."""
    if not isinstance(value, str):
        return False
    value = value.strip()
    return value[:8].lower().startswith(("http://", "https://")) and not any(
        c.isspace() for c in value
    )


def _number(value: Any) -> float | None:
    """A finite number from a JSON number or numeric string; bools, NaN and inf refused."""
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:
            return None
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        if len(text) < 64 and text.isascii() and text.replace(".", "", 1).isdigit():
            return float(text)  # "5.1", "12": the common case, without the regex
        if text and len(text) < 64 and _NUMBER.fullmatch(text):
            number = float(text)
            return number if math.isfinite(number) else None
    return None


def read_progress(value: Any) -> float | None:
    """``45``, ``"45"``, ``"45%"`` -> 45.0, clamped to 0-100; ``""`` / missing -> ``None``."""
    if isinstance(value, str):
        value = value.strip().removesuffix("%")
    number = _number(value)
    if number is None:
        return None
    return min(max(number, 0.0), 100.0)


def read_units(value: Any) -> float | None:
    """A task's cost as a number or numeric string (``"12.5"``); outside 0..MAX_UNITS -> None."""
    number = _number(value.strip() if isinstance(value, str) else value)
    return number if number is not None and 0 <= number <= MAX_UNITS else None


def read_index(value: Any) -> int | None:
    """An image's ``index``: a JSON integer or a short digit string, 0..MAX_IMAGE_INDEX."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 6:
        value = int(value.strip())
    if type(value) is int and 0 <= value <= MAX_IMAGE_INDEX:
        return value
    return None


def read_word(value: Any) -> str | None:
    """A short name (a model name): cleaned, capped at WORD_LIMIT; blank -> None."""
    if isinstance(value, str) and value.strip():
        return clean_text(value.strip(), WORD_LIMIT) or None
    return None


def read_duration(value: Any) -> float | None:
    """Seconds as a number or string (``"5.1"``, ``"5s"``); negative -> ``None``."""
    if isinstance(value, str):
        value = value.strip().removesuffix("s")
    number = _number(value)
    return number if number is not None and number >= 0 else None


def read_time(value: Any) -> datetime | None:
    """Unix seconds or milliseconds (told apart by size), or an ISO-8601 string; 0 -> None."""
    if type(value) is int and 0 < value < _MAX_INT_TIME:  # the native answer's ms: fast path
        try:
            return datetime.fromtimestamp(value / 1000.0 if value > _MS_THRESHOLD else value, UTC)
        except (OverflowError, ValueError, OSError):
            return None
    if isinstance(value, str) and ("T" in value or "-" in value[1:]):
        try:
            when = datetime.fromisoformat(value.strip())
            return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        except (ValueError, OverflowError):
            return None
    number = _number(value)
    if number is None or number <= 0:
        return None
    if number > _MS_THRESHOLD:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, ValueError, OSError):
        return None
