"""Task ids: refuse the dangerous ones before any request is built.

A task id ends up as one path segment of a URL (``/v1/videos/{kind}/{id}``). Ids are
opaque (Kling's 18-19 digit numbers, 22-character base64-like strings, relay ids such as
``task_…``, free-text external ids), so we do not check a format; we refuse what could
change *which* URL is requested (``/``, ``\\``, ``..``, ``?``, ``#``) or what an operator
sees (whitespace, control and bidi characters), and percent-encode everything else.
"""

from __future__ import annotations

import re
import unicodedata
from enum import Enum
from urllib.parse import quote

from kling_tui.gateway.sanitize import clean_text

__all__ = [
    "ID_FORMS_HINT",
    "MAX_ID_LENGTH",
    "IdForm",
    "InvalidTaskId",
    "classify_id",
    "percent_encode_id",
    "split_ids",
    "validate_task_id",
]

MAX_ID_LENGTH = 256

# Categories refused anywhere in an id: controls (Cc), format characters such as bidi
# overrides and zero-width spaces (Cf), lone surrogates (Cs), line/paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

_SPLIT = re.compile(r"[\s,]+")


class InvalidTaskId(ValueError):
    """An id that must not be sent; ``str(exc)`` names the id (escaped) and the reason.

    ``task_id`` holds the offending id (stripped, not escaped) and ``reason`` the bare reason,
    for callers that want to lay the message out themselves.
    """

    def __init__(self, task_id: str, reason: str) -> None:
        self.task_id = task_id
        self.reason = reason
        shown = clean_text(task_id, 80)
        super().__init__(f"'{shown}': {reason}" if task_id else reason)


def validate_task_id(raw: str) -> str:
    """Return ``raw`` without surrounding whitespace, or raise :class:`InvalidTaskId`.

    Refused: empty, longer than 256 characters, ``.`` alone, anything containing ``/``,
    ``\\``, ``..``, ``?``, ``#``, whitespace, or a control / format (bidi, zero-width)
    character. Messages read like ``'a/b': contains "/" (a path separator)``.
    """
    if type(raw) is str and raw.isascii() and raw.isalnum() and len(raw) <= MAX_ID_LENGTH:
        # The common form (Kling's numeric ids, hex ids), checked twice per imported task
        # (the normalizer, the store): ASCII letters and digits only cannot hold anything
        # refused below (no whitespace, separator, dot or control character; never empty).
        return raw
    if not isinstance(raw, str):
        raise InvalidTaskId("", f"task id must be text, not {type(raw).__name__}")
    task_id = raw.strip()
    if not task_id:
        raise InvalidTaskId("", "task id is empty")
    if len(task_id) > MAX_ID_LENGTH:
        raise InvalidTaskId(task_id, f"longer than {MAX_ID_LENGTH} characters ({len(task_id)})")
    if task_id == ".":
        raise InvalidTaskId(task_id, '"." is not a task id (it names the directory)')
    if ".." in task_id:
        raise InvalidTaskId(task_id, 'contains ".." (could climb out of the API path)')
    for ch, why in (
        ("/", "a path separator"),
        ("\\", "a path separator on some servers"),
        ("?", "it would start a query string"),
        ("#", "it would start a URL fragment"),
    ):
        if ch in task_id:
            raise InvalidTaskId(task_id, f'contains "{ch}" ({why})')
    # str.isprintable() is False for every whitespace character but the ASCII space.
    if not task_id.isprintable() or " " in task_id:
        for ch in task_id:
            if ch.isspace():
                raise InvalidTaskId(task_id, f"contains whitespace ({_name(ch)})")
            if unicodedata.category(ch) in _REFUSED_CATEGORIES:
                raise InvalidTaskId(task_id, f"contains a control character ({_name(ch)})")
    return task_id


def _name(ch: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: says which invisible character it was."""
    code = f"U+{ord(ch):04X}"
    name = unicodedata.name(ch, "")
    return f"{code} {name}" if name else code


def split_ids(text: str) -> list[str]:
    """Split pasted text into ids on whitespace, commas and newlines.

    Empty pieces are dropped, order is kept, repeats are dropped (the first one wins):
    pasting the same list twice must not watch a task twice. Ids are not validated here.
    """
    return list(dict.fromkeys(piece for piece in _SPLIT.split(text) if piece))


def percent_encode_id(task_id: str) -> str:
    """Encode an id as one URL path segment: every reserved character, ``/`` included."""
    return quote(task_id, safe="")


class IdForm(Enum):
    """The id forms Kling and the relays are known to hand out (see the API notes)."""

    KLING_NUMERIC = "Kling id (18-19 digits)"
    KLING_BASE64 = "older Kling id (22 base64-like characters)"
    RELAY_TASK = "relay id (task_ + 32 characters)"
    RELAY_KLING = "relay id (kling-v + digits)"


ID_FORMS_HINT = "Kling ids are 18-19 digits, relay ids task_ + 32 characters"
"""One line telling an operator what a recognised id looks like."""

_FORMS: tuple[tuple[IdForm, re.Pattern[str]], ...] = (
    (IdForm.KLING_NUMERIC, re.compile(r"[0-9]{18,19}")),
    # The notes say 32; a relay fixture has 35: accept a band around it.
    (IdForm.RELAY_TASK, re.compile(r"task_[A-Za-z0-9]{24,48}")),
    (IdForm.RELAY_KLING, re.compile(r"kling-v[0-9]{18,19}")),
    # Base64 of 16 bytes without padding, URL-safe or not ("/" is refused anyway). At least
    # one letter: 22 digits are a mistyped number, not a base64 id.
    (IdForm.KLING_BASE64, re.compile(r"(?=[0-9+_-]*[A-Za-z])[A-Za-z0-9+_-]{22}")),
)


def classify_id(task_id: str) -> IdForm | None:
    """Which known id form ``task_id`` has, or ``None`` for anything else.

    ``None`` is not an error: an external id (the caller's own ``external_task_id``) is free
    text. It is a reason to *warn*: ``12``, ``abc-not-an-id`` or a 32-digit number are far
    more often a paste gone wrong than a real id, and the operator should see that before
    polling a task that will only ever answer "not found". ASCII digits only: a regex
    digit class would accept other scripts' digits, which no Kling id contains.
    """
    for form, pattern in _FORMS:
        if pattern.fullmatch(task_id):
            return form
    return None
