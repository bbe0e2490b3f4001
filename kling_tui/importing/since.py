"""``import --since``: an age (``90m``, ``24h``, ``7d``) or a date/time (UTC unless it says)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import utcnow

__all__ = ["SinceError", "parse_since"]

_AGE = re.compile(r"(\d{1,6})\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_AGE = timedelta(days=3660)
"""Ten years: Kling keeps results 30 days; a longer age is a typo."""


class SinceError(ValueError):
    """What ``--since`` could not read, said so a person can fix it."""


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """The aware UTC instant ``text`` names: ``now`` minus an age, or a date/time."""
    now = now or utcnow()
    value = text.strip().lower()
    age = _AGE.fullmatch(value)
    if age:
        delta = timedelta(seconds=int(age.group(1)) * _UNITS[age.group(2)])
        if delta > MAX_AGE:
            raise SinceError(f"--since {clean_text(text, 40)!r} is more than ten years ago")
        return now - delta
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SinceError(
            f"--since expects an age (90m, 24h, 7d) or a date (2026-11-30, 2026-11-30T08:00), "
            f"not {clean_text(text, 40)!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before the calendar's first day in UTC
        raise SinceError(
            f"--since {clean_text(text, 40)!r} is outside the dates kling-tui can read"
        ) from None
