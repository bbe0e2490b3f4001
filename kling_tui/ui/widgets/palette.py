"""Colours the cell renderers need, resolved once per theme change.

DataTable cells are Rich ``Text``; Rich cannot read Textual CSS variables, so the badge
colours (theme variables ``badge-<status>`` / ``badge-<status>-text``) are looked up here and
turned into plain ``#rrggbb`` strings. Themes without badge variables (Textual's built-in
ones, selectable from the palette) fall back to their semantic colours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.style import Style
from textual.color import Color, ColorParseError

from kling_tui.themes import BADGE_STATUSES, badge_variable, readable_text_on

_FALLBACK_SOURCE = {
    "submitted": "secondary",
    "in_progress": "primary",
    "succeeded": "success",
    "failed": "error",
    "unknown": "accent",
    "error": "error",
    "stale": "warning",
}


def _hex(value: str | None, default: str) -> str:
    if not value:
        return default
    try:
        return Color.parse(value).hex6.lower()
    except (ColorParseError, ValueError):
        return default


@dataclass(frozen=True)
class Palette:
    """Resolved colours for badges, progress bars and muted text."""

    badges: Mapping[str, tuple[str, str]]
    """badge name -> (background, text)."""
    foreground: str
    muted: str
    track: str
    warning: str
    error: str

    def __post_init__(self) -> None:
        # Styles are built once per theme: thousands of cells share them on every redraw.
        cache: dict[str, Style] = {}
        for name, (background, text) in self.badges.items():
            cache[f"badge:{name}"] = Style(color=text, bgcolor=background, bold=True)
            cache[f"fg:{name}"] = Style(color=background)
            cache[f"fg-bold:{name}"] = Style(color=background, bold=True)
        cache["muted"] = Style(color=self.muted)
        cache["track"] = Style(color=self.track)
        object.__setattr__(self, "_styles", cache)

    def _style(self, key: str, fallback: str) -> Style:
        styles: dict[str, Style] = self._styles  # type: ignore[attr-defined]
        return styles[key] if key in styles else styles[fallback]

    def badge_style(self, name: str) -> Style:
        """Badge block: text colour on the badge colour, bold."""
        return self._style(f"badge:{name}", "badge:unknown")

    def badge_fg(self, name: str, *, bold: bool = False) -> Style:
        """The badge colour used as a text colour (progress bars, warning marks)."""
        return self._style(f"fg-bold:{name}" if bold else f"fg:{name}", "fg:unknown")

    @property
    def muted_style(self) -> Style:
        return self._style("muted", "muted")

    @property
    def track_style(self) -> Style:
        return self._style("track", "track")

    def badge_color(self, name: str) -> str:
        return self.badges.get(name, self.badges["unknown"])[0]

    @classmethod
    def from_variables(cls, variables: Mapping[str, str]) -> Palette:
        """Build from ``App.get_css_variables()`` of the current theme."""
        badges: dict[str, tuple[str, str]] = {}
        for status in BADGE_STATUSES:
            fallback = _hex(variables.get(_FALLBACK_SOURCE[status]), "#808080")
            background = _hex(variables.get(badge_variable(status)), fallback)
            text = _hex(
                variables.get(badge_variable(status, text=True)), readable_text_on(background)
            )
            badges[status] = (background, text)
        foreground = _hex(variables.get("foreground"), "#e0e0e0")
        background = _hex(variables.get("background"), "#000000")
        muted = Color.parse(foreground).blend(Color.parse(background), 0.45).hex6.lower()
        track = Color.parse(foreground).blend(Color.parse(background), 0.75).hex6.lower()
        return cls(
            badges=badges,
            foreground=foreground,
            muted=muted,
            track=track,
            warning=_hex(variables.get("warning"), "#d4a017"),
            error=_hex(variables.get("error"), "#d03030"),
        )
