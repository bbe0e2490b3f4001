"""``body_cannot_leak``: the list page's shortcut past 500 secret scans, and its limits."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from kling_tui.gateway.normalize import normalize_list
from kling_tui.gateway.scrub import body_cannot_leak, scrub_result

SECRET = "sk-live-0123456789abcdef"


def page(message: str) -> bytes:
    item = {"task_id": "860000000000000001", "task_status": "failed", "task_status_msg": message}
    return json.dumps({"code": 0, "data": [item]}).encode()


def test_a_plain_ascii_page_without_the_secret_needs_no_scan() -> None:
    assert body_cannot_leak(page("render failed"), [SECRET])
    assert body_cannot_leak(page("render failed"), ["abc"])  # too short to be searched for


def test_anything_that_could_make_or_hide_a_secret_is_scanned() -> None:
    assert not body_cannot_leak(page(f"echo Bearer {SECRET}"), [SECRET])
    assert not body_cannot_leak(page(f"cut at {SECRET[:4]}"), [SECRET])  # its start, cut
    escaped = json.dumps({"code": 0, "data": [{"m": "s\\u006b-live"}]}).encode()
    assert not body_cannot_leak(escaped, [SECRET])  # a JSON escape builds characters
    assert not body_cannot_leak(page("x").replace(b"x", b"\x7f"), [SECRET])  # DEL: escaped
    assert not body_cannot_leak("ünïcode".encode(), [SECRET])  # bidi, zero width...


@given(st.text(max_size=60), st.sampled_from([SECRET, "tok_ABCDEFGH", "u202e-secret"]))
def test_property_when_it_says_no_leak_no_snapshot_holds_the_secret(
    message: str, secret: str
) -> None:
    body = json.dumps({"code": 0, "data": [{"task_id": "8601", "task_status": "failed",
                                              "task_status_msg": message}]},
                      ensure_ascii=False).encode("utf-8", "surrogatepass")  # fmt: skip
    listed = normalize_list(200, {}, body, kind="text2video")
    if not body_cannot_leak(body, [secret]):
        return
    for snap in listed.snapshots:
        assert scrub_result(snap, [secret]) is snap  # nothing the scan would have changed
