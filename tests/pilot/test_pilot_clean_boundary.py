"""Text is cleaned where it enters (normalize, the watch-list loader, the add dialog), once.

The UI no longer escapes entry, snapshot or error text a second time: these tests pin that a
label and a message holding ESC, an OSC 52 clipboard write, a bidi override and
``[@click=...]`` markup reach the screen literally (escaped visibly, markup not run).
"""

from __future__ import annotations

from pathlib import Path

from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import Status
from kling_tui.polling.poller import Poller
from kling_tui.store.watchlist import WatchList
from kling_tui.ui.app import KlingApp
from tests.support.ui_fakes import NOW, FakeFetcher, Opener, entry, make_config

LABEL = "a\x1b[31mred \u202eevil [@click=app.quit]x[/]"
MESSAGE = "boom \x1b]52;c;aGk=\x07 \u202eb [@click=app.quit]y[/] oops[/]"
RAW = ("\x1b", "\x07", "\u202e")
KEY = "main:text2video:t-hostile"

WATCHLIST = """\
[[tasks]]
id = "t-hostile"
kind = "text2video"
gateway = "main"
label = "a\\u001b[31mred \\u202eevil [@click=app.quit]x[/]"
added_at = 2025-06-01T11:50:00Z

[tasks.last]
status = "failed"
status_raw = "failed"
message = "boom \\u001b]52;c;aGk=\\u0007 \\u202eb [@click=app.quit]y[/] oops[/]"
fetched_at = 2025-06-01T11:59:50Z
"""


async def _shows_literally(app: KlingApp) -> None:
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        label = app.table.get_cell(KEY, "label")
        assert not any(ch in label.plain for ch in RAW)
        assert label.plain.startswith("a\\x1b[31mred")  # escaped visibly, cut to the column
        assert not label.spans  # no markup ran: one plain run of text
        detail = app.detail.plain_text
        assert clean_text(LABEL) in detail
        assert clean_text(MESSAGE) in detail
        assert "[@click=app.quit]y[/] oops[/]" in detail
        assert not any(ch in detail for ch in RAW)
        await pilot.click("#detail-body")
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_clean_entries_are_shown_literally(make_app) -> None:
    """Entries built from cleaned strings (as normalize and the loader make them)."""
    hostile = entry(
        "t-hostile", Status.FAILED, label=LABEL, message=MESSAGE, added_ago=600, fetched_ago=10
    )
    await _shows_literally(make_app([hostile]))


async def test_a_hand_edited_watch_list_is_shown_literally(tmp_path: Path) -> None:
    """Through the real loader, which cleans what it reads (the UI does not clean again)."""
    path = tmp_path / "watchlist.toml"
    path.write_text(WATCHLIST, encoding="utf-8")
    store = WatchList(path)
    store.load()
    poller = Poller(store, FakeFetcher(), entries=store.entries, save_interval=0.05)
    app = KlingApp(
        poller,
        make_config("main"),
        now=lambda: NOW,
        start_polling=False,
        open_browser=Opener(),
        tick_interval=0,
    )
    await _shows_literally(app)
