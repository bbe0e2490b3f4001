"""When a finished task's result URL stops working, and how long it has left.

Kling deletes results about 30 days after a task finishes, and some relays' CDN links die
sooner. The rule, decided once here and read by the dashboard (time left, the header
count, ``status:expiring``, the daily toast) and the headless ``--json`` output:

* Only a task that **succeeded** has a result to lose; failed / unfinished tasks have no
  expiry (``None``).
* A gateway that says when its result expires wins: ``TaskSnapshot.expires_at``, read by
  the one normalizer from the answer's ``expires_at`` (the OpenAI-style video object's
  field, also accepted on the relay record and the native task object).
* Otherwise :data:`RESULT_LIFETIME` (30 days) from the task's finish: the snapshot's
  ``updated_at`` (the answer's last change, which for a succeeded task is its finish),
  else ``fetched_at`` (a finished task is not polled again, so that is when we first saw
  it finished: at worst a little later than the real finish, never a made-up time).

"Expiring" is less than :data:`EXPIRING_WITHIN` (3 days) left, not yet expired, and not
downloaded: an expired result cannot be fetched any more, and a downloaded one is safe.

Pure: no Textual, ``now`` always passed in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kling_tui.models import Status, TaskSnapshot, WatchEntry

__all__ = [
    "EXPIRING_WITHIN",
    "RESULT_LIFETIME",
    "downloaded",
    "expires_at",
    "fmt_left",
    "is_expiring",
    "seconds_left",
]

RESULT_LIFETIME = timedelta(days=30)
"""How long Kling keeps a result after the task finished (the API documentation)."""
EXPIRING_WITHIN = timedelta(days=3)
"""Less time left than this (and not downloaded): ``status:expiring``, the header count."""


def expires_at(snapshot: TaskSnapshot | None) -> datetime | None:
    """When the result of this snapshot's task stops being served; None: nothing to lose."""
    if snapshot is None or snapshot.status is not Status.SUCCEEDED:
        return None
    given = snapshot.expires_at
    if given is not None:
        return given
    finished = snapshot.updated_at or snapshot.fetched_at
    return finished + RESULT_LIFETIME


def seconds_left(snapshot: TaskSnapshot | None, now: datetime) -> float | None:
    """Seconds until the result expires (negative: expired); None: no expiry."""
    when = expires_at(snapshot)
    return None if when is None else (when - now).total_seconds()


def downloaded(entry: WatchEntry) -> bool:
    """The task's results are on disk (recorded by the downloader on the entry)."""
    return bool(getattr(entry, "local_files", ()))


def is_expiring(entry: WatchEntry, now: datetime) -> bool:
    """Less than three days left, not expired yet, and not downloaded."""
    left = seconds_left(entry.snapshot, now)
    if left is None or not 0 < left < EXPIRING_WITHIN.total_seconds():
        return False
    return not downloaded(entry)


def fmt_left(seconds: float) -> str:
    """Time left, short (one unit): ``29d``, ``2d``, ``23h``, ``59m``; ``expired``."""
    if seconds <= 0:
        return "expired"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{max(1, minutes)}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    days = hours // 24
    return f"{days}d" if days < 1000 else ">999d"
