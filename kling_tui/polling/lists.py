"""List-based refresh: many unfinished tasks of one kind kept fresh with a page or two.

On the native API every kind has a list endpoint (newest first, up to 500 tasks a page), so
when many watched tasks of one (gateway, kind) are due at once, one or two list pages answer
for all of them, where per-task polling sends one request each. Pure logic, no I/O: the
poller and the benchmark both carry plans out with :class:`ListWalk`.

The rule, and why:

* The scheduler (``Scheduler.plan_lists``) groups the due tasks of each (gateway, kind) on a
  gateway that lists (``gateway.listing.lists_tasks``: native, ``list_refresh`` not off; never
  a relay). A group is read by list when that is cheaper: more due tasks than the pages it
  is expected to take (learned from the last read, one at first), and at least
  ``PollPolicy.list_min_due`` of them (a page is a bigger answer than one task's).
* A read walks pages 1, 2, ... up to ``PollPolicy.list_max_pages``, and stops early once every
  due task was seen or a page was not full (nothing older follows).
* Every watched unfinished task found on the pages is refreshed, due or not: the answer is
  there already. Results take the same path as single answers (scheduler, entry, update).
* A task that falls due while a read of its (gateway, kind) is in flight joins that read (the
  page is on its way and answers for it too); not on the pages read, it is due again at once.
* A due task not found in the pages read is older than the pages reach: it falls back to
  single queries (at once, and from then on).
* A page that fails: a passing trouble (rate limit, network, 5xx) or an account / auth
  failure counts for the due tasks as their poll's error (same backoff, same Retry-After).
  A page the normalizer could not read (``BAD_RESPONSE``) is not the tasks' fault: its due
  tasks go back to single queries for this round. Only when the answer shows the gateway
  has no list for that kind (``ListPage.no_list``: a 404, an HTML page for the list path)
  is list refresh turned off for that (gateway, kind); one garbled page (invalid JSON, cut
  short) is not that, and the next round reads the list again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kling_tui.gateway.normalize import ListPage
from kling_tui.models import ErrorType, FetchError, TaskKey, TaskSnapshot


@dataclass(frozen=True, slots=True)
class ListPlan:
    """Due tasks of one (gateway, kind) to refresh by list; the scheduler has them in flight."""

    gateway: str
    kind: str
    due: tuple[TaskKey, ...]
    pages: int
    """The pages it is expected to take (the cost the decision weighed)."""


@dataclass(slots=True)
class ListWalk:
    """One plan carried out page by page: which page next, what was found, what is missing."""

    plan: ListPlan
    max_pages: int
    page_size: int
    missing: set[TaskKey] = field(init=False)
    pages_read: int = 0
    found_on: int = 0
    """The last page on which a due task was found (what the next plan expects to need)."""
    error: FetchError | None = None
    no_list: bool = False
    """The failed page said the gateway has no list for this kind (``ListPage.no_list``)."""
    done: bool = False

    def __post_init__(self) -> None:
        self.missing = set(self.plan.due)

    def next_page(self) -> int | None:
        """The page to read next, or None: every due task seen, the list ended, or the reach."""
        if self.done or not self.missing or self.pages_read >= self.max_pages:
            return None
        return self.pages_read + 1

    def take(self, page: ListPage) -> list[tuple[TaskKey, TaskSnapshot]]:
        """Every task on ``page`` by its key in this plan's (gateway, kind), with its snapshot."""
        self.pages_read += 1
        if page.error is not None:
            self.error = page.error
            self.no_list = page.no_list
            self.done = True
            return []
        out: list[tuple[TaskKey, TaskSnapshot]] = []
        for snap in page.snapshots:
            key = TaskKey(snap.task_id, self.plan.kind, self.plan.gateway)
            if key in self.missing:
                self.missing.discard(key)
                self.found_on = self.pages_read
            out.append((key, snap))
        if not page.full:
            self.done = True
        return out

    @property
    def lists_unavailable(self) -> bool:
        """The gateway answered in a way that says it has no list for this kind (for good:
        list refresh of it is turned off). A garbled page is not that."""
        return self.error is not None and self.no_list

    @property
    def failed_due(self) -> list[tuple[TaskKey, FetchError]]:
        """Due tasks whose poll failed with the page (empty when they fall back instead: no
        list there, or a page that could not be read, which says nothing about the tasks)."""
        if self.error is None or self.lists_unavailable:
            return []
        if self.error.type is ErrorType.BAD_RESPONSE:
            return []
        return [(key, self.error) for key in self.plan.due if key in self.missing]

    @property
    def fallback(self) -> set[TaskKey]:
        """Due tasks left to single queries: not found, and not failed with the page."""
        return set() if self.failed_due else set(self.missing)

    @property
    def pages_needed(self) -> int:
        """What the next read of this (gateway, kind) should expect to take: up to the last
        page a due task was on (the ones not found go to single queries from now on)."""
        return max(1, self.found_on)
