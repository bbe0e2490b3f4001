"""What the day cost and how much capacity is left: pure aggregation over the watch list.

The live figure of what was spent is the sum of the tasks' own costs: Kling's
``final_unit_deduction`` (native answers, Kling units) and a new-api relay's ``quota`` (relay
units: another currency, summed apart). The account's resource packs (``/account/costs``)
lag by up to about 12 hours, so they are shown beside the sum, never instead of it.

Concurrency: Kling counts a slot per task from ``submitted`` until it ends, per account. The
limit is the gateway's ``concurrency_limit`` when configured, else learned from a 1303
answer (``parallel task over resource pack limit``): the number in use when it was seen.

No Textual here: the Costs screen and the header only draw what this module returns. Time
comes in as ``now`` (an aware datetime) so tests pin the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from kling_tui.models import Status, WatchEntry

__all__ = [
    "CONCURRENCY_CODE",
    "PACK_REFRESH_SECONDS",
    "Capacity",
    "CostRow",
    "CostSummary",
    "PackCache",
    "PackReport",
    "ResourcePack",
    "capacity",
    "period_starts",
    "spent_at",
    "summarize_costs",
]

CONCURRENCY_CODE = "1303"
"""Kling's ``parallel task over resource pack limit``: the account's slots are all taken."""
PACK_REFRESH_SECONDS = 60.0
"""``/account/costs`` is asked at most once a minute (the API allows one a second; its
figures move twice a day)."""
PACK_LAG_HOURS = 12
"""How far ``remaining_quantity`` may lag behind the tasks' own costs."""
IN_USE = (Status.SUBMITTED, Status.IN_PROGRESS)


@dataclass(frozen=True, slots=True)
class CostRow:
    """What one kind and model cost on one gateway, today and this week."""

    gateway: str
    kind: str
    model: str
    currency: str  # "units" (Kling) or "quota" (a relay's own units)
    today: float = 0.0
    week: float = 0.0
    tasks_today: int = 0
    tasks_week: int = 0


@dataclass(frozen=True, slots=True)
class CostSummary:
    """Totals and rows of :func:`summarize_costs`; ``unpriced`` tasks finished this week
    without any cost in their answer (the sum is then a lower bound)."""

    units_today: float = 0.0
    units_week: float = 0.0
    quota_today: float = 0.0
    quota_week: float = 0.0
    rows: tuple[CostRow, ...] = ()
    unpriced: int = 0

    @property
    def any(self) -> bool:
        return bool(self.rows)


@dataclass(frozen=True, slots=True)
class Capacity:
    """Slots in use on one gateway against its limit (None: not known yet)."""

    gateway: str
    in_use: int
    limit: int | None
    source: str = ""  # "config", "1303" or ""

    @property
    def full(self) -> bool:
        return self.limit is not None and self.in_use >= self.limit

    @property
    def ratio(self) -> float:
        if not self.limit:
            return 0.0
        return min(1.0, self.in_use / self.limit)


@dataclass(frozen=True, slots=True)
class ResourcePack:
    """One resource pack of ``/account/costs`` (``resource_pack_subscribe_infos[]``)."""

    name: str
    pack_id: str
    pack_type: str
    total: float | None
    remaining: float | None
    purchased_at: datetime | None
    effective_at: datetime | None
    expires_at: datetime | None
    status: str


@dataclass(frozen=True, slots=True)
class PackReport:
    """One gateway's packs as last read, or why they could not be (``error``: a message)."""

    gateway: str
    packs: tuple[ResourcePack, ...] = ()
    fetched_at: datetime | None = None
    error: str | None = None


