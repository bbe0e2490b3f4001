"""The fetcher against the real embedded gateway simulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import pytest

from kling_tui.config import AppConfig
from kling_tui.gateway.fetcher import Fetcher, RetryPolicy
from kling_tui.models import ErrorType, FetchError, Status, TaskSnapshot, WatchEntry, utcnow
from kling_tui.sim.simulator import Fault, Simulator
from tests.support.clock import FakeClock
from tests.support.sim import TOKEN, gateways_for

KINDS = ["text2video", "image2video", "multi-image2video"]


def entry(task_id: str, kind: str = "text2video", gateway: str = "relay") -> WatchEntry:
    return WatchEntry(task_id=task_id, kind=kind, gateway=gateway, added_at=utcnow())


async def no_sleep(_: float) -> None:
    return None


def fetcher_for(config: AppConfig, **kw: object) -> Fetcher:
    kw.setdefault("sleep", no_sleep)
    return Fetcher(config, **kw)  # type: ignore[arg-type]


def count_attempts(fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URL of every request the fetcher sends (each goes through ``_attempt`` once):
    counts requests where no server is there to log them."""
    sent: list[str] = []
    real = fetcher._attempt

    async def counted(url: str, *args: object) -> object:
        sent.append(url)
        return await real(url, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(fetcher, "_attempt", counted)
    return sent


@pytest.mark.parametrize("gateway", ["relay", "native"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("outcome", ["succeed", "fail"])
async def test_lifecycle_every_kind_and_shape(
    sim: Simulator,
    sim_clock: FakeClock,
    app_config: AppConfig,
    gateway: str,
    kind: str,
    outcome: str,
) -> None:
    task = sim.add_task(kind, outcome=outcome, queue_seconds=10, run_seconds=20, duration=5.1)
    seen: list[TaskSnapshot] = []
    async with fetcher_for(app_config) as fetcher:
        for step in (1, 14, 25, 0):  # fetched at t=0, 1, 15, 40
            result = await fetcher.fetch(entry(task.task_id, kind, gateway))
            assert isinstance(result, TaskSnapshot), result
            seen.append(result)
            sim_clock.advance(step)
    statuses = [s.status for s in seen]
    assert statuses[0] is Status.SUBMITTED
    assert Status.IN_PROGRESS in statuses
    final = seen[-1]
    assert all(s.task_id == task.task_id for s in seen)
    assert all(s.kind == kind for s in seen)
    if outcome == "succeed":
        assert final.status is Status.SUCCEEDED
        assert final.videos and final.videos[0].url and final.videos[0].url.startswith("http")
        assert final.videos[0].duration == pytest.approx(5.1)
    else:
        assert final.status is Status.FAILED
        assert final.message
        assert not final.videos
    if gateway == "relay":  # the relay reports rising progress
        progresses = [s.progress for s in seen if s.status is Status.IN_PROGRESS]
        assert progresses and all(p is not None and 0 <= p <= 100 for p in progresses)


async def test_unknown_id_is_not_found_on_both_prefixes(app_config: AppConfig) -> None:
    async with fetcher_for(app_config) as fetcher:
        for gateway in ("relay", "native"):
            result = await fetcher.fetch(entry("123456789012345678", gateway=gateway))
            assert isinstance(result, FetchError)
            assert result.type is ErrorType.NOT_FOUND
            assert "123456789012345678" in result.message


@pytest.mark.parametrize(
    "bad_id", ["a/b", "../etc", "has space", "tab\there", "nl\n", "", "..", "ctl\x07x"]
)
async def test_invalid_ids_are_refused_before_any_request(
    sim: Simulator, app_config: AppConfig, bad_id: str
) -> None:
    sim.reset_log()
    async with fetcher_for(app_config) as fetcher:
        result = await fetcher.fetch(entry(bad_id))
    assert isinstance(result, FetchError) and result.type is ErrorType.INVALID_ID
    assert sim.request_count == 0


async def test_id_is_percent_encoded_into_one_path_segment(
    sim: Simulator, app_config: AppConfig
) -> None:
    task = sim.add_task("text2video", external_task_id="order:42+x=y")
    sim.reset_log()
    async with fetcher_for(app_config) as fetcher:
        result = await fetcher.fetch(entry("order:42+x=y"))
    assert isinstance(result, TaskSnapshot)
    assert result.task_id == task.task_id
    assert result.external_task_id == "order:42+x=y"
    assert sim.requests[-1][1].endswith("/videos/text2video/order%3A42%2Bx%3Dy")


@pytest.mark.parametrize("gateway", ["relay", "native"])
async def test_bad_token_is_auth_error_without_the_token(sim: Simulator, gateway: str) -> None:
    config = gateways_for(sim.base_url)
    task = sim.add_task()
    sim.inject(Fault.UNAUTHORIZED, count=-1)
    async with fetcher_for(config) as fetcher:
        sim.reset_log()
        result = await fetcher.fetch(entry(task.task_id, gateway=gateway))
    assert isinstance(result, FetchError) and result.type is ErrorType.AUTH
    assert sim.request_count == 1, "an auth failure is not retried"
    assert sim.base_url in result.message
    assert TOKEN not in result.message and TOKEN not in repr(result)


async def test_missing_token_is_reported_without_a_request(sim: Simulator) -> None:
    from dataclasses import replace

    config = gateways_for(sim.base_url)
    config.gateways["relay"] = replace(config.gateways["relay"], credential=None)
    sim.reset_log()
    async with fetcher_for(config) as fetcher:
        result = await fetcher.fetch(entry("866889456698785798"))
    assert isinstance(result, FetchError) and result.type is ErrorType.AUTH
    assert "KLING_API_KEY" in result.message
    assert sim.request_count == 0


async def test_rate_limit_is_retried_honouring_retry_after(
    sim: Simulator, app_config: AppConfig
) -> None:
    task = sim.add_task()
    sim.inject(Fault.RATE_LIMITED, count=2)
    delays: list[float] = []

    async def record(d: float) -> None:
        delays.append(d)

    sim.reset_log()
    async with fetcher_for(app_config, sleep=record) as fetcher:
        result = await fetcher.fetch(entry(task.task_id))
    assert isinstance(result, TaskSnapshot)
    assert sim.request_count == 3
    assert len(delays) == 2 and all(d >= 0.05 for d in delays)


async def test_rate_limit_that_persists_surfaces_with_retry_after(
    sim: Simulator, app_config: AppConfig
) -> None:
    task = sim.add_task()
    sim.inject(Fault.RATE_LIMITED, count=-1)
    async with fetcher_for(app_config) as fetcher:
        for gateway in ("relay", "native"):
            sim.reset_log()
            result = await fetcher.fetch(entry(task.task_id, gateway=gateway))
            assert isinstance(result, FetchError) and result.type is ErrorType.RATE_LIMITED
            assert result.retry_after == pytest.approx(0.05)
            assert sim.request_count == 3  # 1 + max_retries


async def test_long_retry_after_is_left_to_the_scheduler(sim: Simulator) -> None:
    config = gateways_for(sim.base_url)
    task = sim.add_task()
    sim.retry_after = 30.0
    sim.inject(Fault.RATE_LIMITED, count=-1)
    sim.reset_log()
    async with fetcher_for(config, retry=RetryPolicy(max_inline_wait=5.0)) as fetcher:
        result = await fetcher.fetch(entry(task.task_id))
    assert isinstance(result, FetchError) and result.type is ErrorType.RATE_LIMITED
    assert result.retry_after == pytest.approx(30.0)
    assert sim.request_count == 1


async def test_account_problem_is_not_retried(sim: Simulator, app_config: AppConfig) -> None:
    task = sim.add_task()
    sim.inject(Fault.ACCOUNT, count=-1)
    async with fetcher_for(app_config) as fetcher:
        sim.reset_log()
        result = await fetcher.fetch(entry(task.task_id, gateway="native"))
    assert isinstance(result, FetchError) and result.type is ErrorType.ACCOUNT
    assert sim.request_count == 1


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault.HTML_502, ErrorType.SERVER),
        (Fault.SERVER_500, ErrorType.SERVER),
        (Fault.HTML_200, ErrorType.BAD_RESPONSE),
        (Fault.INVALID_JSON, ErrorType.BAD_RESPONSE),
        (Fault.EMPTY, ErrorType.BAD_RESPONSE),
        (Fault.DROP, ErrorType.NETWORK),
        (Fault.GZIP_BOMB, ErrorType.BAD_RESPONSE),
        (Fault.HUGE, ErrorType.BAD_RESPONSE),
    ],
)
@pytest.mark.parametrize("gateway", ["relay", "native"])
async def test_persistent_faults_become_typed_errors(
    sim: Simulator, app_config: AppConfig, fault: Fault, expected: ErrorType, gateway: str
) -> None:
    task = sim.add_task()
    sim.inject(fault, count=-1)
    async with fetcher_for(app_config) as fetcher:
        result = await fetcher.fetch(entry(task.task_id, gateway=gateway))
    assert isinstance(result, FetchError), result
    assert result.type is expected, result
    assert result.message
    assert TOKEN not in result.message


