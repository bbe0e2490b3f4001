"""One :class:`ConfigError` per problem, naming the file (or source), the key and what was
expected; values that could be secrets are never shown (:func:`_shown`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kling_tui.config.names import TOKEN_ENV
from kling_tui.gateway.sanitize import clean_text

_NO_VALUE: Any = object()

SHOWN_PREFIX = 4
"""A string value in an error shows at most its first 4 characters and its length: the
operator recognises their typo, and a token pasted into the wrong key is not repeated."""


class ConfigError(Exception):
    """The configuration cannot be used. ``str()`` tells the operator what to fix where.

    ``file`` is the config file (``None`` for environment / command-line problems, then
    ``where`` says which), ``key`` the dotted key or variable / flag name (``None`` for
    whole-file problems), ``expected`` what would be accepted, ``got`` the offending value
    (omitted for anything that could be a secret), ``line`` the TOML line when known.
    """

    def __init__(
        self,
        file: Path | None,
        key: str | None,
        expected: str,
        got: Any = _NO_VALUE,
        *,
        where: str | None = None,
        line: int | None = None,
    ) -> None:
        self.file = file
        self.key = key
        self.expected = expected
        self.got = None if got is _NO_VALUE else got
        self._has_got = got is not _NO_VALUE
        self.where = where
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.file is not None:
            parts = [f"config {self.file}"]
        else:
            parts = [self.where or "configuration"]
        if self.key:
            parts.append(self.key)
        text = ": ".join(parts) + f": expected {self.expected}"
        if self._has_got:
            text += f", got {_shown(self.got)}"
        # names and keys come from the file or the command line: one line, no escapes
        return clean_text(text, 2000)

    def __reduce__(self) -> tuple[Any, ...]:
        got = self.got if self._has_got else _NO_VALUE
        return (_rebuild_error, (self.file, self.key, self.expected, got, self.where, self.line))


def _shown(value: Any) -> str:
    """An offending value, as far as it cannot be a secret.

    Numbers and booleans in full; a string as its first :data:`SHOWN_PREFIX` characters
    and its length (``'sk-a…' (51 characters)``): a token pasted into ``token_env``,
    ``default_gateway`` or ``timeout`` must not be printed back. Tables and arrays by kind.
    """
    if isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str):
        if len(value) <= SHOWN_PREFIX:
            return repr(value)
        return f"{value[:SHOWN_PREFIX] + '…'!r} ({len(value)} characters)"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    return f"a {type(value).__name__}"


class NoGatewayError(ConfigError):
    """No gateway at all, and the operator named none: say how to go on, not which name
    was missing (it was ``"default"``, a name the operator never typed)."""

    def __init__(self, file: Path | None) -> None:
        self.exists = file is not None and file.exists()
        super().__init__(file, "gateway", "a configured gateway")

    def __str__(self) -> str:
        if self.file is None:
            where = "no config file is in use"
        elif self.exists:
            where = f"the config file {self.file} has no [gateways.NAME] table"
        else:
            where = f"no config file at {self.file}"
        text = (
            f"no gateway is configured ({where}). Either pass --base-url URL with the token "
            f"in ${TOKEN_ENV}, or add a [gateways.NAME] table to "
            f"{self.file or 'the config file'} (see the README, section Configuration), "
            "or try it without an account: kling-tui --demo"
        )
        return clean_text(text, 2000)  # the path comes from a flag or the environment

    def __reduce__(self) -> tuple[Any, ...]:
        return (NoGatewayError, (self.file,))


def _rebuild_error(
    file: Path | None, key: str | None, expected: str, got: Any, where: str | None, line: int | None
) -> ConfigError:
    return ConfigError(file, key, expected, got, where=where, line=line)
