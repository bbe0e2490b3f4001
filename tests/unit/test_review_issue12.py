"""Review of issue 12: hostile items in list pages and task logs, read by the one normalizer."""

from __future__ import annotations

import json

import pytest

from kling_tui.gateway.normalize import normalize_list, normalize_task_log
from kling_tui.gateway.sanitize import clean_text
from kling_tui.importing.rows import parse_import

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("bad", ["../x", "a/b", "x\x1b[2Jy", "x\u202ey", "a b", "#1", "?p=1"])
def test_a_listed_id_that_could_not_be_queried_is_unreadable(bad: str) -> None:
    native = {"task_id": bad, "task_status": "processing"}
    good = {"task_id": "860000000000000001", "task_status": "processing"}
    body = json.dumps({"code": 0, "data": [native, good]}).encode()
    page = normalize_list(200, JSON, body, kind="text2video")
    assert [s.task_id for s in page.snapshots] == ["860000000000000001"]
    assert page.unreadable == 1
    record = {"task_id": bad, "status": "IN_PROGRESS", "action": "generate"}
    body = json.dumps({"success": True, "data": {"items": [record]}}).encode()
    log = normalize_task_log(200, JSON, body)
    assert log.snapshots == () and log.unreadable == 1


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85"])
def test_a_json_line_whose_label_holds_a_unicode_line_separator_is_one_row(sep: str) -> None:
    """JSON allows U+2028 / U+2029 / U+0085 raw inside a string (json.dumps with
    ensure_ascii=False writes them so); str.splitlines breaks the row there."""
    row = json.dumps({"task_id": "860000000000000001", "label": f"a{sep}b"}, ensure_ascii=False)
    data = (row + "\r\n" + '{"task_id": "860000000000000002"}\n').encode()
    parsed = parse_import(data)
    assert parsed.problems == []
    assert [(r.line, r.task_id) for r in parsed.rows] == [
        (1, "860000000000000001"),
        (2, "860000000000000002"),
    ]
    assert parsed.rows[0].label == "a" + clean_text(sep) + "b"  # shown escaped
