"""The dashboard (and ``--demo``): builds the poller and hands it to the Textual app."""

from __future__ import annotations

import argparse
import os
import signal
from types import FrameType

from kling_tui.cli.resolve import _limits, _load_config, _opt, _policy
from kling_tui.store.watchlist import WatchList, watchlist_path


def _dashboard(args: argparse.Namespace) -> int:
    from kling_tui.gateway.fetcher import Fetcher
    from kling_tui.polling.poller import Poller
    from kling_tui.ui.app import run_app

    if args.demo:
        from kling_tui.sim.demo import demo_session

        # A closed terminal (SIGHUP) or a kill (SIGTERM) must still delete the demo's
        # temporary watch list: end through SystemExit so the ``with`` below cleans up.
        for sig in (signal.SIGHUP, signal.SIGTERM):
            signal.signal(sig, _exit_on_signal)
        with demo_session() as demo:
            poller = Poller(
                demo.store,
                Fetcher(demo.config),
                _policy(demo.config),
                per_gateway_limit=_limits(demo.config),
            )
            return run_app(poller, demo.config, theme=args.theme, demo_note=demo.note)
    config = _load_config(args)
    store = WatchList(watchlist_path(_opt(args, "watchlist"), os.environ))
    store.load()
    poller = Poller(
        store,
        Fetcher(config),
        _policy(config),
        per_gateway_limit=_limits(config),
        entries=store.entries,
    )
    return run_app(poller, config, theme=args.theme)


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
