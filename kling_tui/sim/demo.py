"""``kling-tui --demo``: the dashboard on the embedded simulator, with no account or token.

The demo runs on a temporary watch list in a temporary directory, so it never touches the
operator's own list or config. Two gateways show both envelopes the fetcher reads: a relay
(shape A, static token) and a native-style one (shape B, JWT signed from demo keys).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from kling_tui.config import AppConfig, GatewayConfig, PollConfig
from kling_tui.gateway.auth import JwtSigner, Secret, StaticToken
from kling_tui.models import Status, TaskSnapshot, WatchEntry, utcnow
from kling_tui.sim.simulator import Simulator
from kling_tui.store.watchlist import WatchList

DEMO_TOKEN = "demo-token"
DEMO_ACCESS_KEY = "demo-ak"
DEMO_SECRET_KEY = "demo-sk"
DEMO_LABELS = (
    "cat surfing at sunset",
    "product shots, three images",
    "storyboard: 4 shots, city at night",
    "drone over rice terraces, extended",
    "hostile server text (shown literally)",
    "lip sync, CJK failure reason",
    "long queue (stays submitted)",
    "portrait turn, external id",
    "instant render, relay task_ id",
    "logo reveal, omni",
    "stuck at 30% on the relay",
)
"""Prompt-like labels, in the order of ``Simulator.add_demo_tasks``."""
MISSING_ID = "800000000000000404"
"""An id the simulator does not know: shows how a not-found task looks."""


@dataclass
class DemoSession:
    simulator: Simulator
    config: AppConfig
    store: WatchList
    directory: Path

    @property
    def note(self) -> str:
        # Clauses in order of importance, " · " between them: a narrow screen drops the
        # last ones whole (see ui.widgets.summary.NoteLine).
        return (
            f"demo · gateway {self.simulator.base_url} · watch list deleted on exit"
            f" · {self.store.path}"
        )


DEMO_SLOTS = 3
"""The demo native account's task slots: its header gauge fills while the demo runs."""


def demo_config(base_url: str) -> AppConfig:
    """Two gateways on the simulator: the relay prefix and the native prefix."""
    relay = GatewayConfig(
        name="demo-relay",
        base_url=base_url,
        path_prefix="/kling/v1",
        credential=StaticToken(Secret.from_raw(DEMO_TOKEN, "demo"), hint="demo token"),
    )
    native = GatewayConfig(
        name="demo-native",
        base_url=base_url,
        path_prefix="/v1",
        credential=JwtSigner(
            Secret.from_raw(DEMO_ACCESS_KEY, "demo"),
            Secret.from_raw(DEMO_SECRET_KEY, "demo"),
            hint="demo keys",
        ),
        concurrency_limit=DEMO_SLOTS,
    )
    return AppConfig(
        gateways={relay.name: relay, native.name: native},
        default_gateway=relay.name,
        poll=PollConfig(interval=1.0, max_interval=5.0),
        path=None,
    )


def demo_entries(simulator: Simulator) -> list[WatchEntry]:
    """Every demo task, alternating between the two gateways, plus one unknown id."""
    now = utcnow()
    entries: list[WatchEntry] = []
    for index, task in enumerate(simulator.add_demo_tasks()):
        gateway = "demo-relay" if index % 2 == 0 else "demo-native"
        label = DEMO_LABELS[index] if index < len(DEMO_LABELS) else f"demo task {index + 1}"
        entry = WatchEntry(
            # a relay-era-2026 task is watched by the relay's own id, as operators get it
            task_id=task.relay_id if gateway == "demo-relay" and task.relay_id else task.task_id,
            kind=task.kind,
            gateway=gateway,
            added_at=now,
            label=label,
        )
        if task.stuck_at is not None:
            entry.snapshot, entry.state_since = _stuck_since(entry, task.stuck_at, hours=2)
        entries.append(entry)
    entries.append(
        WatchEntry(
            task_id=MISSING_ID,
            kind="text2video",
            gateway="demo-relay",
            added_at=now,
            label="an id the gateway does not know",
        )
    )
    return entries


def _stuck_since(entry: WatchEntry, percent: int, *, hours: float) -> tuple[TaskSnapshot, datetime]:
    """What the watch list would hold for a task seen at ``percent`` for ``hours``: the
    stuck rule needs its history (a task added now is not stuck for half an hour)."""
    now = utcnow()
    since = now - timedelta(hours=hours)
    snapshot = TaskSnapshot.bare(
        entry.task_id,
        entry.kind,
        Status.IN_PROGRESS,
        now,
        status_raw="IN_PROGRESS",
        progress=float(percent),
        created_at=since,
        updated_at=since,
        progress_synthetic=True,
    )
    return snapshot, since


UNWATCHED_DEMO_TASKS = (
    {"kind": "image-generations", "queue_seconds": 2, "run_seconds": 12},
    {"kind": "omni-video", "queue_seconds": 3, "run_seconds": 40},
    {"kind": "text2video", "queue_seconds": 1, "run_seconds": 20},
)
"""Tasks the demo gateway has but the watch list does not: what ``I`` (import) finds."""


@contextmanager
def demo_session(clock: Callable[[], float] = time.monotonic) -> Iterator[DemoSession]:
    """Start the simulator and a throw-away watch list; stop and delete both on exit.

    ``clock`` drives the simulated tasks (the screenshot script moves it by hand).
    """
    with tempfile.TemporaryDirectory(prefix="kling-tui-demo-") as tmp:
        directory = Path(tmp)
        simulator = Simulator(
            tokens=(DEMO_TOKEN,),
            access_key=DEMO_ACCESS_KEY,
            secret_key=DEMO_SECRET_KEY,
            clock=clock,
        )
        simulator.start()
        try:
            store = WatchList(directory / "watchlist.toml")
            store.load()
            store.add(demo_entries(simulator))
            for spec in UNWATCHED_DEMO_TASKS:
                simulator.add_task(**spec)  # type: ignore[arg-type]
            yield DemoSession(simulator, demo_config(simulator.base_url), store, directory)
        finally:
            simulator.stop()
