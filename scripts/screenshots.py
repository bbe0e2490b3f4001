"""Make the README's SVG screenshots from the demo: ``python scripts/screenshots.py [NAME...]``.

The demo's simulated tasks run on a clock this script moves by hand, so every picture
shows the same mix of states whatever the machine's speed: some queued, some rendering,
some done, some failed (one with hostile server text shown literally), one unknown id.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from kling_tui.gateway.fetcher import Fetcher
from kling_tui.polling.poller import Poller
from kling_tui.polling.schedule import PollPolicy
from kling_tui.sim.demo import demo_session
from kling_tui.ui.app import KlingApp

OUT = Path(__file__).resolve().parent.parent / "screenshots"


class HandClock:
    """Simulated seconds that move only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def settle(app: KlingApp, pilot, seconds: float = 0.6) -> None:  # type: ignore[no-untyped-def]
    """Let in-flight polls land and the table repaint."""
    await asyncio.sleep(seconds)
    await pilot.pause()


async def shoot(name: str, size: tuple[int, int], theme: str | None, steps) -> None:  # type: ignore[no-untyped-def]
    clock = HandClock()
    with demo_session(clock=clock) as demo:
        poller = Poller(
            demo.store,
            Fetcher(demo.config),
            PollPolicy(interval=0.2, max_interval=0.5, submitted_grace=60.0),
        )
        app = KlingApp(poller, demo.config, theme=theme, demo_note=demo.note, close_fetcher=True)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            clock.now = 16.5  # a moment when every kind of state is on screen
            poller.refresh(None)
            await settle(app, pilot, 1.0)
            for step in steps:
                await step(pilot)
                await settle(app, pilot, 0.4)
            path = app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
            print(path)
            await app.shutdown_poller()  # save and stop before the demo's directory goes


async def select_failed(pilot) -> None:  # type: ignore[no-untyped-def]
    """Move the cursor to the task whose failure reason is hostile text (the 5th)."""
    for _ in range(4):
        await pilot.press("down")
    await pilot.pause()


async def open_add_with_error(pilot) -> None:  # type: ignore[no-untyped-def]
    """The add dialog after pasting one good and two bad ids and pressing ctrl+s."""
    await pilot.press("a", *"866889456698785798, bad/id ..", "ctrl+s")


async def downloading(pilot) -> None:  # type: ignore[no-untyped-def]
    """The first finished task at 42 % of its download, the next one queued: reported
    straight into the table's board (the picture must not depend on download speed)."""
    from kling_tui.downloads.manager import DownloadProgress
    from kling_tui.models import Status

    app = pilot.app
    done = [e for e in app.table.all_entries() if e.status is Status.SUCCEEDED]
    folder = "~/Videos/kling-tui"
    for entry, state in zip(done, ("running", "queued"), strict=False):
        path = f"{folder}/{entry.label or 'task'}-{entry.task_id}-1.mp4"
        app.table.downloads.report(
            DownloadProgress(entry.key, 1, "video", path, 42 << 18, 100 << 18, state)
        )
    app._flush_downloads()
    if done:
        app.table.select_key(str(done[0].key))
    await pilot.pause()


async def open_costs(pilot) -> None:  # type: ignore[no-untyped-def]
    """The Costs screen, once the demo account's packs have been read."""
    await pilot.press("dollar_sign")
    for _ in range(50):  # the packs are read in a worker (the poll loop is one too)
        packs = pilot.app._packs
        if packs is not None and packs.reports:
            break
        await asyncio.sleep(0.1)
    await pilot.pause()


async def open_stats(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("percent_sign")
    await pilot.pause()


SHOTS = {
    "dashboard": ((140, 40), None, [select_failed]),
    "dashboard-80x24": ((80, 24), None, []),
    "dashboard-downloading": ((80, 24), None, [downloading]),
    "light-theme": ((140, 40), "kling-light", []),
    "add-dialog": ((100, 32), None, [open_add_with_error]),
    "costs": ((120, 36), None, [open_costs]),
    "stats": ((140, 40), None, [open_stats]),
}


async def main(names: list[str]) -> int:
    """Every screenshot, or only those named on the command line."""
    OUT.mkdir(exist_ok=True)
    for name, (size, theme, steps) in SHOTS.items():
        if not names or name in names:
            await shoot(name, size, theme, steps)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
