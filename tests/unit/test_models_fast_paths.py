"""``TaskKey`` is a named tuple and ``TaskSnapshot.build`` sets slots directly: both cheap
because a start builds them per task before its first frame; both keep what the frozen
dataclasses promised."""

from __future__ import annotations

import pytest

from kling_tui.models import TaskKey


def test_a_key_is_immutable_hashable_and_ordered_field_by_field() -> None:
    key = TaskKey("866889456698785798", "text2video", "relay")
    with pytest.raises(AttributeError):
        key.gateway = "kling"  # type: ignore[misc]
    assert {key: 1}[TaskKey("866889456698785798", "text2video", "relay")] == 1
    assert key != TaskKey("866889456698785798", "text2video", "kling")
    assert sorted([TaskKey("b", "a", "a"), TaskKey("a", "b", "a"), TaskKey("a", "a", "b")]) == [
        TaskKey("a", "a", "b"),
        TaskKey("a", "b", "a"),
        TaskKey("b", "a", "a"),
    ]
    assert str(key) == "relay:text2video:866889456698785798"
    assert repr(key) == "TaskKey(task_id='866889456698785798', kind='text2video', gateway='relay')"
    assert (key.task_id, key.kind, key.gateway) == ("866889456698785798", "text2video", "relay")


def test_snapshot_build_is_the_constructor_field_for_field() -> None:
    """``TaskSnapshot.build`` sets the slots itself (the loader's fast path): every field
    must land where the constructor puts it, ``raw`` (not compared) too, and it stays frozen."""
    import dataclasses
    from datetime import UTC, datetime

    from kling_tui.models import Image, Status, TaskSnapshot, Video

    t1, t2, t3 = (datetime(2026, 11, 22, h, tzinfo=UTC) for h in (1, 2, 3))
    values = dict(
        task_id="a",
        kind="text2video",
        status=Status.IN_PROGRESS,
        status_raw="processing",
        progress=42.0,
        videos=(Video("v", "https://v", 5.0),),
        message="m",
        external_task_id="e",
        created_at=t1,
        updated_at=t2,
        fetched_at=t3,
        raw='{"x": 1}',
        images=(Image(0, "https://i"),),
        parent_video=Video("p", "https://p", 1.0),
        final_unit_deduction=2.5,
        kling_task_id="k",
        model="kling-v2-1",
        progress_synthetic=True,
        expires_at=t3,
        quota=150000.0,
    )
    assert list(values) == [f.name for f in dataclasses.fields(TaskSnapshot)]
    built, made = TaskSnapshot.build(**values), TaskSnapshot(**values)  # type: ignore[arg-type]
    assert type(built) is TaskSnapshot
    for name in values:
        assert getattr(built, name) == getattr(made, name) == values[name], name
    assert built == made and hash(built) == hash(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.message = "changed"  # type: ignore[misc]
    short = dict(list(values.items())[:11])  # the defaults are the constructor's
    assert TaskSnapshot.build(**short) == TaskSnapshot(**short)  # type: ignore[arg-type]
    assert TaskSnapshot.build(**short).raw is None
