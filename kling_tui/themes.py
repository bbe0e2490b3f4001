"""Theme files: find them, parse them, check them, and hand the UI plain data.

A theme is a small TOML file. The bundled ones live in the repository's top-level
``themes/`` folder, which the wheel force-includes as ``kling_tui/_bundled_themes``; users can
drop their own into ``<user config dir>/kling-tui/themes``. This module has no Textual import
(the core stays free of it): it checks every key and colour itself so that the UI can build a
``textual.theme.Theme(**spec.theme_kwargs())`` that cannot raise, and so that a typo in a user
file is reported as ``file: key: what is wrong`` instead of a ``TypeError`` or a CSS error at
the moment someone switches theme.

File format::

    name = "kling-dark"          # optional, defaults to the file name without .toml
    dark = true                  # optional, default true
    description = "..."          # optional

    [colors]                     # textual.theme.Theme fields; primary is required
    primary = "#4c9ff0"
    background = "#12151c"

    [badges]                     # status badge backgrounds (optional, defaults exist)
    succeeded = "#2e9e5b"
    in_progress = "#2f6fc4"

    [badge_text]                 # badge text colours (optional, computed for contrast)
    succeeded = "#ffffff"

    [variables]                  # extra Textual theme variables (optional)
    footer-key-foreground = "#f0c05a"

Colours are ``#rgb``, ``#rrggbb``, ``#rrggbbaa`` (not for badges) or ``rgb(r, g, b)`` /
``rgba(r, g, b, a)``; they are normalised to hex so Rich and Textual both accept them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs

from kling_tui.gateway.sanitize import clean_text
from kling_tui.store.safe_read import FileRefused, loads_toml, read_regular

DEFAULT_THEME = "kling-dark"
BUNDLED_THEMES = ("kling-dark", "kling-light", "kling-high-contrast")

BADGE_STATUSES = ("submitted", "in_progress", "succeeded", "failed", "unknown", "error", "stale")
"""Every status the dashboard draws a badge for (task statuses plus error and stale rows)."""

THEME_COLOR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
"""The colour fields of ``textual.theme.Theme``; anything else there is a ``TypeError``."""

_TOP_LEVEL_KEYS = frozenset(
    {
        "name",
        "dark",
        "description",
        "colors",
        "badges",
        "badge_text",
        "variables",
        "luminosity_spread",
        "text_alpha",
    }
)
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
_VARIABLE_RE = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
_HEX_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_FUNC_RE = re.compile(r"^(rgba?)\(\s*([^)]*)\)$")
_STYLE_WORDS = frozenset(
    {"none", "not", "bold", "b", "dim", "d", "italic", "i", "underline", "u", "reverse", "r"}
    | {"strike", "s", "blink", "underline2", "uu", "overline", "o"}
)
MAX_THEME_FILE_BYTES = 64 * 1024

_DEFAULT_BADGES_DARK = {
    "submitted": "#5a6478",
    "in_progress": "#2f6fc4",
    "succeeded": "#2e9e5b",
    "failed": "#c2364a",
    "unknown": "#7a5fa8",
    "error": "#d9480f",
    "stale": "#b8860b",
}
_DEFAULT_BADGES_LIGHT = {
    "submitted": "#6b7280",
    "in_progress": "#1d5fbf",
    "succeeded": "#1e7b45",
    "failed": "#b4232f",
    "unknown": "#6d4fa0",
    "error": "#c2410c",
    "stale": "#a16207",
}


class ThemeError(ValueError):
    """A theme file that cannot be used, naming the file and the key at fault."""

    def __init__(self, path: Path | str | None, key: str | None, message: str) -> None:
        self.path = Path(path) if path is not None else None
        self.key = key
        self.message = message
        where = str(self.path) if self.path is not None else "<theme>"
        text = f"{where}: {key}: {message}" if key else f"{where}: {message}"
        # Keys, values and file names come from a theme file, maybe one found online: shown
        # in a toast at start-up, they must not carry an escape to the terminal.
        super().__init__(clean_text(text, 2000))


@dataclass(frozen=True, slots=True)
class BadgeColors:
    """Background and text colour of one status badge, as ``#rrggbb``."""

    background: str
    text: str


