"""Changing the config file in place, comments kept: the checked writer :func:`_write_edit`
and :func:`remember_theme`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from kling_tui.config.errors import ConfigError
from kling_tui.config.file import _TOML_LINE_RE, MAX_CONFIG_BYTES
from kling_tui.config.names import _NAME_RE
from kling_tui.store.atomic import atomic_write
from kling_tui.store.safe_read import FileRefused, loads_toml, read_regular

_TABLE_LINE_RE = re.compile(r"\s*\[")
_THEME_LINE_RE = re.compile(r"""\s*(theme|"theme"|'theme')\s*=""")


def _with_theme(text: str, theme: str) -> str:
    """``text`` with its top-level ``theme`` line replaced or inserted, comments kept.

    A plain TOML rewrite would drop the operator's comments; so edit the one line, and let
    the caller verify the result parses to exactly the intended data.
    """
    new_line = tomli_w.dumps({"theme": theme})
    lines = text.splitlines(keepends=True)
    first_table = next((i for i, ln in enumerate(lines) if _TABLE_LINE_RE.match(ln)), len(lines))
    for i in range(first_table):
        if _THEME_LINE_RE.match(lines[i]):
            lines[i] = new_line
            return "".join(lines)
    at = first_table
    while at > 0 and lines[at - 1].lstrip().startswith("#"):  # the table's own comment
        at -= 1
    while at > 0 and not lines[at - 1].strip():
        at -= 1
    if at > 0 and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    follows = at < len(lines) and lines[at].strip()
    lines[at:at] = [new_line, "\n"] if follows else [new_line]
    return "".join(lines)


def _write_edit(path: Path, edited: str, wanted: dict[str, Any]) -> None:
    """Write ``edited`` (the file's own text with one change made in place, so comments
    stay) if it parses to exactly ``wanted``; otherwise the plain dump of ``wanted``.
    One atomic replace either way; an unwritable file is a ``ConfigError``, left as it was."""
    try:
        ok = loads_toml(edited) == wanted
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        edited = tomli_w.dumps(wanted)
    try:
        atomic_write(path, edited.encode("utf-8"))
    except OSError as exc:
        raise ConfigError(
            path, None, f"a writable file ({exc.strerror or exc}); it is unchanged"
        ) from None


def remember_theme(path: Path, theme: str) -> None:
    """Persist the chosen theme in the config file, keeping everything else as it was.

    A file that does not parse is left untouched (``ConfigError``): overwriting it would
    destroy the operator's settings. The line is edited in place so comments survive; if the
    edit does not parse back to exactly the old data plus the theme, the file is rewritten
    from the parsed data instead (correct, but without comments).
    """
    if not isinstance(theme, str) or not _NAME_RE.fullmatch(theme):
        raise ConfigError(path, "theme", "a theme name (letters, digits, '_', '.', '-')", theme)
    path = Path(path)
    try:
        text = read_regular(path, limit=MAX_CONFIG_BYTES)[0].decode("utf-8")
    except FileNotFoundError:
        text = ""
    except FileRefused as exc:
        raise ConfigError(path, None, f"a regular file ({exc.reason})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, f"a readable UTF-8 file ({exc})") from None
    try:
        data = loads_toml(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE_RE.search(str(exc))
        raise ConfigError(
            path, None, f"valid TOML: {exc}", line=int(match.group(1)) if match else None
        ) from None
    if data.get("theme") == theme:
        return
    wanted = {**data, "theme": theme}
    _write_edit(path, _with_theme(text, theme), wanted)
