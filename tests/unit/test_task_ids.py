"""Issue 12 item 2: a task's several ids (relay, Kling, external) name one task.

Lookups by any id (``IdIndex``, ``rm``), the store-level refusal to watch one task twice
under two of its ids, the ids kept across answers, errors and reloads, the ``external``
flag of an entry and the gateway's ``external_id`` setting.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kling_tui.config import ConfigError, load_config
from kling_tui.models import ErrorType, FetchError, Status, TaskSnapshot, WatchEntry
from kling_tui.polling.poller import apply_result
from kling_tui.store.codec import entry_from_table, entry_to_table
from kling_tui.store.ids import IdIndex, carry_ids, same_task_text
from kling_tui.store.watchlist import WatchList, WatchListError, new_entries

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
RELAY_ID = "task_" + "a1B2" * 8
KLING_ID = "866889456698785798"
EXTERNAL = "order-42"


def snap(task_id: str = RELAY_ID, **kw: object) -> TaskSnapshot:
    fields: dict[str, object] = {
        "task_id": task_id,
        "kind": "text2video",
        "status": Status.IN_PROGRESS,
        "status_raw": "IN_PROGRESS",
        "progress": 30.0,
        "videos": (),
        "message": "",
        "external_task_id": EXTERNAL,
        "created_at": T0,
        "updated_at": T0,
        "fetched_at": T0,
        "kling_task_id": KLING_ID,
    }
    fields.update(kw)
    return TaskSnapshot(**fields)  # type: ignore[arg-type]


def watched(task_id: str = RELAY_ID, *, gateway: str = "relay", **kw: object) -> WatchEntry:
    return WatchEntry(task_id=task_id, kind="text2video", gateway=gateway, added_at=T0, **kw)  # type: ignore[arg-type]


def fresh(task_id: str, *, gateway: str = "relay", external: bool = False) -> WatchEntry:
    return new_entries([task_id], kind="text2video", gateway=gateway, now=T0, external=external)[0]


# -- lookups ---------------------------------------------------------------------------------


def test_an_entry_is_found_by_each_of_its_ids() -> None:
    known = watched(snapshot=snap())
    other = watched("866889456698785799")
    index = IdIndex([known, other])
    for task_id in (RELAY_ID, KLING_ID, EXTERNAL, f"  {KLING_ID} "):
        assert index.find(task_id) == [known], task_id
    assert index.find("nope") == []


def test_same_task_only_on_the_same_gateway_and_kind() -> None:
    known = watched(snapshot=snap())
    index = IdIndex([known])
    assert index.same_task(fresh(KLING_ID)) is known
    assert index.same_task(fresh(EXTERNAL, external=True)) is known
    # Another gateway's "order-42" is its caller's free text: another task.
    assert index.same_task(fresh(EXTERNAL, gateway="other", external=True)) is None
    assert index.same_task(replace(fresh(KLING_ID), kind="image2video")) is None
    assert index.same_task(known) is None  # not itself


# -- the store refuses a task twice ----------------------------------------------------------


def test_add_refuses_a_watched_task_under_another_of_its_ids(tmp_path: Path) -> None:
    store = WatchList(tmp_path / "w.toml")
    store.add([fresh(RELAY_ID)])
    [mine] = store.entries
    mine.snapshot = snap()
    store.update([mine])
    result = store.add(
        [fresh(KLING_ID), fresh(EXTERNAL, external=True), fresh("866889456698785799")]
    )
    assert [e.task_id for e in result.added] == ["866889456698785799"]
    assert [e.task_id for e in result.duplicates] == [KLING_ID, EXTERNAL]
    assert [w.task_id for w in result.same_as] == [RELAY_ID, RELAY_ID]
    assert result.refusals() == [
        f"{KLING_ID} is the Kling id of {RELAY_ID} (text2video on relay)",
        f"{EXTERNAL} is the external id of {RELAY_ID} (text2video on relay)",
    ]
    # The refusal survives a restart: the ids are read back from the file.
    again = WatchList(tmp_path / "w.toml")
    again.load()
    assert again.add([fresh(KLING_ID)]).same_as[0].task_id == RELAY_ID
    assert len(again.entries) == 2


def test_add_refuses_an_exact_repeat_and_says_which_task(tmp_path: Path) -> None:
    store = WatchList(tmp_path / "w.toml")
    result = store.add([fresh(KLING_ID), fresh(KLING_ID)])
    assert len(result.added) == 1
    assert result.refusals() == [f"{KLING_ID} (text2video on relay)"]


def test_the_added_id_of_an_external_task_is_refused_as_a_kling_id(tmp_path: Path) -> None:
    """Watched by external id: the answer's own id is Kling's; adding that is refused."""
    store = WatchList(tmp_path / "w.toml")
    store.add([fresh(EXTERNAL, external=True)])
    [mine] = store.entries
    mine.snapshot = snap(KLING_ID, kling_task_id=None)
    store.update([mine])
    result = store.add([fresh(KLING_ID)])
    assert result.added == []
    assert result.refusals() == [f"{KLING_ID} is the Kling id of {EXTERNAL} (text2video on relay)"]


def test_rm_by_any_id_removes_the_task(tmp_path: Path) -> None:
    for task_id in (RELAY_ID, KLING_ID, EXTERNAL):
        store = WatchList(tmp_path / f"{task_id}.toml")
        store.add([fresh(RELAY_ID), fresh("866889456698785799")])
        store.entries[0].snapshot = snap()
        store.update(store.entries[:1])
        removed = store.remove_ids([task_id])
        assert [e.task_id for e in removed] == [RELAY_ID]
        assert [e.task_id for e in store.entries] == ["866889456698785799"]


# -- ids kept --------------------------------------------------------------------------------


def test_an_answer_without_the_ids_keeps_the_known_ones() -> None:
    """A relay answer whose upstream copy is null names neither Kling's id nor the
    external id: the entry still knows them."""
    entry = watched(snapshot=snap())
    apply_result(entry, snap(kling_task_id=None, external_task_id=None, progress=40.0))
    assert entry.snapshot is not None and entry.snapshot.progress == 40.0
    assert entry.known_ids == (RELAY_ID, KLING_ID, EXTERNAL)
    apply_result(entry, FetchError(ErrorType.SERVER, "502", at=T0))
    assert entry.known_ids == (RELAY_ID, KLING_ID, EXTERNAL)


def test_carry_ids_takes_newer_ids_and_adds_nothing_redundant() -> None:
    old = snap()
    assert carry_ids(old, snap(kling_task_id="866889456698785700")).kling_task_id == (
        "866889456698785700"
    )
    # The answer's own id is Kling's (an external lookup): not repeated as kling_task_id.
    assert carry_ids(snap(KLING_ID), snap(KLING_ID, kling_task_id=None)).kling_task_id is None
    new = snap()
    assert carry_ids(None, new) is new
    assert carry_ids(old, new) is new


def test_external_flag_and_answer_id_survive_the_file() -> None:
    entry = watched(EXTERNAL, external=True, snapshot=snap(KLING_ID, kling_task_id=None))
    table = entry_to_table(entry)
    assert table["external"] is True
    assert table["last"]["task_id"] == KLING_ID
    back = entry_from_table(table, index=0)
    assert back.external is True
    assert back.snapshot is not None and back.snapshot.task_id == KLING_ID
    assert back.known_ids == (EXTERNAL, KLING_ID)
    plain = entry_to_table(watched(snapshot=snap(RELAY_ID)))
    assert "external" not in plain and "task_id" not in plain["last"]  # written only when needed


def test_a_bad_external_flag_names_the_task_and_the_choices(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(
        f'version = 1\n[[tasks]]\nid = "{EXTERNAL}"\nkind = "text2video"\n'
        'gateway = "relay"\nexternal = "yes"\n'
    )
    with pytest.raises(WatchListError, match="external must be true or false, got str 'yes'"):
        WatchList(path).load()


# -- the gateway's external_id setting ---------------------------------------------------------


def _config(tmp_path: Path, line: str):  # -> AppConfig
    path = tmp_path / "config.toml"
    path.write_text(f'[gateways.r]\nbase_url = "https://r.example"\n{line}\n')
    path.chmod(0o600)
    return load_config(config_flag=str(path), env={})


def test_external_id_setting_defaults_to_path_and_takes_query(tmp_path: Path) -> None:
    assert _config(tmp_path, "").gateway("r").external_id == "path"
    assert _config(tmp_path, 'external_id = "query"').gateway("r").external_id == "query"


def test_a_bad_external_id_setting_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _config(tmp_path, 'external_id = "header"')
    text = str(caught.value)
    assert "gateways.r.external_id" in text
    assert '"path"' in text and '"query"' in text  # the value is shown as far as it is safe


def test_same_task_text_words_each_role() -> None:
    known = watched(snapshot=snap())
    assert same_task_text(RELAY_ID, known) == f"{RELAY_ID} (text2video on relay)"
    assert same_task_text(KLING_ID, known).startswith(f"{KLING_ID} is the Kling id of")
    assert "external id" in same_task_text(EXTERNAL, known)


def test_known_ids_fast_path_gives_what_the_general_rule_gives() -> None:
    """``known_ids`` answers a listed native task (its own id, nothing else) without the
    general loop: the same tuple in every case around that shortcut."""
    from kling_tui.models import known_ids

    bare = {"kling_task_id": None, "external_task_id": None}
    assert known_ids(KLING_ID, None) == (KLING_ID,)
    assert known_ids(KLING_ID, snap(KLING_ID, **bare)) == (KLING_ID,)
    assert known_ids(KLING_ID, snap(KLING_ID, **{**bare, "kling_task_id": ""})) == (KLING_ID,)
    assert known_ids(RELAY_ID, snap(RELAY_ID, external_task_id=None)) == (RELAY_ID, KLING_ID)
    assert known_ids(EXTERNAL, snap(KLING_ID, kling_task_id=None)) == (EXTERNAL, KLING_ID)
    assert known_ids(KLING_ID, snap(KLING_ID, kling_task_id=None)) == (KLING_ID, EXTERNAL)
    assert known_ids(EXTERNAL, snap(KLING_ID, **bare)) == (EXTERNAL, KLING_ID)
    assert known_ids(RELAY_ID, snap()) == (RELAY_ID, KLING_ID, EXTERNAL)


def test_index_add_keeps_one_entry_per_id_and_each_entry_once() -> None:
    first = WatchEntry(KLING_ID, "text2video", "native", T0)
    second = WatchEntry(KLING_ID, "image2video", "native", T0)
    index = IdIndex([first])
    index.add(first)  # again: not listed twice
    index.add(second)
    assert index.find(KLING_ID) == [first, second]
