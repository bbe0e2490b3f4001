"""The URL rules: which URL may be opened in a browser, and what a gateway's URL may be.

Gateway URLs (``base_url``, ``path_prefix``) come from the config, the command line and the
watch list, and all three go through :func:`check_base_url` and :func:`check_path_prefix`:
a watch-list entry with ``path_prefix = "/kling/v1/../../v1/account/costs?q="`` would
otherwise send an authenticated request to another endpoint of the same host.

Browser URLs:

``webbrowser.open`` passes its argument to a browser command unchanged: ``file://`` and
``javascript:`` URLs, or a string starting with ``-`` (read as a command-line option), are a
known attack class. Video URLs come from gateway answers, i.e. from the network, so every one
is checked here, on the *raw* string exactly as it would be passed on, before it is opened.
Normalising first (stripping, unquoting) would check a different string than the one opened.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
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


def local_file_url(path: str, folder: Path) -> tuple[str | None, str | None]:
    """``(file:// URL, None)`` for a downloaded file the dashboard may open, else
    ``(None, why not)``.

    Only a regular file that exists under the download folder (both with symlinks
    resolved: a recorded path or a link inside the folder cannot point the opener at
    another file) is handed to the browser, as a ``file://`` URL that ``Path.as_uri``
    percent-encodes (no space, control or non-ASCII character reaches the opener).
    """
    try:
        real = Path(os.path.realpath(path))
        root = Path(os.path.realpath(folder))
    except (OSError, ValueError) as exc:
        return None, f"its path cannot be read ({type(exc).__name__})"
    if not real.is_relative_to(root) or real == root:
        return None, "it is outside the download folder"
    try:
        if not real.is_file():
            return None, "it is no longer on disk"
    except OSError:
        return None, "it is no longer on disk"
    return real.as_uri(), None


# -- gateway URLs ----------------------------------------------------------------------------


class UrlRuleError(ValueError):
    """A gateway URL breaks the rule. ``expected`` says what would be accepted; ``echo`` is
    False when the value must not be repeated in a message (it may hold a password)."""

    def __init__(self, expected: str, *, echo: bool = True) -> None:
        self.expected = expected
        self.echo = echo
        super().__init__(expected)


PATH_PREFIX_RULE = "a path starting with '/', such as /kling/v1 or /v1"
_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@-]+")


def check_path_prefix(value: object) -> str:
    """A gateway's ``path_prefix``, normalised: no trailing ``/``; ``/`` alone means none.

    Segments of unreserved URL characters only: no ``..`` or ``.`` (a request would leave
    the API's path), no empty segment, no ``%`` (``%2e%2e`` is ``..`` to many servers), no
    ``?``, ``#``, backslash, whitespace, control or non-ASCII character.
    """
    if not isinstance(value, str) or not value.startswith("/"):
        raise UrlRuleError(PATH_PREFIX_RULE)
    trimmed = value.rstrip("/")
    for segment in trimmed.split("/")[1:]:
        if segment in (".", "..") or not _SEGMENT.fullmatch(segment):
            raise UrlRuleError(PATH_PREFIX_RULE)
    return trimmed or "/"


def check_base_url(value: object) -> str:
    """A gateway's ``base_url``: ``http(s)://host[:port]`` and nothing else, without a
    trailing ``/``. The path belongs in ``path_prefix``; userinfo is refused and, since it
    may be a password, not echoed."""
    expected = "an http(s) URL"
    if not isinstance(value, str):
        raise UrlRuleError(expected)
    text = value.strip()
    if any(c.isspace() or ord(c) < 0x20 or ord(c) >= 0x7F for c in text):
        raise UrlRuleError(
            expected + " (no whitespace, control or non-ASCII characters)", echo=False
        )
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise UrlRuleError(expected + " (with a valid host and port)") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UrlRuleError(expected)
    if "@" in parts.netloc:
        raise UrlRuleError(
            expected + " without user:password@ (put the token elsewhere)", echo=False
        )
    if not port_ok:
        raise UrlRuleError(expected + " (with a valid port)")
    if parts.path not in ("", "/"):
        raise UrlRuleError(f"{expected} without a path (put {parts.path!r} in path_prefix)")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise UrlRuleError(expected + " without ?query or #fragment")
    return text.rstrip("/")


def endpoint_url(base_url: object, path_prefix: object, path: str) -> str:
    """``{base_url}{path_prefix}/{path}``, both gateway parts checked by the rules above:
    the one way a kind's endpoint is built, for a single task (``Fetcher.url_for``) and for
    its list (``listing.list_url``). A gateway built in code cannot slip ``..`` or ``?``
    into the path either. Raises :class:`UrlRuleError`."""
    base = check_base_url(base_url)
    prefix = check_path_prefix(path_prefix)
    return f"{base}{'' if prefix == '/' else prefix}/{path}"
