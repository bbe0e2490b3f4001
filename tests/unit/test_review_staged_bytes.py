"""Review of the staged add (issue 12): for any batches, parts, duplicates (by key, by a
Kling id, by an external id) and another process's save between feed and commit, the file
is the bytes of ONE rtoml pass over the list as saved, nothing fed is lost or doubled, and
the duplicates are the ones ``add`` of everything in the order fed would refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import rtoml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kling_tui.models import Status, TaskSnapshot, WatchEntry
from kling_tui.store import watchlist as wl_module
from kling_tui.store.codec import entry_to_table
from kling_tui.store.watchlist import WatchList

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
POOL = [f"8668894566987{n:05d}" for n in range(6)]
ODD = ["[bold]x[/]", "[@click=app.quit]q[/]", "a \"q\" \\ 's'", "✓ ünï", "line\nbreak", "tab\tx"]


@st.composite
def entries(draw: st.DrawFn) -> WatchEntry:
    task_id = draw(st.sampled_from(POOL))
    kind = draw(st.sampled_from(["text2video", "image2video"]))
    snapshot = None
    if draw(st.booleans()):
        snapshot = TaskSnapshot(
            task_id=task_id,
            kind=kind,
            status=Status.IN_PROGRESS,
            status_raw="processing",
            progress=draw(st.sampled_from([None, 0.0, 42.5])),
            videos=(),
            message=draw(st.sampled_from(["", *ODD])),
            external_task_id=draw(st.sampled_from([None, "job-1", "job-2"])),
            created_at=T0,
            updated_at=None,
            fetched_at=T0 + timedelta(minutes=1),
            kling_task_id=draw(st.sampled_from([None, *POOL])),
            model=draw(st.sampled_from([None, "kling-v2-1"])),
        )
    extra = draw(st.sampled_from([{}, {"priority": 3}, {"note": {"x": "[b]"}, "tags": ["a"]}]))
    return WatchEntry(
        task_id=task_id,
        kind=kind,
        gateway="relay",
        added_at=T0,
        label=draw(st.sampled_from([None, *ODD[:4]])),
        snapshot=snapshot,
        last_checked=None if snapshot is None else snapshot.fetched_at,
        extra=extra,
    )


batches = st.lists(st.tuples(st.integers(0, 2), st.lists(entries(), max_size=4)), max_size=5)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=st.lists(entries(), max_size=3),
    fed=batches,
    meanwhile=st.lists(entries(), max_size=2),
)
def test_a_staged_add_saves_the_bytes_of_one_pass(
    tmp_path_factory, before: list[WatchEntry], fed, meanwhile: list[WatchEntry]
) -> None:
    path: Path = tmp_path_factory.mktemp("w") / "watchlist.toml"
    store = WatchList(path)
    store.load()
    if before:
        store.add(before)
    staged = store.stage()
    for part, batch in fed:
        staged.feed(batch, part=part)
    if meanwhile:
        WatchList(path).add(meanwhile)  # another process saves between feed and commit
    base = WatchList(path).load()
    result = staged.commit()

    # what add of everything fed, in the order fed, against the list at the commit decides
    reference = WatchList(tmp_path_factory.mktemp("r") / "watchlist.toml")
    reference.load()
    if base:
        reference.add(base)
    flat = [e for _, batch in fed for e in batch]
    part_of = {id(e): part for part, batch in fed for e in batch}
    one = reference.add(flat) if flat else None
    decided = one.added if one else []
    # the same entries refused and taken as that add, saved by part, then in the order fed
    assert [e.key for e in result.added] == [
        e.key for e in sorted(decided, key=lambda e: part_of[id(e)])
    ]
    assert len(result.added) + len(result.duplicates) == len(flat)  # none lost, none doubled

    saved = WatchList(path).load()
    assert [e.key for e in saved] == [e.key for e in base] + [e.key for e in result.added]
    if result.added:  # the bytes: one rtoml pass over the list the store now holds
        tasks = [entry_to_table(e) for e in store.entries]
        doc = {"version": wl_module.FORMAT_VERSION, "tasks": tasks}
        assert path.read_text() == wl_module.HEADER + rtoml.dumps(doc)


def test_undo_after_a_staged_add_puts_the_removed_back_in_place(tmp_path: Path) -> None:
    store = WatchList(tmp_path / "watchlist.toml")
    store.load()
    ids = POOL[:4]
    staged = store.stage()
    staged.feed([WatchEntry(i, "text2video", "relay", added_at=T0) for i in ids[2:]], part=1)
    staged.feed([WatchEntry(i, "text2video", "relay", added_at=T0) for i in ids[:2]], part=0)
    staged.commit()
    after_commit = store.path.read_bytes()
    removed = store.remove([store.entries[1].key, store.entries[2].key])
    assert [e.task_id for e in WatchList(store.path).load()] == [ids[0], ids[3]]
    store.restore(removed)
    assert [e.task_id for e in WatchList(store.path).load()] == ids
    assert store.path.read_bytes() == after_commit
    again = store.stage()  # a stage opened after the undo sees the restored tasks
    assert again.feed([WatchEntry(ids[1], "text2video", "relay", added_at=T0)]) == []


def test_an_id_learned_by_another_process_meanwhile_refuses_at_the_commit(
    tmp_path: Path,
) -> None:
    """Another process's poll learns that a watched relay task is Kling's ``POOL[0]``
    between this stage's feed and its commit: ``POOL[0]`` is then a duplicate (as ``add``
    checks under the lock), and the texts written at the feed are not used."""
    path = tmp_path / "watchlist.toml"
    store = WatchList(path)
    store.load()
    store.add([WatchEntry("task_relay01", "text2video", "relay", added_at=T0)])
    staged = store.stage()
    assert [e.task_id for e in staged.feed([WatchEntry(POOL[0], "text2video", "relay",
                                                       added_at=T0)])] == [POOL[0]]  # fmt: skip
    other = WatchList(path)
    watched = other.load()[0]
    learned = TaskSnapshot(
        "task_relay01", "text2video", Status.IN_PROGRESS, "processing", 10.0, (), "", None,
        T0, None, T0 + timedelta(minutes=1), kling_task_id=POOL[0],
    )  # fmt: skip
    watched.snapshot = learned
    assert other.update([watched]) == 1
    result = staged.commit()
    assert result.added == [] and [e.task_id for e in result.duplicates] == [POOL[0]]
    assert result.same_as[0].task_id == "task_relay01"
    assert [e.task_id for e in WatchList(path).load()] == ["task_relay01"]