@dataclass(frozen=True, slots=True)
class ThemeSpec:
    """One validated theme, ready for ``textual.theme.Theme(**spec.theme_kwargs())``."""

    name: str
    dark: bool
    colors: dict[str, str]
    badges: dict[str, BadgeColors]
    variables: dict[str, str] = field(default_factory=dict)
    description: str = ""
    luminosity_spread: float | None = None
    text_alpha: float | None = None
    source: Path | None = None
    bundled: bool = False

    def all_variables(self) -> dict[str, str]:
        """Extra variables plus ``badge-<status>`` and ``badge-<status>-text`` for each badge."""
        merged = dict(self.variables)
        for status, badge in self.badges.items():
            merged[badge_variable(status)] = badge.background
            merged[badge_variable(status, text=True)] = badge.text
        return merged

    def theme_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``textual.theme.Theme``: only keys it accepts."""
        kwargs: dict[str, Any] = {"name": self.name, "dark": self.dark, **self.colors}
        if self.luminosity_spread is not None:
            kwargs["luminosity_spread"] = self.luminosity_spread
        if self.text_alpha is not None:
            kwargs["text_alpha"] = self.text_alpha
        kwargs["variables"] = self.all_variables()
        return kwargs


@dataclass(slots=True)
class ThemeCatalog:
    """Every theme found, by name, and every file that could not be used (with why)."""

    themes: dict[str, ThemeSpec] = field(default_factory=dict)
    errors: list[ThemeError] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return sorted(self.themes)


def badge_variable(status: str, *, text: bool = False) -> str:
    """Theme variable name for a badge: ``badge-in-progress`` / ``badge-in-progress-text``."""
    base = "badge-" + status.replace("_", "-")
    return base + "-text" if text else base


# -- colours -----------------------------------------------------------------------------


def _channel(text: str, path: Path | None, key: str) -> int:
    value = text.strip()
    try:
        if value.endswith("%"):
            number = float(value[:-1]) * 255 / 100
        else:
            number = float(value)
    except ValueError:
        raise ThemeError(path, key, f"{text.strip()!r} is not a number") from None
    if not 0 <= number <= 255:
        raise ThemeError(path, key, f"{text.strip()!r} is outside 0-255")
    return round(number)


def parse_color(
    value: Any, *, path: Path | None = None, key: str = "color", alpha: bool = True
) -> str:
    """Validate a colour and return it as lower-case ``#rrggbb`` (or ``#rrggbbaa``)."""
    accepted = "#rrggbb, #rgb, rgb(r, g, b)" + (", #rrggbbaa or rgba(r, g, b, a)" if alpha else "")
    if not isinstance(value, str):
        raise ThemeError(
            path, key, f"expected a colour string ({accepted}), got {type(value).__name__}"
        )
    text = value.strip()
    if _HEX_RE.match(text):
        digits = text[1:].lower()
        if len(digits) in (3, 4):
            digits = "".join(c * 2 for c in digits)
        if len(digits) == 8:
            if not alpha:
                raise ThemeError(
                    path, key, f"{value!r}: transparency is not allowed here; use #rrggbb"
                )
            if digits.endswith("ff"):
                digits = digits[:6]
        return "#" + digits
    match = _FUNC_RE.match(text)
    if match:
        func, args = match.group(1), [a for a in match.group(2).split(",")]
        want = 4 if func == "rgba" else 3
        if len(args) != want:
            raise ThemeError(path, key, f"{value!r}: {func}() takes {want} values")
        r, g, b = (_channel(a, path, key) for a in args[:3])
        out = f"#{r:02x}{g:02x}{b:02x}"
        if func == "rgba":
            try:
                a = float(args[3])
            except ValueError:
                raise ThemeError(path, key, f"{value!r}: alpha must be 0-1") from None
            if not 0 <= a <= 1:
                raise ThemeError(path, key, f"{value!r}: alpha must be 0-1")
            if a < 1:
                if not alpha:
                    raise ThemeError(path, key, f"{value!r}: transparency is not allowed here")
                out += f"{round(a * 255):02x}"
        return out
    raise ThemeError(path, key, f"{value!r} is not a colour (use {accepted})")


def _luminance(hex_color: str) -> float:
    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_text_on(background: str) -> str:
    """Black or white, whichever reads better on ``background``."""
    return (
        "#000000"
        if contrast_ratio(background, "#000000") >= contrast_ratio(background, "#ffffff")
        else "#ffffff"
    )


# -- parsing -----------------------------------------------------------------------------


def _table(data: Mapping[str, Any], key: str, path: Path | None) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ThemeError(path, key, f"expected a table ([{key}]), got {type(value).__name__}")
    return value


def _unknown(keys: Iterable[str], allowed: Iterable[str], path: Path | None, prefix: str) -> None:
    allowed_set = set(allowed)
    for key in keys:
        if key not in allowed_set:
            listing = ", ".join(sorted(allowed_set))
            raise ThemeError(path, prefix + key, f"unknown key (expected one of: {listing})")


def _float(
    data: Mapping[str, Any], key: str, path: Path | None, low: float, high: float
) -> float | None:
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ThemeError(path, key, f"expected a number, got {type(value).__name__}")
    if not low <= value <= high:
        raise ThemeError(path, key, f"{value} is outside {low}-{high}")
    return float(value)


