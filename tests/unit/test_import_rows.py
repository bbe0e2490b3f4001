"""``kling-tui import FILE``: the file parser (CSV, JSON lines, bad rows, hostile text) and the
plan that tells new tasks from watched ones (duplicates, known ids, newer snapshots)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from kling_tui.importing.apply import ImportSummary, rows_to_candidates
from kling_tui.importing.plan import Candidate, is_newer, plan_import
from kling_tui.importing.rows import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_LINES,
    ImportFileError,
    ImportRow,
    parse_import,
)
from kling_tui.importing.since import SinceError, parse_since
from kling_tui.models import Status, TaskSnapshot, WatchEntry

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
ID1, ID2, ID3 = "866889456698785798", "866889456698785799", "866889456698785700"


def test_csv_rows_with_kinds_in_any_spelling_gateway_and_label() -> None:
    data = (
        "task_id,kind,gateway,label,extra\n"
        f"{ID1},i2v,relay,shot 1,x\n"
        f"{ID2},images/generations,,,\n"
        f'{ID3},Lip-Sync,native,"a, b",\n'
    ).encode()
    parsed = parse_import(data)
    assert parsed.format == "csv" and parsed.problems == []
    assert parsed.rows == [
        ImportRow(2, ID1, False, "image2video", "relay", "shot 1"),
        ImportRow(3, ID2, False, "image-generations", None, None),
        ImportRow(4, ID3, False, "advanced-lip-sync", "native", "a, b"),
    ]


def test_jsonl_rows_integer_ids_stay_exact_and_external_ids_are_marked() -> None:
    data = (
        b'{"task_id": 866889456698785798123, "kind": "t2v"}\n'
        b"\n"
        b'{"external_task_id": "order-17", "label": "client A"}\n'
    )
    parsed = parse_import(data)
    assert parsed.format == "jsonl" and parsed.problems == []
    assert parsed.rows[0] == ImportRow(1, "866889456698785798123", False, "text2video")
    assert parsed.rows[1] == ImportRow(3, "order-17", True, None, None, "client A")


def test_bad_rows_are_reported_with_their_line_and_the_rest_is_kept() -> None:
    data = (
        "task_id,kind\n"
        f"{ID1},t2v\n"
        f"{ID2},warp-drive\n"  # 3: unknown kind
        ",t2v\n"  # 4: no id
        "a/../b,t2v\n"  # 5: refused by the id check
        "\n"  # blank: skipped, not a problem
        f"{ID3},\n"
    ).encode()
    parsed = parse_import(data)
    assert [r.task_id for r in parsed.rows] == [ID1, ID3]
    assert [p.line for p in parsed.problems] == [3, 4, 5]
    assert "unknown kind 'warp-drive'" in parsed.problems[0].message
    assert "t2v, i2v" in parsed.problems[0].message
    assert "no task_id" in parsed.problems[1].message
    assert '".."' in parsed.problems[2].message
    assert str(parsed.problems[1]).startswith("line 4: ")


def test_jsonl_bad_lines() -> None:
    data = b'[1, 2]\n{"task_id": true}\n{"task_id": 1.5e18}\n{"task_id": "x\n' + b"[" * 5000 + b"\n"
    parsed = parse_import(b'{"task_id": "' + ID1.encode() + b'"}\n' + data)
    assert [r.task_id for r in parsed.rows] == [ID1]
    lines = {p.line: p.message for p in parsed.problems}
    assert set(lines) == {2, 3, 4, 5, 6}
    assert "expected a JSON object" in lines[2]
    assert "must be text" in lines[3] and "must be text" in lines[4]
    assert lines[5].startswith("not JSON")


def test_hostile_text_is_refused_in_ids_and_escaped_in_labels() -> None:
    data = (
        "task_id,label\n"
        f"{ID1}\u202e,ok\n"  # a bidi override in the id: refused
        f"{ID2}\x00,nul\n"
        f'{ID3},"\x1b]52;c;ZXZpbA==\x07 [b]bold[/b] \u200b"\n'
    ).encode() + b"866889456698785701,\xff\xfe bytes\n"
    parsed = parse_import(data)
    assert [p.line for p in parsed.problems] == [2, 3]
    assert all("control character" in p.message for p in parsed.problems)
    labels = {r.task_id: r.label for r in parsed.rows}
    assert "\x1b" not in labels[ID3] and "\x07" not in labels[ID3] and "\u200b" not in labels[ID3]
    assert "[b]bold[/b]" in labels[ID3]  # markup-like text stays literal text
    assert labels["866889456698785701"].isprintable()


def test_a_csv_without_an_id_column_is_refused_whole() -> None:
    with pytest.raises(ImportFileError, match="no task_id or external_task_id column"):
        parse_import(b"id,kind\n866889456698785798,t2v\n", "jobs.csv")


def test_size_and_line_caps_refuse_the_whole_file() -> None:
    with pytest.raises(ImportFileError, match="larger than 16 MiB"):
        parse_import(b"x" * (MAX_IMPORT_BYTES + 1))
    with pytest.raises(ImportFileError, match="at most 100,000"):
        parse_import(b"task_id\n" + b"1\n" * MAX_IMPORT_LINES)


def test_empty_file_and_bom() -> None:
    assert parse_import(b"").rows == []
    parsed = parse_import(b"\xef\xbb\xbftask_id\n" + ID1.encode() + b"\n")
    assert [r.task_id for r in parsed.rows] == [ID1]


def _snap(task_id: str, status: Status, updated: datetime, **kw) -> TaskSnapshot:
    return TaskSnapshot(
        task_id=task_id,
        kind="text2video",
        status=status,
        status_raw=status.value,
        progress=None,
        videos=(),
        message="",
        external_task_id=kw.get("external"),
        created_at=T0,
        updated_at=updated,
        fetched_at=kw.get("fetched", updated),
        kling_task_id=kw.get("kling"),
    )


def test_plan_skips_watched_tasks_by_any_known_id_and_repeats_in_the_input() -> None:
    watched = WatchEntry(
        "task_" + "a" * 32,
        "text2video",
        "relay",
        T0,
        snapshot=_snap("task_" + "a" * 32, Status.IN_PROGRESS, T0, kling=ID1),
    )
    found = [
        Candidate(ID1, "text2video", "relay"),  # Kling's id of the watched task
        Candidate(ID2, "text2video", "relay"),
        Candidate(ID2, "text2video", "relay"),  # the same row twice
        Candidate(ID1, "text2video", "native"),  # another gateway: another task
    ]
    plan = plan_import([watched], found, now=T0)
    assert [(e.task_id, e.gateway) for e in plan.new] == [(ID2, "relay"), (ID1, "native")]
    assert plan.already == 2 and plan.merges == []
    assert all(e.added_at == T0 for e in plan.new)


def test_plan_merges_only_a_newer_snapshot_and_never_unfinishes() -> None:
    later = T0 + timedelta(minutes=5)
    entry = WatchEntry(ID1, "text2video", "native", T0, snapshot=_snap(ID1, Status.IN_PROGRESS, T0))
    done = WatchEntry(ID2, "text2video", "native", T0, snapshot=_snap(ID2, Status.SUCCEEDED, T0))
    found = [
        Candidate(ID1, "text2video", "native", snapshot=_snap(ID1, Status.SUCCEEDED, later)),
        Candidate(ID2, "text2video", "native", snapshot=_snap(ID2, Status.IN_PROGRESS, later)),
    ]
    plan = plan_import([entry, done], found, now=later)
    assert plan.new == [] and plan.already == 2
    assert [(e.task_id, s.status) for e, s in plan.merges] == [(ID1, Status.SUCCEEDED)]
    older = _snap(ID1, Status.IN_PROGRESS, T0 - timedelta(minutes=1))
    assert not is_newer(older, entry.snapshot)
    assert is_newer(older, None)


def test_rows_to_candidates_defaults_unknown_gateways_and_external_ids() -> None:
    rows = [
        ImportRow(2, ID1),
        ImportRow(3, ID2, kind="image2video", gateway="native", label="L"),
        ImportRow(4, ID3, gateway="typo"),
        ImportRow(5, "order-1", external=True),
    ]
    found, problems = rows_to_candidates(
        rows, default_kind="text2video", default_gateway="relay", gateways={"relay": 1, "native": 2}
    )
    expected = [Candidate(ID1, "text2video", "relay"), Candidate(ID2, "image2video", "native", "L")]
    refused = [(4, "unknown gateway 'typo' (native, relay)")]
    # the watch list marks an external id: it is imported as one
    expected.append(Candidate("order-1", "text2video", "relay", external=True))
    plan = plan_import([], expected, now=T0)
    assert plan.new[-1].external is True
    assert found == expected
    assert [(p.line, p.message) for p in problems] == refused


def test_summary_line() -> None:
    assert ImportSummary(new=42, already=3).line() == "42 new tasks, 3 already watched"
    assert ImportSummary(new=1, already=0).line(with_refused=True) == (
        "1 new task, 0 already watched, 0 refused"
    )
    assert ImportSummary(failures=["x"]).line() == "0 new tasks, 0 already watched, 1 page failed"


def test_since_ages_and_dates() -> None:
    assert parse_since("24h", now=T0) == T0 - timedelta(hours=24)
    assert parse_since("90m", now=T0) == T0 - timedelta(minutes=90)
    assert parse_since("2026-11-29") == datetime(2026, 11, 29, tzinfo=UTC)
    assert parse_since("2026-11-29T10:00+02:00") == datetime(2026, 11, 29, 8, tzinfo=UTC)
    with pytest.raises(SinceError, match="expects an age"):
        parse_since("yesterday\x1b[2J")


def test_import_file_command_end_to_end(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``kling-tui import FILE``: good rows watched, a repeat counted as already watched, bad
    rows on stderr with their line, hostile text escaped; the summary line and exit 1."""
    import io

    from kling_tui.cli import main
    from kling_tui.store.watchlist import WatchList

    config = tmp_path / "config.toml"
    config.write_text('[gateways.relay]\nbase_url = "https://relay.example"\n')
    config.chmod(0o600)
    watchlist = tmp_path / "watch.toml"
    monkeypatch.setenv("KLING_TUI_CONFIG", str(config))
    monkeypatch.setenv("KLING_TUI_WATCHLIST", str(watchlist))
    jobs = tmp_path / "jobs.csv"
    jobs.write_text(
        "task_id,kind,label\n"
        f"{ID1},i2v,first\n"
        f"{ID1},i2v,again\n"
        "bad id,t2v,x\n"
        f'{ID2},img,"\x1b[2J wipe"\n'
    )
    out = io.StringIO()
    assert main(["import", str(jobs)], out=out) == 1
    assert out.getvalue() == "2 new tasks, 1 already watched, 1 refused\n"
    err = capsys.readouterr().err
    assert f"kling-tui: import: {jobs} line 4: invalid id 'bad id'" in err
    entries = {e.task_id: e for e in WatchList(watchlist).load()}
    assert entries[ID1].kind == "image2video" and entries[ID1].label == "first"
    assert entries[ID2].kind == "image-generations"
    assert "\x1b" not in (entries[ID2].label or "") and "wipe" in (entries[ID2].label or "")
    out = io.StringIO()  # again, from stdin, as JSON: nothing new
    monkeypatch.setattr("sys.stdin", io.StringIO(f'{{"task_id": "{ID1}"}}\n'))
    assert main(["import", "-", "--json"], out=out) == 0
    assert json.loads(out.getvalue())["already_watched"] == 1
