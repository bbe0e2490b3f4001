"""Second review of ``TaskSnapshot.bare`` (99c7d1d): it builds the snapshot each old call
site built by hand (d6610db's ``sim/demo.py``, ``bench/bench_common.bare_snapshot`` and
``tests/support/snapshots.task_snapshot``), every field equal, ``raw`` too; and the demo's
watch list is the one the old demo built."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kling_tui.models import Image, Status, TaskKey, TaskSnapshot, Video
from kling_tui.sim import demo
from kling_tui.sim.simulator import Simulator
from tests.support.history import module_at

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def fields(s: TaskSnapshot) -> dict[str, Any]:
    """Every field, ``raw`` (left out of ``==``) included."""
    return {f.name: getattr(s, f.name) for f in dataclasses.fields(s)}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize(
    "rest",
    [{}, {"status_raw": "processing", "progress": 40.0}, {"progress": 100.0},
     {"status_raw": ""}],
)  # fmt: skip
def test_bare_is_the_benchmarks_old_bare_snapshot(status: Status, rest: dict[str, Any]) -> None:
    common = module_at("d6610db", "bench/bench_common.py", "bench_common_before")
    key = TaskKey("relay", "830000000000000001", "text2video")
    old = common.bare_snapshot(key, status, NOW, **rest)
    new = TaskSnapshot.bare(key.task_id, key.kind, status, NOW, **rest)
    assert fields(new) == fields(old)
    assert new.status_raw == rest.get("status_raw", status.value)


def test_bare_is_the_tests_old_task_snapshot_with_any_field_set() -> None:
    rest = {
        "videos": (Video("1", "u", 5.1),), "message": "m", "external_task_id": "e",
        "created_at": NOW - timedelta(hours=1), "updated_at": NOW, "raw": "{}",
        "images": (Image(0, "i"),), "model": "kling-v2-1", "progress_synthetic": True,
        "expires_at": NOW + timedelta(days=30), "quota": 2.0,
    }  # fmt: skip
    old = TaskSnapshot(
        task_id="t", kind="image2video", status=Status.FAILED, status_raw="failed",
        progress=None, fetched_at=NOW, **rest,
    )  # fmt: skip
    assert fields(TaskSnapshot.bare("t", "image2video", Status.FAILED, NOW, **rest)) == fields(old)


def test_the_demo_builds_the_watch_list_it_built_before(monkeypatch: pytest.MonkeyPatch) -> None:
    old_demo = module_at("d6610db", "kling_tui/sim/demo.py", "demo_before")
    monkeypatch.setattr(demo, "utcnow", lambda: NOW)
    monkeypatch.setattr(old_demo, "utcnow", lambda: NOW)
    state = random.getstate()
    try:
        random.seed(7)  # the simulator draws its ids from ``random``: the same ids both times
        new = demo.demo_entries(Simulator())
        random.seed(7)
        old = old_demo.demo_entries(Simulator())
    finally:
        random.setstate(state)
    assert len(new) == len(old) > 1
    assert [e.snapshot is not None for e in new].count(True) >= 1  # a stuck task is seeded
    for n, o in zip(new, old, strict=True):
        assert dataclasses.replace(n, snapshot=None) == dataclasses.replace(o, snapshot=None)
        assert (n.snapshot is None) is (o.snapshot is None)
        if n.snapshot is not None:
            assert fields(n.snapshot) == fields(o.snapshot)
            assert n.snapshot.progress_synthetic and n.snapshot.status_raw == "IN_PROGRESS"
