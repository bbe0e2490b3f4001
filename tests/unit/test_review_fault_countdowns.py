"""Review of ``sim.faults.take_injected`` (shared by the API faults and the file faults):
each injected fault counts down only for the requests it matches, in the order injected;
-1 stays until cleared; a fault for one task (by any of its ids) is not spent by another."""

from __future__ import annotations

import threading

import pytest

from kling_tui.sim.envelopes import Route
from kling_tui.sim.faults import Fault
from kling_tui.sim.files import FileFault, SimFiles
from kling_tui.sim.simulator import Simulator


def task_route(*ids: str) -> Route:
    return Route(relay=False, kind="text2video", ids=ids)


def test_api_faults_count_per_match_in_order() -> None:
    sim = Simulator()
    a = sim.add_task(external_task_id="ext-a")
    b = sim.add_task()
    sim.inject(Fault.NOT_FOUND, count=2, task_id="ext-a")
    first = Fault.NOT_FOUND
    sim.inject(Fault.DROP, count=1)
    sim.inject(Fault.HOSTILE, count=1, lists=True)
    # b's request passes a's fault by and takes the shared one; list faults are not its
    assert sim._take_fault(task_route(b.task_id)) is Fault.DROP
    assert sim._take_fault(task_route(b.task_id)) is None
    # a's fault is spent by a request naming a by its Kling id, twice, then gone
    assert sim._take_fault(task_route(a.task_id)) is first
    assert sim._take_fault(task_route("ext-a")) is first
    assert sim._take_fault(task_route(a.task_id)) is None
    assert sim._take_fault(task_route(a.task_id), listing=True) is Fault.HOSTILE
    assert sim._take_fault(task_route(a.task_id), listing=True) is None
    sim.inject(Fault.DROP, count=-1, lists=False)
    for _ in range(5):
        assert sim._take_fault(task_route(b.task_id)) is Fault.DROP
    assert sim._take_fault(task_route(b.task_id), listing=True) is None
    sim.clear_faults()
    assert sim._take_fault(task_route(b.task_id)) is None


def test_file_faults_count_per_task() -> None:
    files = SimFiles.__new__(SimFiles)  # only the fault list and its lock: no servers
    files._lock = threading.Lock()
    files._faults = []
    kinds = list(FileFault)
    files.inject(kinds[0], count=2, task_id="A")
    files.inject(kinds[1], count=1)
    assert files._take("B") is kinds[1]  # A's fault is not B's
    assert files._take("B") is None
    assert files._take("A") is kinds[0]
    assert files._take("A") is kinds[0]
    assert files._take("A") is None
    files.inject(kinds[0], count=-1)
    assert all(files._take(t) is kinds[0] for t in "ABAB")


def test_a_count_of_zero_injects_nothing_for_files_as_for_the_api() -> None:
    """``count=0`` is no fault in both simulators (the file faults once made it a fault
    for ever, since their countdown never reached 0)."""
    files = SimFiles.__new__(SimFiles)
    files._lock = threading.Lock()
    files._faults = []
    first = next(iter(FileFault))
    files.inject(first, count=0)
    assert files._take("A") is None
    sim = Simulator()
    task = sim.add_task()
    sim.inject(Fault.DROP, count=0)
    assert sim._take_fault(task_route(task.task_id)) is None
    with pytest.raises(ValueError):
        files.inject(first, count=-2)


@pytest.mark.parametrize("count", [0, 1, -1])
def test_an_unknown_fault_is_refused_at_any_count_for_files_as_for_the_api(count: int) -> None:
    """A misspelt fault is the caller's mistake whatever the count: ``Simulator.inject``
    reads the fault before the count, so ``count=0`` does not hide it; the file faults
    must not either (a test injecting ``count=0`` of a typo would pass for the wrong
    reason, and fail only once its count changes)."""
    sim = Simulator()
    with pytest.raises(ValueError, match="no-such-fault"):
        sim.inject("no-such-fault", count=count)
    with pytest.raises(ValueError, match="no-such-fault"):
        sim.files.inject("no-such-fault", count=count)
    assert sim.files._take("A") is None
