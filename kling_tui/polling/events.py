"""What the poller publishes and what it needs: the events subscribers receive
(``PollUpdate``, ``StateChanged``, ``ListChanged``, ``Notice``, with ``PollerState``), the
``Subscriber`` callback type, and the ``TaskFetcher`` / ``TaskLister`` protocols a fetcher
meets. Data only, so the UI and the CLI can import it without the polling engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from kling_tui.config import GatewayConfig
from kling_tui.gateway.normalize import ListPage
from kling_tui.models import FetchResult, Status, TaskKey, WatchEntry


class TaskFetcher(Protocol):
    """What the poller needs of a fetcher (the real one: ``kling_tui.gateway.fetcher.Fetcher``)."""

    async def fetch(self, entry: WatchEntry) -> FetchResult: ...


@runtime_checkable
class TaskLister(Protocol):
    """What list-based refresh needs of a fetcher besides ``fetch`` (the real one has it)."""

    def list_gateway(self, name: str) -> GatewayConfig | None: ...

    async def fetch_page(
        self, gateway: GatewayConfig, kind: str, *, page_num: int = 1, page_size: int = 500
    ) -> ListPage: ...


class PollerState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    BACKING_OFF = "backing off"
    AUTH_FAILED = "auth failed"
    IDLE = "idle"


@dataclass(frozen=True, slots=True)
class PollUpdate:
    """One task's new state. ``entry.snapshot`` is the last good snapshot."""

    entry: WatchEntry
    previous_status: Status | None
    stale: bool
    status: Status | None = None
    """The task's status when this update was made (the entry itself moves on)."""

    def __post_init__(self) -> None:
        if self.status is None:
            object.__setattr__(self, "status", self.entry.status)

    @property
    def finished_now(self) -> bool:
        """True when this poll is the one that saw the task finish."""
        status = self.status
        return status is not None and status.terminal and self.previous_status != status


@dataclass(frozen=True, slots=True)
class StateChanged:
    state: PollerState
    detail: str


@dataclass(frozen=True, slots=True)
class ListChanged:
    added: tuple[WatchEntry, ...]
    removed: tuple[TaskKey, ...]


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the operator should read that is not about one task (e.g. a bad hand edit)."""

    message: str
    severity: str = "warning"


PollerEvent = PollUpdate | StateChanged | ListChanged | Notice
Subscriber = Callable[[PollerEvent], None]
