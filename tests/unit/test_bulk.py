"""collector_paused: the collector is off inside and back to what it was after."""

from __future__ import annotations

import gc

import pytest

from kling_tui.bulk import collector_paused


def test_the_collector_is_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause found it off and leaves it off
    assert gc.isenabled()


def test_it_is_restored_when_the_build_fails() -> None:
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("bad entry")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_big_build_is_frozen_at_its_end_and_a_small_one_is_not() -> None:
    """What a bulk build leaves (10,000 loaded tasks) is moved out of the collector's
    passes, so the young collections after the pause do not walk it all again before the
    first frame; a small build is left to the collector as usual."""
    from kling_tui.bulk import FREEZE_AFTER

    gc.collect()
    before = gc.get_freeze_count()
    try:
        with collector_paused():
            small = [[i] for i in range(100)]
        assert gc.get_freeze_count() == before
        assert any(o is small for o in gc.get_objects())
        with collector_paused():
            big = [[i] for i in range(FREEZE_AFTER)]
        assert gc.get_freeze_count() >= before + FREEZE_AFTER
        assert not any(o is big for o in gc.get_objects())
        assert big[-1] == [FREEZE_AFTER - 1]  # frozen objects are alive and usable
    finally:
        gc.unfreeze()
