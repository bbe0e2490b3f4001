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
