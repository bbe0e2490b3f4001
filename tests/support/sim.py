"""The embedded gateway simulator, started on 127.0.0.1 for a test and stopped after it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kling_tui.config import AppConfig, GatewayConfig, PollConfig
from kling_tui.gateway.auth import JwtSigner, Secret, StaticToken
from kling_tui.sim.simulator import Simulator

from .clock import FakeClock

TOKEN = "test-token-ABCDEF0123456789"
ACCESS_KEY = "test-ak"
SECRET_KEY = "test-sk-0123456789"
ACCESS_TOKEN = "demo-access-token"
"""The access token of the simulator's relay user 1: what reads its task log."""


@contextmanager
def running_simulator(
    clock: FakeClock,
    *,
    token: str = TOKEN,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
    retry_after: float = 0.05,
    slow_seconds: float = 0.6,
    **options: Any,
) -> Iterator[Simulator]:
    """A started simulator on ``clock``; the one factory behind every simulator fixture.
    ``options`` go to ``Simulator`` as they are (``relay_kinds``, ``relay_refusal``...)."""
    simulator = Simulator(
        tokens=(token,),
        access_key=access_key,
        secret_key=secret_key,
        clock=clock,
        retry_after=retry_after,
        slow_seconds=slow_seconds,
        **options,
    )
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


def gateways_for(base_url: str, *, timeout: float = 2.0, retries: int = 2) -> AppConfig:
    """A relay (static token) and a native (JWT) gateway, both pointing at ``base_url``."""
    relay = GatewayConfig(
        name="relay",
        base_url=base_url,
        path_prefix="/kling/v1",
        credential=StaticToken(Secret.from_raw(TOKEN, "KLING_API_KEY"), hint="KLING_API_KEY"),
        timeout=timeout,
        connect_timeout=1.0,
        max_concurrency=8,
        max_retries=retries,
    )
    native = GatewayConfig(
        name="native",
        base_url=base_url,
        path_prefix="/v1",
        credential=JwtSigner(
            Secret.from_raw(ACCESS_KEY, "KLING_ACCESS_KEY"),
            Secret.from_raw(SECRET_KEY, "KLING_SECRET_KEY"),
            hint="KLING_ACCESS_KEY/KLING_SECRET_KEY",
        ),
        timeout=timeout,
        connect_timeout=1.0,
        max_concurrency=8,
        max_retries=retries,
    )
    return AppConfig(
        gateways={"relay": relay, "native": native},
        default_gateway="relay",
        poll=PollConfig(interval=0.05, max_interval=0.2),
        path=None,
    )


class _NotifyingLog(list[tuple[str, str]]):
    """The simulator's request log, calling back after each request is logged."""

    def __init__(
        self, items: list[tuple[str, str]], callback: Callable[[tuple[str, str]], None]
    ) -> None:
        super().__init__(items)
        self._callback = callback

    def append(self, item: tuple[str, str]) -> None:
        super().append(item)
        self._callback(item)


def on_request(simulator: Simulator, callback: Callable[[tuple[str, str]], None]) -> None:
    """Call ``callback(method, path)`` in the server thread as each request arrives, before
    it is answered: a test advances the fake clock per request, or sets an event, instead
    of sleeping while a blocking command polls."""
    simulator.requests = _NotifyingLog(simulator.requests, callback)
