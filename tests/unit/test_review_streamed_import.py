"""Review of the streamed gateway import (issue 12): whatever order the list pages of the
kinds arrive in, the import must save what one pass over the harvest (the kinds as given,
then the task log) saves: the same entries, the same kinds, the same bytes."""

from __future__ import annotations

from pathlib import Path

from kling_tui.importing.apply import apply_to_store, import_from_gateway, server_of
from kling_tui.importing.harvest import harvest
from kling_tui.importing.plan import Candidate, plan_import
from kling_tui.models import TaskSnapshot, utcnow
from kling_tui.store.watchlist import WatchList
from tests.support.importing import GATEWAY, KINDS, T0, PageLister, snap


def Lister(pages: dict[str, list[TaskSnapshot]]) -> PageLister:
    """One page per kind; the FIRST kind's page answers last (a slower first kind)."""
    return PageLister(lambda kind, n: pages[kind] if n == 1 else [], delay=0.01)


async def one_pass(path: Path, lister: Lister) -> bytes:
    """What the import saved before the stage: plan the whole harvest, then one add."""
    store = WatchList(path)
    store.load()
    found = await harvest(lister, GATEWAY, kinds=KINDS, task_log=False, raw=False)  # type: ignore[arg-type]
    cands = [Candidate(s.task_id, s.kind, "native", snapshot=s) for s in found.snapshots]
    plan = plan_import(store.entries, cands, now=utcnow(), server_of=server_of(lister.config))
    apply_to_store(store, plan)
    return path.read_bytes()


def without_added_at(data: bytes) -> list[str]:
    return [line for line in data.decode().splitlines() if not line.startswith("added_at")]


async def test_a_task_listed_under_two_kinds_is_saved_as_one_pass_saves_it(
    tmp_path: Path,
) -> None:
    """Two kinds' lists name one task (the same external id, the caller's tag): one pass
    keeps the first kind's, whichever page came first. The streamed import fed the
    planner in arrival order, so the second kind's task was saved instead."""
    pages = {
        "text2video": [snap("text2video", 1, external="job-1"), snap("text2video", 2)],
        "image2video": [snap("image2video", 1, external="job-1"), snap("image2video", 2)],
    }
    expected = await one_pass(tmp_path / "one.toml", Lister(pages))
    store = WatchList(tmp_path / "streamed.toml")
    store.load()
    summary = await import_from_gateway(Lister(pages), GATEWAY, store, kinds=KINDS)  # type: ignore[arg-type]
    saved = WatchList(store.path).load()
    assert [(e.kind, e.task_id) for e in saved] == [
        ("text2video", pages["text2video"][0].task_id),
        ("text2video", pages["text2video"][1].task_id),
        ("image2video", pages["image2video"][1].task_id),
    ]
    assert (summary.new, summary.already) == (3, 1)
    assert without_added_at(store.path.read_bytes()) == without_added_at(expected)


def test_the_planner_tells_when_the_order_of_parts_changed_the_plan() -> None:
    from kling_tui.importing.plan import ImportPlanner

    first = [snap("text2video", 1, external="job-1")]
    second = [snap("image2video", 1, external="job-1"), snap("image2video", 2)]
    in_order = ImportPlanner([], now=T0)
    in_order.feed_listed(first, "native", part=0)
    in_order.feed_listed(second, "native", part=1)
    assert not in_order.out_of_order
    reversed_ = ImportPlanner([], now=T0)
    reversed_.feed_listed(second, "native", part=1)
    reversed_.feed_listed(first, "native", part=0)
    assert reversed_.out_of_order  # its plan keeps image2video's task, one pass keeps the other
    apart = ImportPlanner([], now=T0)
    apart.feed_listed(second[1:], "native", part=1)
    apart.feed_listed([snap("text2video", 3)], "native", part=0)
    assert not apart.out_of_order  # pages in another order, no task in common: nothing to redo
