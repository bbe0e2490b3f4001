"""Test doubles and builders shared by the pilot, snapshot, unit and http suites.

Everything here is deterministic: a fixed "now", canned fetch results, no network, no
browser. The real ``Poller`` and ``WatchList`` are used, with a fake fetcher.

Strings go into entries, snapshots and errors through ``clean_text``, as they do in the app
(normalize cleans server text, the watch-list loader cleans the file's): the UI trusts them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kling_tui.config import AppConfig, GatewayConfig, PollConfig
from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import (
    ErrorType,
    FetchError,
    FetchResult,
    Status,
    TaskSnapshot,
    Video,
    WatchEntry,
)
from kling_tui.polling.poller import Poller
from kling_tui.store.watchlist import WatchList

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
"""The fixed "now" of every test: elapsed / ETA / last-checked texts never move."""


def at(seconds_ago: float) -> datetime:
    return NOW - timedelta(seconds=seconds_ago)


def snapshot(
    task_id: str,
    status: Status = Status.IN_PROGRESS,
    *,
    progress: float | None = None,
    kind: str = "text2video",
    videos: Sequence[Video] = (),
    message: str = "",
    status_raw: str | None = None,
    created_ago: float = 300,
    fetched_ago: float = 10,
    updated_ago: float | None = None,
    raw: str | None = None,
    external_task_id: str | None = None,
) -> TaskSnapshot:
    return TaskSnapshot(
        task_id=task_id,
        kind=kind,
        status=status,
        status_raw=status_raw if status_raw is not None else status.value,
        progress=progress,
        videos=tuple(videos),
        message=clean_text(message),
        external_task_id=external_task_id,
        created_at=at(created_ago),
        updated_at=at(updated_ago if updated_ago is not None else fetched_ago),
        fetched_at=at(fetched_ago),
        raw=raw,
    )


def entry(
    task_id: str,
    status: Status | None = Status.IN_PROGRESS,
    *,
    label: str | None = None,
    gateway: str = "main",
    kind: str = "text2video",
    added_ago: float = 600,
    error: FetchError | None = None,
    **snap: Any,
) -> WatchEntry:
    snap_obj = snapshot(task_id, status, kind=kind, **snap) if status is not None else None
    last_checked = None
    if snap_obj is not None:
        last_checked = snap_obj.fetched_at
    if error is not None:
        last_checked = error.at
    return WatchEntry(
        task_id=task_id,
        kind=kind,
        gateway=gateway,
        added_at=at(added_ago),
        label=clean_text(label) if label is not None else None,
        snapshot=snap_obj,
        last_checked=last_checked,
        last_error=error,
    )


def fetch_error(
    kind: ErrorType = ErrorType.TIMEOUT,
    message: str = "gateway did not answer within 10 s",
    *,
    ago: float = 5,
    status_code: int | None = None,
    code: str | None = None,
) -> FetchError:
    return FetchError(kind, clean_text(message), status_code=status_code, code=code, at=at(ago))


def mixed_entries() -> list[WatchEntry]:
    """One task per interesting state, with fixed times."""
    video = Video("v1", "https://cdn.example.com/videos/sunrise.mp4", 5.0)
    return [
        entry("task-submitted-0001", Status.SUBMITTED, label="queued clip", added_ago=900),
        entry(
            "task-running-0002",
            Status.IN_PROGRESS,
            progress=42.0,
            label="city at night",
            added_ago=800,
        ),
        entry(
            "task-done-0003",
            Status.SUCCEEDED,
            progress=100.0,
            label="sunrise",
            videos=[video],
            created_ago=700,
            updated_ago=400,
            added_ago=700,
        ),
        entry(
            "task-failed-0004",
            Status.FAILED,
            label="dragon",
            message="content moderation: [@click=app.quit]x[/] oops[/]",
            added_ago=600,
        ),
        entry(
            "task-stale-0005",
            Status.IN_PROGRESS,
            progress=70.0,
            label="stale one",
            error=fetch_error(),
            added_ago=500,
        ),
        entry(
            "task-error-0006",
            None,
            label="never answered",
            error=fetch_error(ErrorType.NOT_FOUND, "task not found on main", status_code=404),
            added_ago=400,
        ),
    ]


class FakeFetcher:
    """Returns canned results per task id (a list is consumed in order; the last repeats)."""

    def __init__(self, results: dict[str, FetchResult | list[FetchResult]] | None = None) -> None:
        self.results: dict[str, list[FetchResult]] = {
            k: list(v) if isinstance(v, list) else [v] for k, v in (results or {}).items()
        }
        self.calls: list[str] = []
        self.closed = False
        self.default: Callable[[WatchEntry], FetchResult] | None = None

    async def fetch(self, entry: WatchEntry) -> FetchResult:
        self.calls.append(entry.task_id)
        await asyncio.sleep(0)
        queue = self.results.get(entry.task_id)
        if queue:
            return queue.pop(0) if len(queue) > 1 else queue[0]
        if self.default is not None:
            return self.default(entry)
        return fetch_error(ErrorType.NETWORK, "no canned answer")

    async def aclose(self) -> None:
        self.closed = True


def make_config(
    *gateways: str,
    path: Path | None = None,
    bell: bool = False,
    theme: str | None = None,
) -> AppConfig:
    names = gateways or ("main",)
    return AppConfig(
        gateways={
            name: GatewayConfig(
                name=name,
                base_url=f"https://{name}.gateway.example",
                path_prefix="",
                credential=None,
            )
            for name in names
        },
        default_gateway=names[0],
        poll=PollConfig(interval=5.0, max_interval=60.0, bell=bell),
        theme=theme,
        path=path,
    )


def make_poller(
    tmp_path: Path,
    entries: Iterable[WatchEntry] = (),
    fetcher: FakeFetcher | None = None,
) -> Poller:
    store = WatchList(tmp_path / "watchlist.toml")
    store.load()
    given = list(entries)
    if given:
        store.add(given)
    return Poller(store, fetcher or FakeFetcher(), entries=store.entries, save_interval=0.05)


class Opener:
    """Stands in for ``webbrowser.open``: records URLs, returns or raises as told."""

    def __init__(self, result: bool | BaseException = True) -> None:
        self.result = result
        self.urls: list[str] = []

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


async def wait_for(pilot: Any, condition: Callable[[], bool], timeout: float = 3.0) -> None:
    """Let the app run until ``condition()`` holds (poll results arrive asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)
