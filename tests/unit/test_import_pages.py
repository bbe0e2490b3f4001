"""An import planned page by page: ``harvest(on_page=...)``, ``ImportPlanner`` and the
gateway import that feeds the store's staged add as each list page arrives.

The pages are served by a fake lister (no network); what is held is that streaming changes
nothing of the outcome: the same plan as one pass over every task, every task told once,
the watch list saved once, kind by kind, whatever order the pages came in.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kling_tui.importing.apply import import_from_gateway
from kling_tui.importing.harvest import harvest
from kling_tui.importing.plan import Candidate, ImportPlanner, plan_import
from kling_tui.models import Status, TaskSnapshot, WatchEntry
from kling_tui.store import watchlist as wl_module
from kling_tui.store.watchlist import WatchList
from tests.support.importing import GATEWAY, KINDS, T0, PageLister, snap

PAGE = 3


class Lister(PageLister):
    """``count`` tasks per kind in pages of ``PAGE``; the second kind's pages answer first.
    ``bad``: the first task of page 2 has this id (none the store can save)."""

    def __init__(self, count: int = 7, bad: str | None = None) -> None:
        def pages(kind: str, page_num: int) -> list[TaskSnapshot]:
            first = (page_num - 1) * PAGE
            items = [snap(kind, n) for n in range(first, min(first + PAGE, count))]
            if bad is not None and page_num == 2:
                items[0] = replace(items[0], task_id=bad)
            return items

        super().__init__(pages, page_size=PAGE)


async def test_on_page_tells_every_kept_task_once_by_source() -> None:
    told: list[tuple[int, list[str]]] = []
    found = await harvest(
        Lister(),  # type: ignore[arg-type]
        GATEWAY,
        kinds=KINDS,
        task_log=False,
        on_page=lambda source, tasks: told.append((source, [s.task_id for s in tasks])),
    )
    assert [len(ids) for _, ids in told if _ == 0] == [3, 3, 1]
    for source, kind in enumerate(KINDS):
        ids = [i for s, page in told if s == source for i in page]
        assert ids == [s.task_id for s in found.snapshots if s.kind == kind]
    assert len(found.snapshots) == 14  # the result keeps its fixed order: kinds as given
    assert [s.kind for s in found.snapshots] == ["text2video"] * 7 + ["image2video"] * 7


def test_a_planner_fed_page_by_page_makes_the_plan_of_one_pass() -> None:
    watched = [
        WatchEntry(task_id=snap("text2video", 1).task_id, kind="text2video", gateway="native",
                   added_at=T0, snapshot=snap("text2video", 1)),
    ]  # fmt: skip
    later = TaskSnapshot(
        snap("text2video", 1).task_id, "text2video", Status.SUCCEEDED, "succeed", 100.0,
        (), "", None, T0, T0 + timedelta(minutes=5), T0 + timedelta(minutes=5),
    )  # fmt: skip
    tasks = [snap("text2video", 0), later, snap("image2video", 0), snap("text2video", 0)]
    whole = plan_import(
        watched, [Candidate(s.task_id, s.kind, "native", snapshot=s) for s in tasks], now=T0
    )
    planner = ImportPlanner(watched, now=T0)
    assert [e.task_id for e in planner.feed_listed(tasks[:2], "native")] == [tasks[0].task_id]
    planner.feed([Candidate(s.task_id, s.kind, "native", snapshot=s) for s in tasks[2:3]])
    planner.feed_listed(tasks[3:], "native")
    plan = planner.plan
    assert plan.new == whole.new and len(plan.new) == 2
    assert plan.merges == whole.merges and plan.merges[0][1] is later
    assert plan.already == whole.already == 2


async def test_the_gateway_import_saves_once_kind_by_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[int] = []
    real = WatchList._write

    def counting(self: WatchList, entries: list[WatchEntry], **kw: Any) -> None:
        writes.append(len(entries))
        real(self, entries, **kw)

    monkeypatch.setattr(wl_module.WatchList, "_write", counting)
    store = WatchList(tmp_path / "w.toml")
    store.load()
    started = datetime.now(UTC)
    summary = await import_from_gateway(Lister(), GATEWAY, store, kinds=KINDS)  # type: ignore[arg-type]
    assert (summary.new, summary.already, summary.requests) == (14, 0, 6)
    assert writes == [14]
    saved = WatchList(store.path).load()
    assert [e.kind for e in saved] == ["text2video"] * 7 + ["image2video"] * 7
    assert {e.added_at for e in saved} == {saved[0].added_at} and saved[0].added_at >= started
    again = await import_from_gateway(Lister(), GATEWAY, store, kinds=KINDS)  # type: ignore[arg-type]
    assert (again.new, again.already) == (0, 14)
    assert writes == [14]  # nothing new: not written again


async def test_an_entry_the_store_refuses_stops_the_import_before_any_write(
    tmp_path: Path,
) -> None:
    store = WatchList(tmp_path / "w.toml")
    store.load()
    with pytest.raises(ValueError):
        await import_from_gateway(Lister(bad="12 34"), GATEWAY, store, kinds=KINDS)  # type: ignore[arg-type]
    assert not store.path.exists()
