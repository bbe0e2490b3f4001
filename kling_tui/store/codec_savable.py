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
        and (v.id is None or type(v.id) is str)
        and (v.url is None or type(v.url) is str)
        and (v.watermark_url is None or type(v.watermark_url) is str)
        and (v.duration is None or _finite(v.duration))
    )


def _plain_image(i: object) -> bool:
    return (
        type(i) is Image
        and (i.url is None or type(i.url) is str)
        and (i.watermark_url is None or type(i.watermark_url) is str)
        and (i.index is None or (type(i.index) is int and 0 <= i.index <= MAX_IMAGE_INDEX))
    )


def _plain_snapshot(s: object) -> bool:
    # Once per entry of an import (10,000): the checks are written out, each a type test
    # or a comparison, not a helper call per field (a third of the time).
    if type(s) is not TaskSnapshot:
        return False
    external, kling, model = s.external_task_id, s.kling_task_id, s.model
    created, updated, expires, fetched = s.created_at, s.updated_at, s.expires_at, s.fetched_at
    cost, progress, quota = s.final_unit_deduction, s.progress, s.quota
    videos, images, parent = s.videos, s.images, s.parent_video
    return (
        type(s.status) is Status
        and type(s.task_id) is str
        and type(s.status_raw) is str
        and type(s.message) is str
        and (external is None or type(external) is str)
        and (kling is None or type(kling) is str)
        and (model is None or type(model) is str)
        and type(fetched) is datetime
        and fetched.tzinfo is UTC  # ``_utc`` keeps it as it is
        and (created is None or (type(created) is datetime and created.tzinfo is UTC))
        and (updated is None or (type(updated) is datetime and updated.tzinfo is UTC))
        and (expires is None or (type(expires) is datetime and expires.tzinfo is UTC))
        and (progress is None or (type(progress) is float and progress - progress == 0.0))
        and (cost is None or (_finite(cost) and 0 <= cost <= MAX_UNITS))
        and (quota is None or (_finite(quota) and 0 <= quota <= MAX_UNITS))
        and type(s.progress_synthetic) is bool
        and type(videos) is tuple
        and (not videos or all(map(_plain_video, videos)))
        and (parent is None or _plain_video(parent))
        and type(images) is tuple
        and len(images) <= MAX_IMAGES
        and (not images or all(map(_plain_image, images)))
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
