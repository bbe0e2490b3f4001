"""The poller's list-based refresh (``ListRefreshMixin``): due tasks of one gateway and
kind refreshed by list pages (``polling.lists``: ``ListPlan``, ``ListWalk``), each found
task delivered like a single answer, the rest back to single queries. A mixin of
``Poller`` (``polling.poller``)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable

from kling_tui.models import ErrorType, FetchError, TaskKey, WatchEntry
from kling_tui.polling.events import TaskLister
from kling_tui.polling.lists import ListPlan, ListWalk
from kling_tui.polling.schedule import PollPolicy, Scheduler

log = logging.getLogger("kling_tui.polling.poller")  # the poller's logger, as before the split


class ListRefreshMixin:
    """Poller's list-refresh concern; the attributes below are ``Poller``'s."""

    _lister: TaskLister | None
    _entries: dict[TaskKey, WatchEntry]
    _gateway_counts: Counter[str]
    _clock: Callable[[], float]
    policy: PollPolicy
    scheduler: Scheduler
    _update_state: Callable[[], None]
    _next: Callable[[], None]
    _deliver: Callable[..., None]

    def _list_gateways(self) -> list[str]:
        """The watched gateways that list (native, list_refresh not off; never a relay)."""
        lister = self._lister
        if lister is None:
            return []
        return [g for g in self._gateway_counts if lister.list_gateway(g) is not None]

    def _listable(self, key: TaskKey) -> bool:
        """A task with its own base URL lives elsewhere than its gateway's list; one watched
        by its external id is not found by id on a list page (its key holds the external id)."""
        entry = self._entries.get(key)
        return entry is not None and entry.base_url is None and not entry.external

    async def _list_refresh(self, plan: ListPlan) -> None:
        """Carry one plan of the loop out, then start what is due (its fallbacks too)."""
        await self._walk(plan)
        self._update_state()
        self._next()

    async def _walk(self, plan: ListPlan) -> ListWalk:
        """Read the plan's pages and deliver every watched task found on them; due tasks
        not found are back in the scheduler, due now (``ListWalk.fallback``)."""
        assert self._lister is not None
        policy = self.policy
        walk = ListWalk(plan, policy.list_max_pages, policy.list_page_size)
        gateway = self._lister.list_gateway(plan.gateway)
        try:
            while gateway is not None and (num := walk.next_page()) is not None:
                page = await self._lister.fetch_page(
                    gateway, plan.kind, page_num=num, page_size=walk.page_size
                )
                # One time for the whole page: its tasks, answered together, are due again
                # together. Read per task, the clock spread their due times over the
                # delivery (a millisecond for a few dozen), and a wake-up in that spread
                # found one due alone and polled it by itself: a page it had no need of.
                at = self._clock()
                for key, snapshot in walk.take(page):
                    entry = self._entries.get(key)
                    if entry is not None and self.scheduler.takes_listed(key):
                        self._deliver(entry, entry.status, snapshot, at)
        except asyncio.CancelledError:
            self.scheduler.end_list(walk, self._clock())  # due again when polling resumes
            raise
        except Exception as exc:  # the fetcher promises not to raise; keep polling if it does
            log.exception("list refresh of %s on %s failed unexpectedly", plan.kind, plan.gateway)
            walk.error = FetchError(ErrorType.NETWORK, f"unexpected error: {type(exc).__name__}")
        at = self._clock()
        for key, error in walk.failed_due:
            entry = self._entries.get(key)
            if entry is not None and self.scheduler.takes_listed(key):
                self._deliver(entry, entry.status, error, at)
        self.scheduler.end_list(walk, self._clock())
        return walk

    def _plan_once(self, targets: list[WatchEntry]) -> list[ListPlan]:
        """``poll_once``'s list plans: its tasks grouped by (gateway, kind) where that lists."""
        listing = set(self._list_gateways())
        groups: dict[tuple[str, str], list[TaskKey]] = {}
        for entry in targets:
            if entry.gateway in listing and self._listable(entry.key):
                groups.setdefault((entry.gateway, entry.kind), []).append(entry.key)
        now = self._clock()
        plans = [self.scheduler.claim_list(g, k, keys, now) for (g, k), keys in groups.items()]
        return [p for p in plans if p is not None]
