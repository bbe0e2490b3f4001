"""A list-page server in memory for the import tests (no network), and the listed tasks it
serves: ``tests/unit/test_import_pages.py`` and ``test_review_streamed_import.py``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from kling_tui.config import AppConfig, GatewayConfig
from kling_tui.gateway.normalize import ListPage
from kling_tui.models import Status, TaskSnapshot

T0 = datetime(2026, 6, 1, tzinfo=UTC)
GATEWAY = GatewayConfig(
    name="native", base_url="https://api.example", path_prefix="/v1", credential=None
)
KINDS = ["text2video", "image2video"]


def snap(kind: str, n: int, external: str | None = None) -> TaskSnapshot:
    """Listed task ``n`` of ``kind`` (newest first: ``n`` minutes old), still rendering."""
    base = 860_000_000_000_000_000 if kind == "text2video" else 870_000_000_000_000_000
    return TaskSnapshot(
        str(base + n), kind, Status.IN_PROGRESS, "processing", 10.0,
        (), "", external, T0 - timedelta(minutes=n), None, T0,
    )  # fmt: skip


class PageLister:
    """Answers ``fetch_page`` as the fetcher does, from ``pages(kind, page_num)``; the first
    of ``KINDS`` answers ``delay`` seconds late, so the other kind's pages come first."""

    def __init__(
        self,
        pages: Callable[[str, int], Sequence[TaskSnapshot]],
        *,
        page_size: int | None = None,
        delay: float = 0.002,
    ) -> None:
        self.pages = pages
        self.page_size = page_size
        self.delay = delay
        self.config = AppConfig(gateways={"native": GATEWAY}, default_gateway="native")

    async def fetch_page(
        self, gateway: GatewayConfig, kind: str, *, page_num: int, page_size: int, **_: Any
    ) -> ListPage:
        await asyncio.sleep(self.delay if kind == KINDS[0] else 0)
        items = tuple(self.pages(kind, page_num))
        return ListPage(kind, page_num, self.page_size or page_size, snapshots=items)
