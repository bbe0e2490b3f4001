"""``wait``: poll the watch list until the chosen tasks finish, fail for good, or
``--timeout`` passes (exit 0 all succeeded, 1 any failed, 3 timed out)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from kling_tui.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_TIMEOUT, UsageError
from kling_tui.cli.output import _emit, _safe
from kling_tui.cli.resolve import _load_config, _make_poller, _require_tokens, _store, _validated
from kling_tui.models import Status, TaskKey, WatchEntry
from kling_tui.store.watchlist import WatchList

if TYPE_CHECKING:
    from kling_tui.gateway.fetcher import Fetcher
    from kling_tui.polling.poller import ListChanged, Notice, Poller, PollUpdate

WAIT_CLEANUP_GRACE = 1.0
"""Seconds ``wait`` may take past ``--timeout`` to save what it learned and close."""


def _wait_status(targets: list[WatchEntry], gave_up: set[TaskKey]) -> int:
    failed = [e for e in targets if e.key in gave_up or e.status is Status.FAILED]
    return EXIT_FAILED if failed else EXIT_OK


def _wait_targets(args: argparse.Namespace, store: WatchList) -> list[WatchEntry]:
    """The entries named on the command line by any of their ids (all must be watched), or
    the whole list."""
    if not args.ids:
        return list(store.entries)
    wanted_ids = set(_validated(args.ids))
    targets = [e for e in store.entries if not wanted_ids.isdisjoint(e.known_ids)]
    missing = wanted_ids - {i for e in targets for i in e.known_ids}
    if missing:
        raise UsageError(
            "not in the watch list: "
            + ", ".join(sorted(missing))
            + " (add them first: kling-tui add ID)"
        )
    return targets


@dataclass
class _WaitProgress:
    """What ``wait`` learns from the poller's events: which targets are still pending,
    which it gave up on, and ``done`` once nothing is pending. Prints as it goes."""

    keys: set[TaskKey]
    pending: set[TaskKey]
    as_json: bool
    out: TextIO
    gave_up: set[TaskKey] = field(default_factory=set)
    said: set[str] = field(default_factory=set)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def on_event(self, event: object) -> None:
        from kling_tui.polling.poller import ListChanged, Notice, PollUpdate

        if isinstance(event, Notice):
            self._on_notice(event)
            return
        if isinstance(event, ListChanged):
            self._on_list_changed(event)
        elif isinstance(event, PollUpdate) and event.entry.key in self.keys:
            self._on_update(event)
        if not self.pending:
            self.done.set()

    def _on_notice(self, event: Notice) -> None:
        if event.severity == "error" and event.message not in self.said:
            self.said.add(event.message)  # a failed save, once per distinct message
            print(f"kling-tui: {_safe(event.message)}", file=sys.stderr, flush=True)

    def _on_list_changed(self, event: ListChanged) -> None:
        for key in set(event.removed) & self.pending:
            print(f"kling-tui: {key.task_id} was removed from the watch list", file=sys.stderr)
            self.gave_up.add(key)
            self.pending.discard(key)

    def _on_update(self, event: PollUpdate) -> None:
        entry = event.entry
        changed = event.previous_status != entry.status or event.stale
        if changed or (entry.snapshot and entry.snapshot.progress is not None):
            _emit(entry, self.as_json, self.out)
        if entry.finished:
            self.pending.discard(entry.key)
        elif entry.last_error is not None and entry.last_error.type.policy.needs_operator:
            self.gave_up.add(entry.key)  # auth, account, not found: waiting will not fix it
            self.pending.discard(entry.key)


async def _run_until_done(
    poller: Poller, fetcher: Fetcher, done: asyncio.Event, deadline: float | None
) -> bool:
    """Run the poller until ``done`` or ``deadline``, then stop it, let it save and close
    the fetcher (within the deadline, or :data:`WAIT_CLEANUP_GRACE` past it when it is
    spent). Returns whether time ran out."""
    loop = asyncio.get_running_loop()
    runner = asyncio.create_task(poller.run())
    finished = asyncio.create_task(done.wait())
    timed_out = False
    try:
        async with asyncio.timeout_at(deadline):
            # The loop ending first means it crashed: awaiting it below raises the error.
            await asyncio.wait({runner, finished}, return_when=asyncio.FIRST_COMPLETED)
    except TimeoutError:
        timed_out = True
    finally:
        poller.stop()
        finished.cancel()
        cleanup_by = loop.time() + WAIT_CLEANUP_GRACE
        try:
            async with asyncio.timeout_at(None if deadline is None else max(deadline, cleanup_by)):
                try:
                    await runner
                finally:
                    await fetcher.aclose()
        except TimeoutError:
            print("kling-tui: gave up saving the watch list: out of time", file=sys.stderr)
            timed_out = True
    return timed_out


async def _wait(args: argparse.Namespace, out: TextIO) -> int:
    """Poll until every target is finished, has failed for good, or ``--timeout`` passes.

    Bounded in every case: nothing to wait for returns at once (no poller, no network);
    a task that cannot finish (auth, account, not found, removed from the list meanwhile)
    is given up on; ``--timeout`` bounds the whole command, saving and closing included
    (plus at most :data:`WAIT_CLEANUP_GRACE` when the deadline is already spent).
    """
    loop = asyncio.get_running_loop()
    deadline = None if args.timeout is None else loop.time() + args.timeout
    config = _load_config(args)
    store = _store(args)
    targets = _wait_targets(args, store)
    if not targets:
        print(
            _safe(f"nothing to wait for: the watch list is empty ({store.path})"),
            file=sys.stderr,
        )
        return EXIT_OK
    for entry in targets:
        _emit(entry, args.json, out)
    keys = {e.key for e in targets}
    progress = _WaitProgress(keys, {e.key for e in targets if not e.finished}, args.json, out)
    if not progress.pending:  # all finished already: their status is the answer
        return _wait_status(targets, progress.gave_up)
    poller, fetcher = _make_poller(args, config, store, scope=keys)
    # An unknown gateway or a missing token would fail every poll the same way, forever.
    _require_tokens(config, [fetcher.gateway_for(e) for e in targets if e.key in progress.pending])
    poller.subscribe(progress.on_event)
    timed_out = await _run_until_done(poller, fetcher, progress.done, deadline)
    if timed_out and progress.pending:
        print(
            f"timed out after {args.timeout:g} s with {len(progress.pending)} task(s) unfinished",
            file=sys.stderr,
        )
        return EXIT_TIMEOUT
    return _wait_status(targets, progress.gave_up)
