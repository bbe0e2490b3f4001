"""The one-shot commands: ``status`` (query now), ``add`` / ``rm`` / ``ls`` (the watch
list) and ``watch --once`` (poll every unfinished task once)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Iterable
from typing import TextIO

from kling_tui.cli.errors import EXIT_FAILED, EXIT_OK, UsageError
from kling_tui.cli.output import _emit_all, _json_line, _print_table, _row, _safe
from kling_tui.cli.resolve import (
    _load_config,
    _make_poller,
    _opt,
    _read_ids,
    _require_tokens,
    _selected_gateway,
    _store,
    _validated,
)
from kling_tui.config import ConfigError
from kling_tui.models import FetchError, TaskSnapshot, snapshot_json, utcnow
from kling_tui.store.watchlist import new_entries


async def _status(args: argparse.Namespace, out: TextIO) -> int:
    from kling_tui.gateway.fetcher import Fetcher

    config = _load_config(args)
    gateway = _selected_gateway(args, config)
    _require_tokens(config, [gateway])
    ids = _read_ids(args.ids, sys.stdin)
    if not ids:
        raise UsageError("no task id given")
    results: list[tuple[str, TaskSnapshot | None, FetchError | None]] = []
    async with Fetcher(config) as fetcher:
        answers = await asyncio.gather(
            *(fetcher.fetch_id(i, args.kind, gateway, timeout=args.timeout) for i in ids)
        )
    for task_id, result in zip(ids, answers, strict=True):
        if isinstance(result, FetchError):
            results.append((task_id, None, result))
        else:
            results.append((task_id, result, None))
    if args.json:
        for task_id, snap, err in results:
            print(_json_line(snapshot_json(task_id, args.kind, snap, err)), file=out)
    else:
        _print_table([_row(t, args.kind, s, e) for t, s, e in results], out)
    return EXIT_FAILED if any(e is not None for _, _, e in results) else EXIT_OK


def _add(args: argparse.Namespace, out: TextIO) -> int:
    config = _load_config(args)
    gateway = _selected_gateway(args, config)
    ids = _validated(_read_ids(args.ids, sys.stdin), nothing_done="nothing was added")
    if not ids:
        raise UsageError("no task id given")
    now = utcnow()
    adhoc = _opt(args, "base_url") is not None
    entries = new_entries(
        ids,
        kind=args.kind,
        gateway=gateway.name,
        now=now,
        label=args.label,
        base_url=gateway.base_url if adhoc else None,
        path_prefix=gateway.path_prefix if adhoc else None,
    )
    if adhoc:  # typed here, so trusted: the one way a watch-list address earns a token
        from kling_tui.gateway.trust import TrustedOrigins

        try:
            TrustedOrigins().add(gateway.name, gateway.origin)
        except OSError as exc:
            raise UsageError(f"cannot record {gateway.origin} as trusted: {exc}") from None
    store = _store(args)
    result = store.add(entries)
    for e in result.added:
        print(_safe(f"added {e.task_id} ({e.kind} on {e.gateway})"), file=out)
    for e in result.duplicates:
        print(_safe(f"already watched: {e.task_id} ({e.kind} on {e.gateway})"), file=out)
    _warn_unknown_forms(ids)
    return EXIT_OK


def _warn_unknown_forms(ids: Iterable[str]) -> None:
    """The add dialog's warning, on stderr: added all the same (external ids are free text)."""
    from kling_tui.gateway.ids import ID_FORMS_HINT, classify_id

    for task_id in ids:
        if classify_id(task_id) is None:
            print(
                _safe(
                    f"warning: {task_id} matches no Kling or relay id form ({ID_FORMS_HINT});"
                    " added anyway"
                ),
                file=sys.stderr,
            )


def _rm(args: argparse.Namespace, out: TextIO) -> int:
    ids = _read_ids(args.ids, sys.stdin)
    if not ids:
        raise UsageError("no task id given")
    store = _store(args)
    removed = store.remove_ids(ids)
    gone = {e.task_id for e in removed}
    for e in removed:
        print(_safe(f"removed {e.task_id} ({e.kind} on {e.gateway})"), file=out)
    missing = [i for i in ids if i not in gone]
    for i in missing:
        print(f"not in the watch list: {_safe(i)}", file=sys.stderr)
    return EXIT_FAILED if missing else EXIT_OK


def _ls(args: argparse.Namespace, out: TextIO) -> int:
    store = _store(args)
    if not store.entries and not args.json:
        print(_safe(f"the watch list is empty ({store.path})"), file=out)
    _emit_all(store.entries, args.json, out)
    return EXIT_OK


async def _watch(args: argparse.Namespace, out: TextIO) -> int:
    config = _load_config(args)
    store = _store(args)
    poller, fetcher = _make_poller(args, config, store)
    known = []
    for entry in store.entries:
        if not entry.finished:
            with contextlib.suppress(ConfigError):  # reported per task, as a failed query
                known.append(fetcher.gateway_for(entry))
    _require_tokens(config, known)
    try:
        polled = await poller.poll_once()
    finally:
        await fetcher.aclose()
    _emit_all(polled, args.json, out)
    if not polled and not args.json:
        print("no unfinished task to poll", file=out)
    return EXIT_FAILED if any(e.last_error is not None for e in polled) else EXIT_OK
