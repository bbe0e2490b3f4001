"""expiry: when a finished task's result stops being served, read once by every view.

The gateway's own ``expires_at`` (read by the one normalizer) wins; otherwise 30 days from
the finish (``updated_at``, else ``fetched_at``). Expiring: under 3 days left, not expired,
not downloaded.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kling_tui.expiry import (
    EXPIRING_WITHIN,
    RESULT_LIFETIME,
    expires_at,
    fmt_left,
    is_expiring,
    seconds_left,
)
from kling_tui.gateway.normalize import normalize
from kling_tui.models import LocalFile, Status, TaskSnapshot, WatchEntry, snapshot_json
from kling_tui.store.codec import entry_to_table, read_entry
from tests.support.snapshots import task_snapshot

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GIVEN = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)


def snap(
    status: Status = Status.SUCCEEDED,
    *,
    updated: datetime | None = NOW - timedelta(days=1),
    fetched: datetime = NOW,
    given: datetime | None = None,
) -> TaskSnapshot:
    return task_snapshot(
        "t-1", "text2video", status, fetched, progress=100.0, updated_at=updated, expires_at=given
    )


def watched(snapshot: TaskSnapshot | None) -> WatchEntry:
    return WatchEntry("t-1", "text2video", "main", NOW - timedelta(days=40), snapshot=snapshot)


def run(body: dict[str, Any]) -> TaskSnapshot:
    result = normalize(
        200,
        {"content-type": "application/json"},
        json.dumps(body).encode(),
        task_id="t-1",
        kind="text2video",
        origin="https://relay.test",
        credential_hint="KLING_API_KEY",
        now=NOW,
    )
    assert isinstance(result, TaskSnapshot), result
    return result


def test_thirty_days_from_the_finish() -> None:
    finished = NOW - timedelta(days=1)
    assert expires_at(snap(updated=finished)) == finished + RESULT_LIFETIME
    assert seconds_left(snap(updated=finished), NOW) == pytest.approx(29 * 86400)


def test_without_a_finish_time_the_first_sight_counts() -> None:
    assert expires_at(snap(updated=None, fetched=NOW)) == NOW + RESULT_LIFETIME


def test_the_gateways_expiry_wins() -> None:
    assert expires_at(snap(given=GIVEN)) == GIVEN


@pytest.mark.parametrize("status", [Status.FAILED, Status.IN_PROGRESS, Status.SUBMITTED])
def test_only_a_succeeded_task_has_a_result_to_lose(status: Status) -> None:
    assert expires_at(snap(status)) is None
    assert seconds_left(snap(status), NOW) is None
    assert expires_at(None) is None


def test_expiring_is_under_three_days_not_expired_not_downloaded() -> None:
    close = watched(snap(updated=NOW - RESULT_LIFETIME + timedelta(days=2)))
    far = watched(snap(updated=NOW - timedelta(days=1)))
    gone = watched(snap(updated=NOW - RESULT_LIFETIME - timedelta(hours=1)))
    assert is_expiring(close, NOW)
    assert not is_expiring(far, NOW)
    assert not is_expiring(gone, NOW)
    assert not is_expiring(watched(None), NOW)
    edge = watched(snap(given=NOW + EXPIRING_WITHIN))
    assert not is_expiring(edge, NOW)  # exactly three days left: not yet


def test_a_downloaded_task_is_not_expiring() -> None:
    close = watched(snap(given=NOW + timedelta(hours=5)))
    close.local_files = (LocalFile("/v/a.mp4", 5, "0" * 64, "https://cdn/a", 0, "video"),)
    assert not is_expiring(close, NOW)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (29 * 86400 + 3600, "29d"),
        (2 * 86400 + 5, "2d"),
        (23 * 3600 + 59 * 60, "23h"),
        (59 * 60, "59m"),
        (10, "1m"),
        (0, "expired"),
        (-86400, "expired"),
        (5000 * 86400, ">999d"),
    ],
)
def test_time_left_is_one_short_unit(seconds: float, text: str) -> None:
    assert fmt_left(seconds) == text


# -- the normalizer reads the gateway's expires_at -----------------------------------------


def test_openai_video_object_expires_at_in_seconds() -> None:
    body = {
        "id": "video_1",
        "object": "video",
        "status": "completed",
        "created_at": 1772000000,
        "completed_at": 1772000100,
        "expires_at": int(GIVEN.timestamp()),
        "metadata": {"url": "https://cdn.test/v.mp4"},
    }
    assert run(body).expires_at == GIVEN


def test_native_and_relay_expires_at_in_ms_or_iso() -> None:
    native = {
        "code": 0,
        "data": {
            "task_id": "t-1",
            "task_status": "succeed",
            "expires_at": int(GIVEN.timestamp() * 1000),
            "task_result": {"videos": [{"id": "v", "url": "https://cdn.test/v.mp4"}]},
        },
    }
    assert run(native).expires_at == GIVEN
    relay = {
        "code": "success",
        "data": {
            "task_id": "t-1",
            "status": "SUCCESS",
            "result_url": "https://cdn.test/v.mp4",
            "expires_at": GIVEN.isoformat(),
        },
    }
    assert run(relay).expires_at == GIVEN


@pytest.mark.parametrize("value", ["soon", -5, 0, True, {"at": 1}, None])
def test_a_bad_or_missing_expires_at_is_none(value: Any) -> None:
    body = {
        "id": "video_1",
        "object": "video",
        "status": "completed",
        "expires_at": value,
        "metadata": {"url": "https://cdn.test/v.mp4"},
    }
    assert run(body).expires_at is None


def test_an_unfinished_tasks_expires_at_is_ignored() -> None:
    body = {"id": "video_1", "object": "video", "status": "in_progress", "expires_at": 1772000000}
    assert run(body).expires_at is None


# -- kept in the watch list, shown in --json -----------------------------------------------


def test_the_watch_list_keeps_the_gateways_expiry() -> None:
    entry = watched(snap(given=GIVEN))
    back = read_entry(entry_to_table(entry))
    assert back.snapshot is not None
    assert back.snapshot.expires_at == GIVEN


def test_json_record_carries_expires_at() -> None:
    finished = NOW - timedelta(days=1)
    record = snapshot_json("t-1", "text2video", snap(updated=finished), None)
    assert record["expires_at"] == (finished + RESULT_LIFETIME).isoformat()
    assert snapshot_json("t-1", "text2video", snap(Status.FAILED), None)["expires_at"] is None
    assert snapshot_json("t-1", "text2video", None, None)["expires_at"] is None