async def test_truncated_body_is_an_error_not_a_crash(
    sim: Simulator, app_config: AppConfig
) -> None:
    task = sim.add_task()
    sim.inject(Fault.TRUNCATED, count=-1)
    async with fetcher_for(app_config) as fetcher:
        result = await fetcher.fetch(entry(task.task_id))
    assert isinstance(result, FetchError)
    assert result.type in (ErrorType.NETWORK, ErrorType.BAD_RESPONSE)


@pytest.mark.parametrize("fault", [Fault.HTML_502, Fault.DROP, Fault.SERVER_500])
async def test_one_transient_fault_is_retried_away(
    sim: Simulator, app_config: AppConfig, fault: Fault
) -> None:
    task = sim.add_task()
    sim.inject(fault, count=1)
    async with fetcher_for(app_config) as fetcher:
        result = await fetcher.fetch(entry(task.task_id))
    assert isinstance(result, TaskSnapshot), result


@pytest.mark.parametrize(
    ("fault", "timeout", "bound"),
    [
        # the slow answer takes 3 s: well under that proves the 0.2 s timeout cut it (loose
        # bounds: a busy CI machine stretches wall time)
        pytest.param(Fault.SLOW, 0.2, 2.0, id="slow answer"),
        # httpx's read timeout is per read: a byte every 0.3 s would never trip it alone;
        # the whole drip would take over 30 s
        pytest.param(Fault.DRIP, 0.8, 5.0, id="dripping server, bounded as a whole"),
    ],
)
async def test_slow_answer_times_out(
    sim: Simulator, fault: Fault, timeout: float, bound: float
) -> None:
    config = gateways_for(sim.base_url, timeout=timeout, retries=0)
    task = sim.add_task()
    sim.inject(fault, count=-1)
    async with fetcher_for(config) as fetcher:
        started = time.monotonic()
        result = await fetcher.fetch(entry(task.task_id))
    assert isinstance(result, FetchError) and result.type is ErrorType.TIMEOUT
    assert time.monotonic() - started < bound


