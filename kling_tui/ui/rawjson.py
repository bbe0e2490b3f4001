"""The raw answer, laid out for reading: indented, highlighted, and still the server's text.

The stored raw body (``TaskSnapshot.raw``) is already sanitised by the normaliser: control
and bidi characters are visible escapes, the length is capped. Decoding it with ``json``
and dumping it again would turn ``"\\u001b"`` back into a real ESC and drop duplicate keys,
so the layout here only re-indents the text between tokens: every string, number and key
is shown exactly as stored, in the order received. A body that is not JSON (an HTML error
page, a cut-off answer) still shows; a cut-off one is indented as far as it goes.
"""

from __future__ import annotations

import re

from pygments.token import Token
from rich.style import Style
from rich.syntax import ANSISyntaxTheme, Syntax
from rich.text import Text

from kling_tui.ui.widgets.palette import Palette

INDENT = "  "
MAX_INDENT_LEVELS = 12
"""Deeper levels are laid out at this indent: a hostile (valid) body of 900 nested arrays
around 25,000 numbers, 52 KB, made 1,800-column lines, 46 MB of text and seconds of
highlighting; capped, the layout is at most ~13 times the body."""

_TOKEN = re.compile(
    r'"[^"\\]*(?:\\.[^"\\]*)*"?'  # a string (perhaps cut off at the end of the body)
    r"|[{}\[\],:]"  # structure
    r'|[^\s"{}\[\],:]+'  # a number, true / false / null, or anything else
    r"|\s+",
    re.DOTALL,
)


def pretty_json(raw: str) -> str | None:
    """``raw`` re-indented (two spaces per level); None if it does not start like JSON."""
    text = raw.strip()
    if not text or text[0] not in "{[":
        return None
    parts: list[str] = []
    depth = 0
    prev = ""
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0] in " \t\r\n":
            continue
        if token in ("}", "]"):
            depth = max(0, depth - 1)
            if prev not in ("{", "["):
                parts.append("\n" + INDENT * min(depth, MAX_INDENT_LEVELS))
            parts.append(token)
        else:
            if prev in ("{", "[", ","):
                parts.append("\n" + INDENT * min(depth, MAX_INDENT_LEVELS))
            parts.append(": " if token == ":" else token)
            if token in ("{", "["):
                depth += 1
        prev = token if len(token) == 1 and token in "{}[],:" else "value"
    return "".join(parts)


def json_theme(palette: Palette) -> ANSISyntaxTheme:
    """Token colours from the current kling theme, no background of their own."""
    return ANSISyntaxTheme(
        {
            Token.Name.Tag: Style(color=palette.badge_color("in_progress"), bold=True),  # keys
            Token.String: Style(color=palette.badge_color("succeeded")),
            Token.Number: Style(color=palette.badge_color("stale")),
            Token.Keyword: Style(color=palette.badge_color("submitted")),
            Token.Punctuation: Style(color=palette.muted),
            Token.Error: Style(color=palette.error),
            Token.Text: Style(color=palette.foreground),
        }
    )


def render_json(raw: str, palette: Palette) -> Text:
    """The raw body as highlighted, indented ``Text`` (plain text if it is not JSON).

    ``Syntax`` only colours lexer tokens: square brackets and ``@click`` in the body are
    characters, never markup.
    """
    pretty = pretty_json(raw)
    if pretty is None:
        return Text(raw)
    syntax = Syntax(pretty, "json", theme=json_theme(palette), word_wrap=True)
    text = syntax.highlight(pretty)
    text.rstrip()
    return text
