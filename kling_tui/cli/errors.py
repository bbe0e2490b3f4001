"""Exit statuses and the usage error: what every command returns or raises for ``main``."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_TIMEOUT = 0, 1, 2, 3


class UsageError(Exception):
    """A mistake in how the command was called: exit status 2 with the message."""
