"""The pure cost, capacity and day-statistics aggregation, on a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kling_tui.costs import (
    LearnedLimits,
    PackCache,
    PackReport,
    ResourcePack,
    capacity,
    period_starts,
    summarize_costs,
)
from kling_tui.models import ErrorType, FetchError, Status, WatchEntry
from kling_tui.stats import summarize_stats
from tests.support.snapshots import task_snapshot

NOW = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)  # a Wednesday


def entry(
    n: int,
    status: Status,
    *,
    gateway: str = "native",
    kind: str = "text2video",
    model: str | None = "kling-v2-1",
    created: timedelta = timedelta(hours=2),
    ended: timedelta | None = timedelta(hours=1),
    units: float | None = None,
    quota: float | None = None,
    state_since: datetime | None = None,
    error: FetchError | None = None,
) -> WatchEntry:
    snap = task_snapshot(
        str(800000000000000000 + n),
        kind,
        status,
        NOW,
        created_at=NOW - created,
        updated_at=None if ended is None else NOW - ended,
        final_unit_deduction=units,
        model=model,
        quota=quota,
    )
    return WatchEntry(
        snap.task_id,
        kind,
        gateway,
        NOW - created,
        snapshot=snap,
        state_since=state_since,
        last_error=error,
    )


def test_period_starts_are_midnight_and_monday() -> None:
    day, week = period_starts(NOW)
    assert day == datetime(2026, 12, 2, tzinfo=UTC)
    assert week == datetime(2026, 11, 30, tzinfo=UTC)


def test_units_today_and_this_week_per_kind_and_model_and_quota_apart() -> None:
    entries = [
        entry(1, Status.SUCCEEDED, units=10),
        entry(2, Status.SUCCEEDED, units=5, ended=timedelta(days=1)),  # Tuesday: week only
        entry(3, Status.SUCCEEDED, units=99, ended=timedelta(days=4)),  # last week: out
        entry(4, Status.SUCCEEDED, units=2.5, kind="image2video", model=None),
        entry(5, Status.SUCCEEDED, gateway="relay", quota=150000),
        entry(6, Status.SUCCEEDED),  # no cost in the answer: counted as unpriced
        entry(7, Status.IN_PROGRESS, ended=None, created=timedelta(minutes=3)),
    ]
    summary = summarize_costs(entries, NOW)
    assert (summary.units_today, summary.units_week) == (12.5, 17.5)
    assert (summary.quota_today, summary.quota_week) == (150000, 150000)
    assert summary.unpriced == 1
    rows = {(r.gateway, r.kind, r.model, r.currency): r for r in summary.rows}
    t2v = rows[("native", "text2video", "kling-v2-1", "units")]
    assert (t2v.today, t2v.week, t2v.tasks_today, t2v.tasks_week) == (10, 15, 1, 2)
    assert rows[("native", "image2video", "-", "units")].today == 2.5
    assert rows[("relay", "text2video", "kling-v2-1", "quota")].week == 150000


def test_capacity_from_config_or_learned_from_1303() -> None:
    busy = FetchError(ErrorType.RATE_LIMITED, "parallel task over resource pack limit", code="1303")
    entries = [
        entry(1, Status.SUBMITTED, ended=None),
        entry(2, Status.IN_PROGRESS, ended=None),
        entry(3, Status.SUCCEEDED),
        entry(4, Status.IN_PROGRESS, gateway="relay", ended=None, error=busy),
    ]
    learned = LearnedLimits()
    found = {c.gateway: c for c in capacity(entries, ["native", "relay", "idle"], {}, learned)}
    assert (found["native"].in_use, found["native"].limit) == (2, None)
    assert (found["relay"].in_use, found["relay"].limit, found["relay"].source) == (1, 1, "1303")
    assert found["relay"].full and not found["native"].full
    assert found["idle"].in_use == 0
    configured = capacity(entries, ["native"], {"native": 2})
    assert configured[0].full and configured[0].source == "config" and configured[0].ratio == 1
    # the learned limit stays for the session after the 1303 is gone
    later = capacity([entry(5, Status.SUBMITTED, gateway="relay", ended=None)], [], {}, learned)
    assert later[0].limit == 1 and later[0].full


def test_the_pack_cache_asks_once_a_minute_and_keeps_packs_on_failure() -> None:
    cache = PackCache()
    assert cache.due("native", 100.0)
    cache.asking("native", 100.0)
    assert not cache.due("native", 159.0) and cache.due("native", 160.0)
    pack = ResourcePack("Video Pack", "id", "decreasing_total", 10, 5, None, None, None, "online")
    cache.store(PackReport("native", (pack,), NOW))
    cache.store(PackReport("native", (), NOW, error="rate limited"))
    kept = cache.reports["native"]
    assert kept.packs == (pack,) and kept.error == "rate limited" and kept.fetched_at == NOW


def test_stats_per_hour_waits_renders_and_failure_rates() -> None:
    entries = [
        entry(1, Status.SUCCEEDED, created=timedelta(minutes=50), ended=timedelta(minutes=20)),
        entry(2, Status.SUCCEEDED, created=timedelta(hours=3), ended=timedelta(hours=2)),
        entry(3, Status.FAILED, created=timedelta(hours=3), ended=timedelta(hours=2)),
        entry(4, Status.FAILED, gateway="relay", ended=timedelta(minutes=5)),
        entry(5, Status.SUCCEEDED, ended=timedelta(hours=30)),  # yesterday: out of the window
        entry(6, Status.SUBMITTED, created=timedelta(minutes=4), ended=None),
        entry(
            7,
            Status.IN_PROGRESS,
            kind="image2video",
            created=timedelta(minutes=10),
            ended=None,
            state_since=NOW - timedelta(minutes=8),
        ),
    ]
    stats = summarize_stats(entries, NOW)
    assert stats.start == datetime(2026, 12, 1, 16, tzinfo=UTC)
    assert len(stats.finished) == len(stats.hours) == 24
    assert stats.finished[-1] == 1 and stats.finished[-3] == 1 and sum(stats.finished) == 2
    assert stats.failed[-1] == 1 and stats.failed[-3] == 1 and sum(stats.failed) == 2
    waits = {d.kind: d for d in stats.waits}
    assert waits["text2video"].seconds == (240.0,)
    assert waits["image2video"].seconds == (120.0,)
    renders = {d.kind: d for d in stats.renders}
    assert renders["text2video"].seconds == (1800.0, 3600.0)
    assert renders["text2video"].median == 2700.0
    rates = {r.gateway: r for r in stats.rates}
    assert (rates["native"].ended, rates["native"].failed) == (3, 1)
    assert rates["relay"].rate == 1.0
    assert stats.any
    assert not summarize_stats([], NOW).any


def test_a_server_clock_a_little_ahead_still_counts_in_this_hour() -> None:
    ahead = entry(1, Status.SUCCEEDED, ended=timedelta(minutes=-2))
    too_far = entry(2, Status.SUCCEEDED, ended=timedelta(hours=-1))
    stats = summarize_stats([ahead, too_far], NOW)
    assert stats.finished[-1] == 1 and sum(stats.finished) == 1
