"""Review of ``store/codec_write.py`` after ``_put`` / ``_keep_unknown`` / ``_utc_or_none``:
every table is the one the code before them wrote (03cb39f): the same keys, in the same
order, with the same values, unknown keys of a hand-edited file (entry, ``last``, ``error``)
kept after the known ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kling_tui.models import (
    ErrorType,
    FetchError,
    Image,
    LocalFile,
    Status,
    TaskSnapshot,
    Video,
    WatchEntry,
)
from kling_tui.store.codec import check_new_entry
from kling_tui.store.codec_write import entry_to_table
from tests.support.history import module_at


@pytest.fixture(scope="module")
def before() -> ModuleType:
    """``codec_write.py`` as it was before the helpers (from git)."""
    return module_at("03cb39f", "kling_tui/store/codec_write.py", "codec_write_before")


PARIS = timezone(timedelta(hours=2))
times = st.sampled_from([None, datetime(2026, 1, 2, 3, 4, 5, tzinfo=PARIS),
                         datetime(2026, 1, 2, tzinfo=UTC)])  # fmt: skip
maybe = st.sampled_from([None, "x", "[bold]y[/]", ""])
videos = st.builds(Video, maybe, maybe, st.sampled_from([None, 0.0, 5.1]), maybe)
# ``status_raw`` and ``message`` were always written, even a wrong None (which the loader
# then refuses, so ``check_new_entry`` refuses the entry).
odd_text = st.sampled_from(["w", "", "m", "  ", "SUCCEED", "ünï \x1b[31m\n", "[bold]y[/]", None])
unknown = st.sampled_from([
    None, {}, {"status": "shadowed", "zz": 1, "nested": {"a": [1, 2]}},
    {"message": "known: not kept", "new_key": "kept"},
    "not a table",
])  # fmt: skip


@st.composite
def entries(draw: st.DrawFn) -> WatchEntry:
    fetched = datetime(2026, 1, 3, tzinfo=UTC)
    snap = None
    if draw(st.booleans()):
        snap = TaskSnapshot(
            task_id=draw(st.sampled_from(["1234567890123456789", "task_other"])),
            kind="text2video",
            status=draw(st.sampled_from(list(Status))),
            status_raw=draw(odd_text),
            progress=draw(st.sampled_from([None, 0.0, 50.0])),
            videos=tuple(draw(st.lists(videos, max_size=2))),
            message=draw(odd_text),
            external_task_id=draw(maybe),
            created_at=draw(times),
            updated_at=draw(times),
            fetched_at=fetched,
            images=tuple(
                draw(
                    st.lists(
                        st.builds(Image, st.sampled_from([None, 0, 3]), maybe, maybe), max_size=2
                    )
                )
            ),
            parent_video=draw(st.one_of(st.none(), videos)),
            final_unit_deduction=draw(st.sampled_from([None, 0.0, 2.5])),
            kling_task_id=draw(maybe),
            model=draw(maybe),
            progress_synthetic=draw(st.booleans()),
            expires_at=draw(times),
            quota=draw(st.sampled_from([None, 0.0, 1e5])),
        )
    error = None
    if draw(st.booleans()):
        error = FetchError(
            draw(st.sampled_from(list(ErrorType))), "boom",
            draw(st.sampled_from([None, 500])), draw(maybe),
            draw(st.sampled_from([None, 1.5])), fetched,
        )  # fmt: skip
    extra: dict = {}
    if draw(st.booleans()):
        extra = {"priority": 3, "id": "shadowed", "zz": {"k": "v"}}
    last_extra, error_extra = draw(unknown), draw(unknown)
    if last_extra is not None:
        extra["last"] = last_extra
    if error_extra is not None:
        extra["error"] = error_extra
    return WatchEntry(
        task_id="1234567890123456789",
        kind="text2video",
        gateway="relay",
        added_at=datetime(2026, 1, 1, tzinfo=PARIS),
        label=draw(maybe),
        base_url=draw(st.sampled_from([None, "https://u:p@h.example/x", "https://h.example"])),
        path_prefix=draw(st.sampled_from([None, "/kling"])),
        snapshot=snap,
        last_checked=fetched,
        last_error=error,
        extra=extra,
        state_since=draw(times),
        external=draw(st.booleans()),
        local_files=tuple(
            draw(
                st.lists(
                    st.just(
                        LocalFile(
                            "/tmp/a.mp4", 3, "0" * 64, "https://u:p@cdn.example/a", 1, "video"
                        )
                    ),
                    max_size=1,
                )
            )
        ),
        download_error=draw(maybe),
    )


@settings(max_examples=300, deadline=None)
@given(entry=entries())
def test_every_table_is_the_one_written_before(before: ModuleType, entry: WatchEntry) -> None:
    new, old = entry_to_table(entry), before.entry_to_table(entry)
    assert new == old
    assert list(new) == list(old)  # the same keys in the same order, nested too
    for key in ("last", "error"):
        if key in old:
            assert list(new[key]) == list(old[key])
            for n, o in zip(new[key].get("videos", []), old[key].get("videos", []), strict=True):
                assert list(n) == list(o)
            for n, o in zip(new[key].get("images", []), old[key].get("images", []), strict=True):
                assert list(n) == list(o)


def test_unknown_keys_of_a_hand_edit_follow_the_known_ones() -> None:
    fetched = datetime(2026, 1, 3, tzinfo=UTC)
    snap = TaskSnapshot("1234567890123456789", "text2video", Status.IN_PROGRESS, "w", None,
                        (), "", None, None, None, fetched)  # fmt: skip
    entry = WatchEntry(
        task_id="1234567890123456789", kind="text2video", gateway="relay",
        added_at=fetched, snapshot=snap,
        last_error=FetchError(ErrorType.TIMEOUT, "t", at=fetched),
        extra={"mine": 1, "last": {"seen_by": "me", "status": "old"},
               "error": {"note": "n", "type": "x"}},
    )  # fmt: skip
    table = entry_to_table(entry)
    assert list(table)[-3:] == ["mine", "last", "error"]
    assert list(table["last"])[-1] == "seen_by" and table["last"]["status"] == "in_progress"
    assert list(table["error"])[-1] == "note" and table["error"]["type"] == "timeout"


@pytest.mark.parametrize("field", ["status_raw", "message"])
def test_a_snapshot_without_its_text_is_refused_as_before(before: ModuleType, field: str) -> None:
    """``status_raw`` and ``message`` are always written: a None one (a caller's mistake)
    reaches the loader, which refuses it, so ``add``/``restore`` refuse the entry instead
    of keeping a snapshot whose text is None in memory and writing a file without it."""
    fetched = datetime(2026, 1, 3, tzinfo=UTC)
    snap = TaskSnapshot.bare("1234567890123456789", "text2video", Status.SUCCEEDED, fetched)
    object.__setattr__(snap, field, None)
    entry = WatchEntry("1234567890123456789", "text2video", "relay", fetched, snapshot=snap)
    table = entry_to_table(entry)
    assert table["last"] == before.entry_to_table(entry)["last"]
    assert field in table["last"]
    with pytest.raises(ValueError, match=f"last.{field} must be a string"):
        check_new_entry(entry)
