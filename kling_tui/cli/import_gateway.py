"""``kling-tui import`` without a file: every task the gateway lists, watched in one go.

    kling-tui import [--gateway NAME] [--kind K... | --all-kinds] [--since 24h|DATE] [--limit N]

The walk is :func:`~kling_tui.importing.harvest.harvest`; what is new and what is merged is
:func:`~kling_tui.importing.plan.plan_import`; both are shared with the dashboard's ``I``.
Progress goes to stderr, the summary line to stdout.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from kling_tui.cli.errors import EXIT_FAILED, EXIT_OK, UsageError
from kling_tui.cli.importing import print_summary
from kling_tui.cli.output import _safe
from kling_tui.cli.resolve import _load_config, _require_tokens, _selected_gateway, _store
from kling_tui.importing.apply import import_from_gateway
from kling_tui.importing.harvest import NothingToList, choose_kinds


async def import_gateway(args: argparse.Namespace, out: TextIO) -> int:
    from kling_tui.gateway.fetcher import Fetcher

    config = _load_config(args)
    gateway = _selected_gateway(args, config)
    try:
        kinds = choose_kinds(gateway, args.kind, args.all_kinds)
    except NothingToList as exc:
        raise UsageError(str(exc)) from None
    if kinds:
        _require_tokens(config, [gateway])
    store = _store(args)

    def progress(text: str) -> None:
        print(_safe(text), file=sys.stderr, flush=True)

    async with Fetcher(config) as fetcher:
        summary = await import_from_gateway(
            fetcher,
            gateway,
            store,
            kinds=kinds,
            since=args.since,
            limit=args.limit,
            progress=progress,
        )
    print_summary(summary, args.json, out, file=False)
    return EXIT_OK if summary.ok else EXIT_FAILED
