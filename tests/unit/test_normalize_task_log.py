"""``normalize_task_log``: a new-api relay's task log page, read by the one normalizer (each
TaskDto as the relay record ``shape_relay`` reads), in both envelopes; and the plan's rule
that a task watched through another gateway of the same server is not added twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from kling_tui.config import AppConfig, GatewayConfig
from kling_tui.gateway.normalize import normalize_task_log
from kling_tui.importing.apply import server_of
from kling_tui.importing.harvest import gateway_to_import
from kling_tui.importing.plan import Candidate, plan_import
from kling_tui.models import ErrorType, Status, WatchEntry

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
JSON = {"content-type": "application/json"}


def record(fixtures: Path) -> dict:  # type: ignore[type-arg]
    rec = json.loads((fixtures / "unified-2026-success-result-url.json").read_text())["data"]
    rec["properties"] = {"input": "", "upstream_model_name": "kling-v2-1-master"}
    rec["quota"] = 150000
    return rec


def page(body: object, status: int = 200):  # type: ignore[no-untyped-def]
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return normalize_task_log(status, JSON, raw, page_size=2, origin="https://relay", now=NOW)


def test_current_and_older_envelopes_read_the_same(fixtures_dir: Path) -> None:
    rec = record(fixtures_dir)
    text = dict(rec, task_id="task_" + "b" * 32, action="textGenerate", status="IN_PROGRESS")
    items = [rec, text]
    current = page({"success": True, "message": "", "data": {"items": items, "total": 9}})
    older = page({"success": True, "message": "", "data": items})
    for got in (current, older):
        assert got.error is None and got.unreadable == 0 and got.full
        done, running = got.snapshots
        assert done.task_id == rec["task_id"] and done.kind == "image2video"
        assert done.status is Status.SUCCEEDED
        assert done.result_urls == ("https://cdn.example.test/kling/866889456698785799.mp4",)
        assert done.model == "kling-v2-1-master"
        assert running.kind == "text2video" and running.status is Status.IN_PROGRESS
        assert running.raw is not None and "textGenerate" in running.raw
    assert current.snapshots == older.snapshots


def test_other_vendors_records_and_garbage_are_skipped_not_fatal(fixtures_dir: Path) -> None:
    rec = record(fixtures_dir)
    items = [dict(rec, action="MUSIC"), "x", {"status": "SUCCESS"}, rec]
    got = page({"success": True, "data": {"items": items}})
    assert [s.task_id for s in got.snapshots] == [rec["task_id"]]
    assert got.unreadable == 3 and got.items == 4


def test_refusals_are_typed_errors_naming_the_token_variable() -> None:
    refused = page({"success": False, "message": "无权进行此操作，未提供 New-Api-User"}, 401)
    assert refused.error is not None and refused.error.type is ErrorType.AUTH
    assert not refused.snapshots
    html = page(b"<html>dashboard</html>")
    assert html.error is not None and html.error.type is ErrorType.BAD_RESPONSE
    odd = page({"success": True, "data": "nope"})
    assert odd.error is not None and "not a task list" in odd.error.message
    empty = page({"success": True, "data": None})
    assert empty.error is None and not empty.full


def _gateway(name: str, base: str, prefix: str, **kw: object) -> GatewayConfig:
    return GatewayConfig(name, base, prefix, None, **kw)  # type: ignore[arg-type]


def test_a_task_watched_on_another_gateway_of_the_same_server_is_not_added_twice() -> None:
    config = AppConfig(
        gateways={
            "relay": _gateway("relay", "https://host.example", "/kling/v1"),
            "native": _gateway("native", "https://host.example", "/v1"),
            "other": _gateway("other", "https://other.example", "/v1"),
        },
        default_gateway="relay",
    )
    watched = [WatchEntry("866889456698785798", "text2video", "relay", NOW)]
    found = [
        Candidate("866889456698785798", "text2video", "native"),
        Candidate("866889456698785798", "text2video", "other"),
    ]
    plan = plan_import(watched, found, now=NOW, server_of=server_of(config))
    assert [e.gateway for e in plan.new] == ["other"] and plan.already == 1
    # without the servers, the gateway name decides (as the store's own key does)
    assert len(plan_import(watched, found, now=NOW).new) == 2
    # the dashboard's I: the default gateway cannot list, the native one can
    assert gateway_to_import(config).name == "native"
    logged = AppConfig(
        gateways={"relay": _gateway("relay", "https://h", "/kling/v1", task_log=True)},
        default_gateway="relay",
    )
    assert gateway_to_import(logged).name == "relay"