async def test_status_timeout_bounds_retries_too(sim: Simulator) -> None:
    config = gateways_for(sim.base_url, timeout=5.0, retries=3)
    task = sim.add_task()
    sim.inject(Fault.SLOW, count=-1)
    async with Fetcher(config) as fetcher:
        started = time.monotonic()
        result = await fetcher.fetch_id(
            task.task_id, "text2video", config.gateways["relay"], timeout=0.3
        )
    assert isinstance(result, FetchError) and result.type is ErrorType.TIMEOUT
    assert time.monotonic() - started < 2.5  # one slow answer alone takes 3 s


async def test_concurrent_requests_are_capped_per_gateway(
    sim: Simulator, app_config: AppConfig
) -> None:
    tasks = [sim.add_task() for _ in range(40)]
    async with fetcher_for(app_config) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(entry(t.task_id)) for t in tasks))
        _, limit = fetcher._client(app_config.gateways["relay"])
    assert all(isinstance(r, TaskSnapshot) for r in results)
    assert [r.task_id for r in results] == [t.task_id for t in tasks]  # type: ignore[union-attr]
    assert limit._value == 8  # every permit returned


class _Redirector(http.server.BaseHTTPRequestHandler):
    seen_auth: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        type(self).seen_auth.append(self.headers.get("Authorization"))
        self.send_response(302)
        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def redirector() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_redirects_are_not_followed(redirector: str) -> None:
    config = gateways_for(redirector, retries=0)
    async with fetcher_for(config) as fetcher:
        result = await fetcher.fetch(entry("866889456698785798"))
    assert isinstance(result, FetchError) and result.type is ErrorType.BAD_RESPONSE
    assert "redirect" in result.message
    assert len(_Redirector.seen_auth) >= 1


async def test_unreachable_gateway_is_a_network_error() -> None:
    config = gateways_for("http://127.0.0.1:9", retries=1)
    async with fetcher_for(config) as fetcher:
        result = await fetcher.fetch(entry("866889456698785798"))
    assert isinstance(result, FetchError) and result.type is ErrorType.NETWORK
    assert "127.0.0.1:9" in result.message
    assert TOKEN not in result.message


def test_token_is_not_in_reprs(app_config: AppConfig) -> None:
    fetcher = Fetcher(app_config)
    assert TOKEN not in repr(app_config)
    assert TOKEN not in repr(vars(fetcher))


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_refused_connection_is_reported_without_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 9: a refused connect took ~5 s of three retries before it was reported."""
    slept: list[float] = []

    async def record_sleep(seconds: float) -> None:
        slept.append(seconds)

    config = gateways_for(f"http://127.0.0.1:{_closed_port()}", retries=3)
    async with fetcher_for(config, sleep=record_sleep) as fetcher:
        sent = count_attempts(fetcher, monkeypatch)
        result = await fetcher.fetch(entry("866889456698785798"))
    assert isinstance(result, FetchError) and result.type is ErrorType.NETWORK
    assert "connection refused" in result.message
    assert len(sent) == 1 and slept == []


async def test_unknown_host_is_reported_without_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def lookup(host: object, *args: object, **kw: object) -> object:
        if host == "no-such-host.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    config = gateways_for("http://no-such-host.invalid", retries=3)
    async with fetcher_for(config) as fetcher:
        sent = count_attempts(fetcher, monkeypatch)
        result = await fetcher.fetch(entry("866889456698785798"))
    assert isinstance(result, FetchError) and result.type is ErrorType.NETWORK
    assert "host name not found" in result.message
    assert len(sent) == 1


async def test_dropped_connections_are_still_retried(sim: Simulator, app_config: AppConfig) -> None:
    task = sim.add_task()
    sim.inject(Fault.DROP, count=-1)
    sim.reset_log()
    async with fetcher_for(app_config) as fetcher:
        result = await fetcher.fetch(entry(task.task_id))
    assert isinstance(result, FetchError) and result.type is ErrorType.NETWORK
    assert sim.request_count == 3  # app_config: max_retries=2
