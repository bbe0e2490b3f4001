"""Decide whether a URL from a server answer may be handed to the web browser.

``webbrowser.open`` passes its argument to a browser command unchanged: ``file://`` and
``javascript:`` URLs, or a string starting with ``-`` (read as a command-line option), are a
known attack class. Video URLs come from gateway answers, i.e. from the network, so every one
is checked here, on the *raw* string exactly as it would be passed on, before it is opened.
Normalising first (stripping, unquoting) would check a different string than the one opened.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
"""Longer URLs are not video links anyone needs to open, and some browsers truncate them."""

ALLOWED_SCHEMES = frozenset({"http", "https"})


def _bad_character(raw: str) -> str | None:
    """Name the first character a plain http(s) URL never needs, or None."""
    for index, char in enumerate(raw):
        code = ord(char)
        if char.isspace():
            return f"it contains whitespace at position {index + 1}"
        if code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F:
            return f"it contains a control character (U+{code:04X}) at position {index + 1}"
        if char == "\\":
            return f"it contains a backslash at position {index + 1}"
        if code > 0x7E:
            return f"it contains a non-ASCII character (U+{code:04X}) at position {index + 1}"
    return None


def check_open_url(raw: str) -> str | None:
    """Return why ``raw`` must NOT be opened in a browser, or None when it is safe to open.

    Safe means: at most 2,048 characters of printable ASCII without whitespace or
    backslashes, scheme http or https, a host, and no ``user:password@`` part (which is used
    to disguise the real host, e.g. ``https://bank.example@evil.example/``).
    """
    if not isinstance(raw, str) or not raw:
        return "there is no URL"
    if len(raw) > MAX_URL_LENGTH:
        return f"it is longer than {MAX_URL_LENGTH} characters ({len(raw)})"
    bad = _bad_character(raw)
    if bad is not None:
        return bad
    if raw.startswith("-"):
        return "it starts with '-' (a browser would read it as an option)"
    try:
        parts = urlsplit(raw)
        port = parts.port  # raises ValueError for a malformed port
    except ValueError as exc:
        return f"it is not a valid URL ({exc})"
    scheme = parts.scheme.lower()
    if not scheme:
        return "it has no scheme (only http and https links are opened)"
    if scheme not in ALLOWED_SCHEMES:
        return f"its scheme is {scheme!r} (only http and https links are opened)"
    if not raw[len(scheme) + 1 :].startswith("//"):
        return "it has no '//' after the scheme"
    if "@" in parts.netloc:
        return "it contains a user name or password before the host"
    if not parts.hostname:
        return "it has no host"
    if port == 0:
        return "its port is 0"
    return None
