"""One hand-driven clock for every test that injects a clock into the code under test."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FakeClock:
    """Seconds that only move when a test says so.

    Called like ``time.monotonic`` / ``time.time``: the simulator, the poller and the JWT
    signer all take such a callable, so one fake serves them all; a test that cares about
    the epoch (JWT claims) passes its own ``now``.
    """

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class TickingClock:
    """Seconds that move by ``step`` at every reading: the work between two readings takes
    time, as on a real machine, but always the same (a race on a busy machine, made certain)."""

    now: float = 1000.0
    step: float = 0.001

    def __call__(self) -> float:
        self.now += self.step
        return self.now
