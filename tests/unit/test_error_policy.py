"""The one error policy (issue 11.1): every part that acts on an error type follows
``models.ERROR_POLICY``, walked type by type so a new ``ErrorType`` cannot be forgotten."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kling_tui.config import AppConfig, GatewayConfig
from kling_tui.gateway.auth import Secret, StaticToken
from kling_tui.gateway.fetcher import Fetcher
from kling_tui.models import (
    ERROR_POLICY,
    RETRY_AFTER_CAP,
    ErrorType,
    FetchError,
    FetchResult,
    GatewayState,
    TaskKey,
    WatchEntry,
    utcnow,
)
from kling_tui.polling.poller import Poller, PollerEvent, PollerState, StateChanged
from kling_tui.polling.schedule import PollPolicy, Scheduler
from kling_tui.store.watchlist import WatchList

RETRIES = 2
TASK_ID = "866889456698785798"


def _config() -> AppConfig:
    relay = GatewayConfig(
        name="relay",
        base_url="http://127.0.0.1:9",
        path_prefix="/kling/v1",
        credential=StaticToken(Secret.from_raw("t" * 24, "KLING_API_KEY"), hint="KLING_API_KEY"),
        max_retries=RETRIES,
    )
    return AppConfig(gateways={"relay": relay}, default_gateway="relay")


def _watch() -> WatchEntry:
    return WatchEntry(task_id=TASK_ID, kind="text2video", gateway="relay", added_at=utcnow())


def _error(etype: ErrorType) -> FetchError:
    return FetchError(etype, f"{etype.value} went wrong", retry_after=1.0)


def test_every_error_type_has_one_policy_row() -> None:
    assert set(ERROR_POLICY) == set(ErrorType)
    for etype in ErrorType:
        assert etype.policy is ERROR_POLICY[etype]


@pytest.mark.parametrize("etype", list(ErrorType))
async def test_the_fetcher_retries_what_the_policy_says(
    etype: ErrorType, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_sleep(_: float) -> None:
        return None

    fetcher = Fetcher(_config(), sleep=no_sleep)
    sent: list[str] = []

    async def attempt(url: str, *_: object) -> tuple[FetchResult, bool]:
        sent.append(url)
        return _error(etype), True

    monkeypatch.setattr(fetcher, "_attempt", attempt)
    result = await fetcher.fetch(_watch())
    assert isinstance(result, FetchError) and result.type is etype
    assert len(sent) == (1 + RETRIES if etype.policy.retried_by_fetcher else 1)


@pytest.mark.parametrize("etype", list(ErrorType))
def test_the_scheduler_stops_and_blames_what_the_policy_says(etype: ErrorType) -> None:
    rule = etype.policy
    s = Scheduler(PollPolicy(), rng=random.Random(1))
    key = TaskKey(TASK_ID, "text2video", "relay")
    s.add(key, 0.0)
    assert s.due(0.0) == [key]
    s.record(key, 0.0, FetchError(etype, "x", retry_after=RETRY_AFTER_CAP * 10))
    task = s.task_state(key)
    assert task is not None
    assert task.stopped is rule.stops_task
    assert (task.next_due is None) is rule.stops_task
    if rule.gateway_state is not None:
        expected = rule.gateway_state
    elif rule.stops_task:
        expected = GatewayState.OK
    else:
        expected = GatewayState.BACKING_OFF
    assert s.gateway_state("relay") is expected
    blocked = s.gateway_blocked_until("relay")
    if rule.retry_after_blocks_gateway and not rule.stops_task and rule.gateway_state is None:
        assert blocked == RETRY_AFTER_CAP  # and capped: the server asked ten times that
    else:
        assert blocked is None


@pytest.mark.parametrize("etype", list(ErrorType))
async def test_the_poller_reports_auth_failure_where_the_policy_blames_the_gateway(
    etype: ErrorType, tmp_path: Path
) -> None:
    class Failing:
        async def fetch(self, entry: WatchEntry) -> FetchResult:
            return _error(etype)

    store = WatchList(tmp_path / "w.toml")
    store.load()
    store.add([_watch()])
    poller = Poller(store, Failing(), save_interval=60, reload_interval=60)
    events: list[PollerEvent] = []
    poller.subscribe(events.append)
    await poller.poll_once()
    failing = etype.policy.gateway_state is not None
    assert (poller.state is PollerState.AUTH_FAILED) is failing
    if failing:
        changes = [e for e in events if isinstance(e, StateChanged)]
        assert changes[-1].detail == f"{etype.value} went wrong"  # the error's own words


def test_only_errors_needing_the_operator_end_a_wait() -> None:
    """``wait`` keeps waiting on what a later poll can fix: bad_response is one of those."""
    gives_up = {t for t in ErrorType if t.policy.needs_operator}
    assert gives_up == {
        ErrorType.AUTH,
        ErrorType.ACCOUNT,
        ErrorType.NOT_FOUND,
        ErrorType.INVALID_ID,
    }
    assert not ErrorType.BAD_RESPONSE.policy.retried_by_fetcher
