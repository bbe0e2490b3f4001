"""Make server text safe to show in a terminal, without hiding what the server said.

Every string that comes from a server (status words, messages, ids, URLs, the raw body)
passes through :func:`clean_text` before anything else sees it. Rich ``Text`` and Textual
``Content`` strip only BEL, BS, VT, FF and CR, so anything else reaches the real terminal:

* C0 controls (U+0000-U+001F), DEL (U+007F) and C1 controls (U+0080-U+009F, e.g. U+009B
  CSI) can start escape sequences: OSC 52 clipboard writes, OSC 8 links, cursor moves.
* Bidi controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) reorder what the
  operator sees (a URL that reads differently from what it is).
* U+2028 / U+2029 (line / paragraph separators) break lines where none is expected.
* Zero-width and invisible format characters (U+00AD soft hyphen, U+180E, U+200B-U+200D,
  U+2060-U+2064, U+FEFF, and the other invisible format controls: U+206A-U+206F,
  U+FFF9-U+FFFB, U+1BCA0-U+1BCA3, U+1D173-U+1D17A) and tag characters (U+E0000-U+E007F)
  hide text: an id or a URL
  that looks like another, or a message that carries an invisible payload. They are
  escaped even where they are legitimate (the joiner inside an emoji family), because an
  operator must be able to see every character a server sent.
* Lone surrogates (U+D800-U+DFFF, possible from JSON ``"\\ud800"``) make the terminal
  writer raise ``UnicodeEncodeError`` and would crash the app.

Each such character becomes a *visible* escape instead of vanishing, so an operator can
still see that the server sent something odd: ``\\x1b``, ``\\x9b``, ``\\u202e``, and the
usual short forms ``\\n``, ``\\t``, ``\\r`` (``\\U000e0041`` beyond U+FFFF). Backslashes
already in the text are kept as they are (an escape in the output is therefore not proof
the server sent a control character; it is only ever safe to print). Markup-like text such
as ``[bold]`` is kept verbatim: markup safety is the UI's job, which builds
``rich.text.Text`` objects from these strings.

The cap bounds layout cost (a 1,000,000-character message blocked the UI for over a
second); a truncated string ends with ``…`` and is never longer than ``limit``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["ELLIPSIS", "REDACTED", "clean_optional", "clean_text", "redact"]

ELLIPSIS = "…"
REDACTED = "***"
MIN_SECRET = 4
"""Shorter values are not searched for: redacting every ``a`` would wreck the text."""

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
_TAGS = "\U000e0000-\U000e007f"
_FORMAT = "\u206a-\u206f\ufff9-\ufffb\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
"""Invisible format controls (deprecated shaping controls, interlinear annotation, shorthand
and musical format characters): a range, like ``_TAGS``, for the pattern only."""

# Everything that must not reach the terminal raw. ``str.isprintable`` is False for all of
# these (they are categories Cc, Cf, Cs, Zl, Zp), which gives a C-speed fast path.
_OTHERS = _BIDI + _INVISIBLE + "\u2028\u2029\ud800-\udfff" + _TAGS + _FORMAT
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f" + _OTHERS + "]")
_UNSAFE_NOT_LAYOUT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + _OTHERS + "]")

_SHORT = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape_char(ch: str) -> str:
    """The visible escape for one unsafe character (``\\x1b``, ``\\u202e``, ``\\n``)."""
    short = _SHORT.get(ch)
    if short is not None:
        return short
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


_ESCAPES: dict[str, str] = {
    chr(c): _escape_char(chr(c)) for c in [*range(0x20), *range(0x7F, 0xA0)]
} | {ch: _escape_char(ch) for ch in _BIDI + _INVISIBLE + "\u2028\u2029"}


def _escape_match(match: re.Match[str]) -> str:
    ch = match.group()
    return _ESCAPES.get(ch) or _escape_char(ch)


def _bounded(value: str, pattern: re.Pattern[str], budget: int) -> str:
    """Escape ``value`` but stop before the output would pass ``budget`` characters.

    Escapes are never cut in half (``\\u20`` would be misleading): one that does not fit
    whole is left out.
    """
    parts: list[str] = []
    used = 0
    pos = 0
    for match in pattern.finditer(value):
        chunk = value[pos : match.start()]
        if used + len(chunk) >= budget:
            parts.append(chunk[: budget - used])
            return "".join(parts)
        parts.append(chunk)
        used += len(chunk)
        esc = _escape_match(match)
        if used + len(esc) > budget:
            return "".join(parts)
        parts.append(esc)
        used += len(esc)
        pos = match.end()
    parts.append(value[pos : pos + budget - used])
    return "".join(parts)


def clean_text(value: str, limit: int = 2000, *, multiline: bool = False) -> str:
    """Return ``value`` with unsafe characters escaped visibly and at most ``limit`` characters.

    ``multiline=True`` keeps ``\\n`` and ``\\t`` as they are (and turns ``\\r\\n`` into
    ``\\n``): meant for the raw-body view, where a pretty-printed JSON answer should keep its
    lines. Every other caller gets one-line text, so a message cannot push table rows around.

    A non-``str`` value is converted with ``str()`` first, so a stray ``int`` from a JSON
    answer cannot raise here.
    """
    if not isinstance(value, str):
        value = str(value)
    if limit <= 0:
        return ""
    if value.isprintable() or (
        # the raw view's fast path: pretty-printed JSON is printable but for its layout
        multiline and value.replace("\n", " ").replace("\t", " ").isprintable()
    ):
        if len(value) <= limit:
            return value
        return value[: limit - 1] + ELLIPSIS
    # Escapes only make text longer, so ``limit + 1`` input characters are enough to know
    # whether the output must be truncated; never scan a huge body in full.
    head = value[: limit + 1]
    pattern = _UNSAFE
    if multiline:
        head = head.replace("\r\n", "\n")
        pattern = _UNSAFE_NOT_LAYOUT
    out = pattern.sub(_escape_match, head)
    if len(value) <= limit and len(out) <= limit:
        return out
    return _bounded(head, pattern, limit - 1) + ELLIPSIS


def clean_optional(value: object, limit: int = 2000) -> str | None:
    """``None`` stays ``None`` (a field the server did not send); anything else is cleaned.

    Non-string values (a JSON number, say) are turned into text with ``str()`` first.
    """
    if value is None:
        return None
    return clean_text(value if isinstance(value, str) else str(value), limit)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of every secret replaced by ``***``.

    For server text that may quote a request back (a 401 that echoes ``Authorization``).
    Text cut short by :func:`clean_text` may hold the first part of a secret just before the
    ``…`` (``server said: Bearer sk-12…)``): 4 or more characters that start a secret, right
    before an ellipsis, are redacted too. Tokens are printable ASCII, which cleaning never
    changes, so a secret in cleaned text reads exactly as it was sent.
    """
    for secret in secrets:
        if len(secret) < MIN_SECRET:
            continue
        if secret in text:
            text = text.replace(secret, REDACTED)
        if ELLIPSIS in text:
            text = _redact_cut(text, secret)
    return text


def _redact_cut(text: str, secret: str) -> str:
    """Redact a secret's beginning that ends where ``clean_text`` cut the text (``…``)."""
    parts = text.split(ELLIPSIS)
    for i, part in enumerate(parts[:-1]):
        if part[-MIN_SECRET:] not in secret:  # cheap filter: most parts end in no secret
            continue
        for size in range(min(len(secret) - 1, len(part)), MIN_SECRET - 1, -1):
            if part.endswith(secret[:size]):
                parts[i] = part[:-size] + REDACTED
                break
    return ELLIPSIS.join(parts)
