"""The checks of one value from one source (file, environment, command line): each raises
a :class:`~kling_tui.config.errors.ConfigError` naming that source and the key.
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path
from typing import Any

from kling_tui.config.errors import _NO_VALUE, ConfigError
from kling_tui.config.names import _NAME_RE
from kling_tui.gateway.urls import UrlRuleError, check_base_url, check_path_prefix

_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Reader:
    """Validation helpers bound to one source (file, environment or command line)."""

    def __init__(self, file: Path | None, where: str | None = None) -> None:
        self.file = file
        self.where = where

    def error(self, key: str | None, expected: str, got: Any = _NO_VALUE) -> ConfigError:
        return ConfigError(self.file, key, expected, got, where=self.where)

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(key, "a table", value)
        return value

    def known_keys(self, table: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        """Typo protection: an unknown key is an error, with the closest known key."""
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.error(
                    f"{prefix}{key}", f"a known key{hint}; known: {', '.join(allowed)}"
                )

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "a non-empty string", value)
        return value.strip()

    def name(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
            raise self.error(
                key, "a gateway name (letters, digits, '_', '.', '-'; at most 64)", value
            )
        return value

    def env_name(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not _ENV_NAME_RE.fullmatch(value):
            raise self.error(key, "an environment variable name such as KLING_API_KEY", value)
        return value

    def number(self, value: Any, key: str, bounds: tuple[float, float], unit: str) -> float:
        """A finite number within ``bounds`` (inclusive); bools are refused (TOML ``true``
        is not 1). The message gives the range, so the operator need not look it up."""
        low, high = bounds
        # The range test comes first: it is exact for an int of any size, while
        # ``math.isfinite`` raises OverflowError on one no float holds (``timeout = 1e400``
        # written as 401 digits); NaN fails the range test too.
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
            or not math.isfinite(value)
        ):
            raise self.error(key, f"a number from {low:g} to {high:g} ({unit})", value)
        return float(value)

    def integer(self, value: Any, key: str, bounds: tuple[int, int]) -> int:
        low, high = bounds
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(key, f"a whole number from {low} to {high}", value)
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, "true or false", value)
        return value

    def base_url(self, value: Any, key: str) -> str:
        """``http(s)://host[:port]`` with nothing else:
        :func:`~kling_tui.gateway.urls.check_base_url`, the rule the watch list's ``base_url``
        follows too. Userinfo is not echoed."""
        try:
            return check_base_url(value)
        except UrlRuleError as exc:
            raise (
                self.error(key, exc.expected, value) if exc.echo else self.error(key, exc.expected)
            ) from None

    def path_prefix(self, value: Any, key: str) -> str:
        """A URL path starting with ``/`` (``/kling/v1``, ``/v1``); ``/`` alone means none:
        :func:`~kling_tui.gateway.urls.check_path_prefix`, shared with the watch list."""
        try:
            return check_path_prefix(value)
        except UrlRuleError as exc:
            raise self.error(key, exc.expected, value) from None
