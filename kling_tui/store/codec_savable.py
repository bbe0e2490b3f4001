"""``plainly_savable``: the cheap test that lets ``check_new_entry`` skip the write-and-read
round trip for an entry in the plain form an import or ``add`` builds.

Apart from ``codec.py`` because it is a type-and-range mirror of the loader's checks, held to
them by ``tests/unit/test_codec_plainly_savable.py``; re-exported by ``store/codec.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from kling_tui.gateway.fields import (
    MAX_IMAGE_INDEX,
    MAX_UNITS,
)
from kling_tui.models import (
    Image,
    Status,
    TaskSnapshot,
    Video,
    WatchEntry,
)
from kling_tui.store.codec_fields import _KIND_VALUES, MAX_IMAGES


def _finite(value: object) -> bool:
    return type(value) is float and value - value == 0.0  # inf - inf and nan - nan are nan


def _text(value: object) -> bool:
    return value is None or type(value) is str


def _utc_time(value: object) -> bool:
    return type(value) is datetime and value.tzinfo is UTC  # ``_utc`` keeps it as it is


def _plain_video(v: object) -> bool:
    return (
        type(v) is Video
        and _text(v.id)
        and _text(v.url)
        and _text(v.watermark_url)
        and (v.duration is None or _finite(v.duration))
    )


def _plain_snapshot(s: object) -> bool:
    if type(s) is not TaskSnapshot:
        return False
    cost, progress, images = s.final_unit_deduction, s.progress, s.images
    return (
        type(s.status) is Status
        and type(s.task_id) is str
        and type(s.status_raw) is str
        and type(s.message) is str
        and _text(s.external_task_id)
        and _text(s.kling_task_id)
        and _text(s.model)
        and _utc_time(s.fetched_at)
        and (s.created_at is None or _utc_time(s.created_at))
        and (s.updated_at is None or _utc_time(s.updated_at))
        and (s.expires_at is None or _utc_time(s.expires_at))
        and (progress is None or _finite(progress))
        and (cost is None or (_finite(cost) and 0 <= cost <= MAX_UNITS))
        and (s.quota is None or (_finite(s.quota) and 0 <= s.quota <= MAX_UNITS))
        and type(s.progress_synthetic) is bool
        and type(s.videos) is tuple
        and (not s.videos or all(_plain_video(v) for v in s.videos))
        and (s.parent_video is None or _plain_video(s.parent_video))
        and type(images) is tuple
        and len(images) <= MAX_IMAGES
        and (
            not images
            or all(
                type(i) is Image
                and _text(i.url)
                and _text(i.watermark_url)
                and (i.index is None or (type(i.index) is int and 0 <= i.index <= MAX_IMAGE_INDEX))
                for i in images
            )
        )
    )


def plainly_savable(entry: WatchEntry) -> bool:
    """A cheap sufficient test for :func:`check_new_entry`: True when the entry has the
    plain form an import or ``add`` builds (no unknown keys, no own address, no error, no
    ``state_since``, no local files or download error) and every field the loader checks
    has a type and range it accepts (texts are str, times aware UTC, numbers finite
    floats in range, kinds exact names).

    Then writing it and reading it back cannot fail, so the round trip is skipped: 10,000
    imported entries are checked in a few milliseconds rather than a tenth of a second.
    False says nothing but "not plain": the round trip decides. Held to the round trip by
    ``tests/unit/test_codec_plainly_savable.py`` (True never where the loader refuses).
    """
    return (
        type(entry) is WatchEntry
        and type(entry.kind) is str
        and entry.kind in _KIND_VALUES
        and type(entry.gateway) is str
        and entry.gateway != ""
        and type(entry.external) is bool
        and _text(entry.label)
        and entry.base_url is None
        and entry.path_prefix is None
        and not entry.extra
        and entry.last_error is None
        and entry.state_since is None
        and not entry.local_files
        and entry.download_error is None
        and _utc_time(entry.added_at)
        and (entry.snapshot is None or _plain_snapshot(entry.snapshot))
    )
