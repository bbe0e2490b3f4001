"""Issue 12 item 2: two watched entries that a poll reveals to be one task.

Added once by the relay's ``task_…`` id and once by Kling's id, before any answer tied them
together: the relay's answer names Kling's id inside. The poller then says so (a Notice),
polls the task once, and shows its state on both rows; nothing is removed behind the
operator's back. Fake fetcher, fake clock: no HTTP, no sleeps.
"""

from __future__ import annotations

from pathlib import Path

from kling_tui.models import ErrorType, FetchError, Status, TaskSnapshot, WatchEntry, utcnow
from kling_tui.polling.poller import Notice, Poller, PollUpdate
from kling_tui.polling.schedule import PollPolicy
from kling_tui.store.watchlist import WatchList
from tests.support.clock import FakeClock

RELAY_ID = "task_" + "Qw3r" * 8
KLING_ID = "866889456698785798"


class Relay:
    """A relay that knows its own id only; its answer names Kling's id inside."""

    def __init__(self) -> None:
        self.fetched: list[str] = []

    async def fetch(self, entry: WatchEntry) -> TaskSnapshot | FetchError:
        self.fetched.append(entry.task_id)
        if entry.task_id != RELAY_ID:
            return FetchError(ErrorType.NOT_FOUND, "task_not_exist", at=utcnow())
        return TaskSnapshot(
            RELAY_ID, entry.kind, Status.IN_PROGRESS, "IN_PROGRESS", 30.0, (), "", None,
            None, None, utcnow(), kling_task_id=KLING_ID,
        )  # fmt: skip


def _store(tmp_path: Path, *ids: str) -> WatchList:
    store = WatchList(tmp_path / "w.toml")
    store.load()
    now = utcnow()
    for task_id in ids:  # one at a time: nothing links them yet, so both are taken
        assert store.add([WatchEntry(task_id, "text2video", "relay", now)]).added
    return store


def _poller(store: WatchList, fetcher: Relay, clock: FakeClock) -> Poller:
    return Poller(
        store, fetcher, PollPolicy(interval=5.0), clock=clock, save_interval=60, reload_interval=60
    )


async def test_a_poll_that_reveals_one_task_under_two_entries_says_so_and_polls_once(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    fetcher = Relay()
    poller = _poller(_store(tmp_path, KLING_ID, RELAY_ID), fetcher, clock)
    events: list[object] = []
    poller.subscribe(events.append)

    polled = await poller.poll_once()
    assert sorted(fetcher.fetched) == sorted([KLING_ID, RELAY_ID])
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert notices == [
        f"{KLING_ID} and {RELAY_ID} are the same task (text2video on relay): it is polled"
        f" once, as {RELAY_ID}, and both rows show its state; remove the extra row with d in"
        " the dashboard"
    ]
    twin = next(e for e in polled if e.task_id == KLING_ID)
    assert twin.status is Status.IN_PROGRESS and twin.last_error is None  # the relay's state
    assert poller.twins == {twin.key: next(e for e in polled if e.task_id == RELAY_ID).key}

    # From now on one request per cycle, and both rows get each answer.
    fetcher.fetched.clear()
    events.clear()
    await poller.poll_once()
    assert fetcher.fetched == [RELAY_ID]
    updated = [e.entry.task_id for e in events if isinstance(e, PollUpdate)]
    assert sorted(updated) == sorted([RELAY_ID, KLING_ID])
    assert not [e for e in events if isinstance(e, Notice)]  # said once

    # Saved: a restart knows them as one task at once (said again, before the first poll).
    again = _poller(WatchList(tmp_path / "w.toml"), fetcher, clock)
    said: list[object] = []
    again.subscribe(said.append)
    fetcher.fetched.clear()
    await again.poll_once()
    assert fetcher.fetched == [RELAY_ID]  # the one whose own answer was saved stays polled
    assert [e for e in said if isinstance(e, Notice)]


async def test_removing_the_polled_one_polls_its_twin_again(tmp_path: Path) -> None:
    clock = FakeClock()
    fetcher = Relay()
    poller = _poller(_store(tmp_path, KLING_ID, RELAY_ID), fetcher, clock)
    await poller.poll_once()
    [polled_key] = poller.twins.values()
    poller.remove([polled_key])
    assert poller.twins == {}
    fetcher.fetched.clear()
    await poller.poll_once()
    assert fetcher.fetched == [KLING_ID]


async def test_a_refresh_of_the_twin_refreshes_the_task_it_shows(tmp_path: Path) -> None:
    clock = FakeClock()
    fetcher = Relay()
    poller = _poller(_store(tmp_path, KLING_ID, RELAY_ID), fetcher, clock)
    await poller.poll_once()
    [(twin_key, polled_key)] = poller.twins.items()
    clock.advance(1)  # not due yet by the schedule
    assert poller.scheduler.due(clock(), per_gateway_limit={"relay": 8}) == []
    poller.refresh(twin_key)
    assert poller.scheduler.due(clock(), per_gateway_limit={"relay": 8}) == [polled_key]