def period_starts(now: datetime, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """The start of today and of this week (Monday) at ``now`` in ``tz`` (default: now's)."""
    local = now.astimezone(tz) if tz is not None else now
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day - timedelta(days=day.weekday())


def spent_at(entry: WatchEntry) -> datetime | None:
    """When a task's cost was charged: when it ended (its last update), else when created."""
    s = entry.snapshot
    if s is None:
        return None
    return s.updated_at or s.created_at or s.fetched_at


def summarize_costs(
    entries: Iterable[WatchEntry], now: datetime, tz: tzinfo | None = None
) -> CostSummary:
    """Units spent today and this week, per gateway, kind and model, from the tasks' costs."""
    day, week = period_starts(now, tz)
    rows: dict[tuple[str, str, str, str], list[float]] = {}
    unpriced = 0
    for entry in entries:
        s = entry.snapshot
        when = spent_at(entry)
        if s is None or when is None or when < week or when > now + timedelta(minutes=5):
            continue
        priced = [("units", s.final_unit_deduction), ("quota", s.quota)]
        priced = [(c, v) for c, v in priced if v is not None]
        if not priced:
            unpriced += s.status.terminal
            continue
        for currency, value in priced:
            key = (entry.gateway, s.kind, s.model or "-", currency)
            acc = rows.setdefault(key, [0.0, 0.0, 0, 0])
            acc[1] += value
            acc[3] += 1
            if when >= day:
                acc[0] += value
                acc[2] += 1
    built = tuple(
        CostRow(g, k, m, c, today=a[0], week=a[1], tasks_today=int(a[2]), tasks_week=int(a[3]))
        for (g, k, m, c), a in sorted(rows.items())
    )
    return CostSummary(
        units_today=sum(r.today for r in built if r.currency == "units"),
        units_week=sum(r.week for r in built if r.currency == "units"),
        quota_today=sum(r.today for r in built if r.currency == "quota"),
        quota_week=sum(r.week for r in built if r.currency == "quota"),
        rows=built,
        unpriced=unpriced,
    )


def capacity(
    entries: Iterable[WatchEntry],
    gateways: Iterable[str],
    limits: Mapping[str, int | None],
    learned: LearnedLimits | None = None,
) -> tuple[Capacity, ...]:
    """Tasks submitted or processing per gateway, against the configured or learned limit.

    ``learned`` is updated here: a task whose last answer was a 1303 sets its gateway's
    limit to the number in use then (what Kling refused one more than).
    """
    in_use: dict[str, int] = dict.fromkeys(gateways, 0)
    saw_1303: set[str] = set()
    for entry in entries:
        if entry.status in IN_USE:
            in_use[entry.gateway] = in_use.get(entry.gateway, 0) + 1
        error = entry.last_error
        if error is not None and error.code == CONCURRENCY_CODE:
            saw_1303.add(entry.gateway)
    learned = learned if learned is not None else LearnedLimits()
    for gateway in saw_1303:
        learned.saw_limit(gateway, in_use.get(gateway, 0))
    result = []
    for gateway, used in in_use.items():
        configured = limits.get(gateway)
        if configured is not None:
            result.append(Capacity(gateway, used, configured, "config"))
        elif gateway in learned.limits:
            result.append(Capacity(gateway, used, learned.limits[gateway], CONCURRENCY_CODE))
        else:
            result.append(Capacity(gateway, used, None))
    return tuple(result)


@dataclass(slots=True)
class LearnedLimits:
    """Limits learned from 1303 answers, per gateway, for the session (never below 1)."""

    limits: dict[str, int] = field(default_factory=dict)

    def saw_limit(self, gateway: str, in_use: int) -> None:
        self.limits[gateway] = max(1, in_use)


@dataclass(slots=True)
class PackCache:
    """The last pack report per gateway and when it was asked for (a monotonic clock):
    at most one request a minute per gateway, whatever the screen asks."""

    interval: float = PACK_REFRESH_SECONDS
    reports: dict[str, PackReport] = field(default_factory=dict)
    asked: dict[str, float] = field(default_factory=dict)

    def due(self, gateway: str, clock: float) -> bool:
        last = self.asked.get(gateway)
        return last is None or clock - last >= self.interval

    def asking(self, gateway: str, clock: float) -> None:
        self.asked[gateway] = clock

    def store(self, report: PackReport) -> None:
        """Keep ``report``; a failed read keeps the packs last read (nothing lost)."""
        old = self.reports.get(report.gateway)
        if report.error is not None and old is not None and old.packs:
            report = PackReport(report.gateway, old.packs, old.fetched_at, report.error)
        self.reports[report.gateway] = report
