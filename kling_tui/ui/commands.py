"""Keys as bound right now, the command palette's commands, and the help screen."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from textual.app import SystemCommand
from textual.screen import Screen

from kling_tui.ui.bindings import ACTION_HELP, command_title
from kling_tui.ui.screens.help import HelpScreen


class CommandsMixin:
    """KlingApp's help concern: which keys an action has (keymap applied), the palette's
    system commands (every action and theme) and the help screen built from them."""

    def _keys_for(self, action: str, screen: Screen[Any] | None = None) -> str:
        """The keys bound to an action right now (keymap applied), app-level keys first.

        ``screen``: whose bindings count (default: the active one; the command palette
        passes the screen it was opened over, toasts the dashboard's own).
        """
        found: list[tuple[bool, str]] = []
        screen = screen if screen is not None else self.screen
        for key, active in screen.active_bindings.items():
            if active.binding.action in (action, f"app.{action}"):
                shown = key if key in ("enter", "escape") else self.get_key_display(active.binding)
                found.append((active.node is not self, shown))
        found.sort(key=lambda item: item[0])
        return "/".join(dict.fromkeys(shown for _, shown in found))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action, help_text in ACTION_HELP.items():
            if action == "quit":
                continue
            title, detail = command_title(help_text)
            keys = self._keys_for(action, screen)
            shown = [f"key {keys}" if keys else "no key bound", *([detail] if detail else [])]
            yield SystemCommand(title, "  ·  ".join(shown), partial(self.run_action, action))
        current = self.theme
        for name in sorted(self.theme_catalog.themes):
            if name in self.available_themes and name != current:
                yield SystemCommand(
                    f"Theme: {name}",
                    f"Switch to the {name} theme",
                    partial(setattr, self, "theme", name),
                )

    def help_keys(self) -> list[tuple[str, str]]:
        """(keys, description) for every action, with the keys as currently bound."""
        rows = []
        for action, help_text in ACTION_HELP.items():
            keys = self._keys_for(action) or "—"
            rows.append((keys, help_text))
        rows.append(("ctrl+p", "Command palette (every action, themes)"))
        return rows

    def action_help(self) -> None:
        colour = self._palette.badge_color("stale")
        self.push_screen(HelpScreen(self.help_keys(), key_colour=colour))
