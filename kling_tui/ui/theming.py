"""Themes in the dashboard: load the catalog, pick the start theme, follow and remember changes."""

from __future__ import annotations

from textual.theme import Theme

from kling_tui.config import remember_theme
from kling_tui.themes import DEFAULT_THEME, ThemeCatalog, discover_themes
from kling_tui.ui.widgets.palette import Palette


class ThemesMixin:
    """KlingApp's theme concern: register catalog themes, choose the start theme, and on a
    change repaint the badge palette and save the choice in the config file."""

    def _load_themes(self, themes: ThemeCatalog | None, theme: str | None) -> None:
        """Register every usable catalog theme and switch to the wanted one.

        Problems (a bad theme file, an unknown name) become start-up notes, never errors.
        """
        self.theme_catalog = themes if themes is not None else discover_themes()
        for error in self.theme_catalog.errors[:5]:
            self._startup_notes.append((f"Theme not loaded: {error}", "warning"))
        for spec in self.theme_catalog.themes.values():
            try:
                candidate = Theme(**spec.theme_kwargs())
                candidate.to_color_system().generate()  # prove Textual accepts every colour
            except Exception as exc:  # validated already; never let a theme stop the app
                self._startup_notes.append((f"Theme {spec.name} not usable: {exc}", "warning"))
                continue
            self.register_theme(candidate)
        self._remembered_theme = self.config.theme or None
        wanted = theme or self._remembered_theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            names = ", ".join(sorted(self.theme_catalog.themes)) or "none found"
            self._startup_notes.append((f"Unknown theme {wanted!r}; available: {names}", "warning"))
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self.theme = wanted
        self._palette = Palette.from_variables(self.get_css_variables())

    def _on_theme_changed(self, theme: Theme) -> None:
        self._palette = Palette.from_variables(self.get_css_variables())
        with self.batch_update():
            self.table.set_palette(self._palette)
            self.detail.set_palette(self._palette)
            self.summary.set_palette(self._palette)
        if theme.name != self._remembered_theme:
            self._remember_theme(theme.name)

    def _remember_theme(self, name: str) -> None:
        """Save the theme choice in the config file (off the event loop)."""
        self._remembered_theme = name
        path = self.config.path
        if path is None:
            return

        def save() -> None:
            try:
                remember_theme(path, name)
            except Exception as exc:
                self.call_from_thread(
                    self.notify,
                    f"Could not remember the theme in {path}: {exc}",
                    severity="warning",
                    markup=False,
                )

        self.run_worker(
            save, thread=True, exit_on_error=False, group="remember-theme", name="remember-theme"
        )
