"""``TaskKey`` is a named tuple (cheap to build and hash: it is built several times per task
before a start's first frame); it keeps what the frozen dataclass promised."""

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