def theme_from_dict(
    data: Mapping[str, Any],
    *,
    path: Path | None = None,
    default_name: str | None = None,
    bundled: bool = False,
) -> ThemeSpec:
    """Validate parsed TOML data and build a ``ThemeSpec``; raises ``ThemeError``."""
    _unknown(data.keys(), _TOP_LEVEL_KEYS, path, "")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise ThemeError(path, "name", "missing or not a string")
    if not _NAME_RE.match(name):
        raise ThemeError(
            path, "name", f"{name!r}: use lower-case letters, digits, '-' and '_' (max 48)"
        )
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeError(path, "dark", f"expected true or false, got {type(dark).__name__}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ThemeError(path, "description", "expected a string")

    colors_in = _table(data, "colors", path)
    _unknown(colors_in.keys(), THEME_COLOR_FIELDS, path, "colors.")
    if "primary" not in colors_in:
        raise ThemeError(path, "colors.primary", "missing (every theme needs a primary colour)")
    colors = {k: parse_color(v, path=path, key=f"colors.{k}") for k, v in colors_in.items()}

    badges_in = _table(data, "badges", path)
    _unknown(badges_in.keys(), BADGE_STATUSES, path, "badges.")
    text_in = _table(data, "badge_text", path)
    _unknown(text_in.keys(), BADGE_STATUSES, path, "badge_text.")
    defaults = _DEFAULT_BADGES_DARK if dark else _DEFAULT_BADGES_LIGHT
    badges: dict[str, BadgeColors] = {}
    for status in BADGE_STATUSES:
        if status in badges_in:
            background = parse_color(
                badges_in[status], path=path, key=f"badges.{status}", alpha=False
            )
        else:
            background = defaults[status]
        if status in text_in:
            text = parse_color(text_in[status], path=path, key=f"badge_text.{status}", alpha=False)
        else:
            text = readable_text_on(background)
        badges[status] = BadgeColors(background, text)

    variables_in = _table(data, "variables", path)
    variables: dict[str, str] = {}
    for key, value in variables_in.items():
        where = f"variables.{key}"
        if not _VARIABLE_RE.match(key):
            raise ThemeError(path, where, "variable names are lower-case letters, digits and '-'")
        if key.startswith("badge-"):
            raise ThemeError(path, where, "set badge colours in [badges] and [badge_text]")
        if key.endswith("-style"):
            if (
                not isinstance(value, str)
                or not value.split()
                or not set(value.split()) <= _STYLE_WORDS
            ):
                words = ", ".join(sorted(_STYLE_WORDS))
                raise ThemeError(path, where, f"{value!r} is not a text style (words: {words})")
            variables[key] = " ".join(value.split())
        else:
            variables[key] = parse_color(value, path=path, key=where)

    return ThemeSpec(
        name=name,
        dark=dark,
        colors=colors,
        badges=badges,
        variables=variables,
        description=description,
        luminosity_spread=_float(data, "luminosity_spread", path, 0.0, 1.0),
        text_alpha=_float(data, "text_alpha", path, 0.0, 1.0),
        source=path,
        bundled=bundled,
    )


def load_theme_file(path: Path, *, bundled: bool = False) -> ThemeSpec:
    """Read and validate one theme file; raises ``ThemeError`` naming the file and key."""
    try:
        raw, _ = read_regular(path, limit=MAX_THEME_FILE_BYTES)  # a FIFO would block
    except FileRefused as exc:
        raise ThemeError(path, None, exc.reason) from None
    except OSError as exc:
        raise ThemeError(path, None, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ThemeError(path, None, "not UTF-8 text") from None
    try:
        data = loads_toml(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(path, None, f"not valid TOML: {exc}") from None
    return theme_from_dict(data, path=path, default_name=path.stem, bundled=bundled)


# -- discovery ---------------------------------------------------------------------------


def bundled_themes_dir() -> Path | None:
    """The bundled themes: inside the installed package, else the source checkout's ``themes/``."""
    try:
        packaged = resources.files("kling_tui") / "_bundled_themes"
        if packaged.is_dir():
            return Path(str(packaged))
    except (ModuleNotFoundError, OSError, TypeError):
        pass
    checkout = Path(__file__).resolve().parent.parent / "themes"
    return checkout if checkout.is_dir() else None


def user_themes_dir() -> Path:
    """Where users put their own theme files."""
    return platformdirs.user_config_path("kling-tui") / "themes"


def _theme_files(directory: Path | None) -> list[Path]:
    if directory is None or not directory.is_dir():
        return []
    try:
        return sorted(p for p in directory.iterdir() if p.suffix == ".toml" and p.is_file())
    except OSError:
        return []


def discover_themes(
    *, bundled_dir: Path | bool | None = True, user_dir: Path | bool | None = True
) -> ThemeCatalog:
    """Load bundled then user themes. A user theme with a bundled name replaces it.

    A broken file never stops the app: it is left out and reported in ``errors``.
    ``True`` means the default location, ``None``/``False`` skips that source.
    """
    catalog = ThemeCatalog()
    sources: list[tuple[Path | None, bool]] = [
        (bundled_themes_dir() if bundled_dir is True else bundled_dir or None, True),
        (user_themes_dir() if user_dir is True else user_dir or None, False),
    ]
    for directory, bundled in sources:
        seen: dict[str, Path] = {}
        for path in _theme_files(directory):
            try:
                spec = load_theme_file(path, bundled=bundled)
            except ThemeError as exc:
                catalog.errors.append(exc)
                continue
            if spec.name in seen:
                catalog.errors.append(
                    ThemeError(
                        path, "name", f"{spec.name!r} is already defined by {seen[spec.name]}"
                    )
                )
                continue
            seen[spec.name] = path
            catalog.themes[spec.name] = spec
    return catalog
