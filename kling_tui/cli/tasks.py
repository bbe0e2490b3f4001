"""The one-shot commands: ``status`` (query now), ``add`` / ``rm`` / ``ls`` (the watch
list) and ``watch --once`` (poll every unfinished task once)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

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
from kling_tui.config import ConfigError, GatewayConfig
from kling_tui.kinds import Kind
from kling_tui.models import FetchError, TaskSnapshot, WatchEntry, snapshot_json, utcnow
from kling_tui.store.errors import WatchListError
from kling_tui.store.ids import IdIndex
from kling_tui.store.watchlist import new_entries

if TYPE_CHECKING:
    from kling_tui.gateway.fetcher import Fetcher


async def _status(args: argparse.Namespace, out: TextIO) -> int:
    from kling_tui.gateway.fetcher import Fetcher

    config = _load_config(args)
    ids = _read_ids(args.ids, sys.stdin)
    if not ids:
        raise UsageError("no task id given")
    found = _watched_by(args, ids)
    # Only ids no watched task is known by need a gateway named (or a default one).
    gateway = None if all(e for _, e in found) else _selected_gateway(args, config)
    results: list[tuple[str, str, TaskSnapshot | None, FetchError | None]] = []
    async with Fetcher(config) as fetcher:
        queries = [_status_query(f, args, gateway, fetcher) for f in found]
        _require_tokens(config, {q.gateway.name: q.gateway for q in queries}.values())
        answers = await asyncio.gather(
            *(
                fetcher.fetch_id(
                    q.task_id, q.kind, q.gateway, timeout=args.timeout, external=q.external
                )
                for q in queries
            )
        )
    for query, result in zip(queries, answers, strict=True):
        if isinstance(result, FetchError):
            results.append((query.asked, query.kind, None, result))
        else:
            results.append((query.asked, query.kind, result, None))
    if args.json:
        for (task_id, kind, snap, err), (_, entry) in zip(results, found, strict=True):
            downloads = (
                {"local_files": entry.local_files, "download_error": entry.download_error}
                if entry is not None
                else {}
            )
            print(_json_line(snapshot_json(task_id, kind, snap, err, **downloads)), file=out)
    else:
        _print_table([_row(t, k, s, e) for t, k, s, e in results], out)
    return EXIT_FAILED if any(e is not None for _, _, _, e in results) else EXIT_OK


@dataclass(frozen=True, slots=True)
class _Query:
    """One ``status`` query: the id as typed, and what is sent for it."""

    asked: str
    task_id: str
    kind: str
    gateway: GatewayConfig
    external: bool


def _watched_by(args: argparse.Namespace, ids: list[str]) -> list[tuple[str, WatchEntry | None]]:
    """Each id with the watched task it names (by any of its ids), if any.

    A task found is queried where and as it is watched (its gateway, kind and the id it was
    added by): ``status KLING_ID`` of a task watched by its relay id asks the relay by the
    relay id. ``--base-url`` names a server outright: nothing is looked up. ``--kind`` and
    ``--gateway`` narrow the lookup. A watch list that cannot be read is no reason for
    ``status`` to fail: the ids are then queried as given.
    """
    if _opt(args, "base_url") is not None:
        return [(i, None) for i in ids]
    try:
        index = IdIndex(_store(args).entries)
    except WatchListError:
        return [(i, None) for i in ids]
    wanted_gateway = _opt(args, "gateway")
    found: list[tuple[str, WatchEntry | None]] = []
    for task_id in ids:
        matches = [
            e
            for e in index.find(task_id)
            if (args.kind is None or e.kind == args.kind)
            and (wanted_gateway is None or e.gateway == wanted_gateway)
        ]
        found.append((task_id, matches[0] if matches else None))
    return found


def _status_query(
    found: tuple[str, WatchEntry | None],
    args: argparse.Namespace,
    gateway: GatewayConfig | None,
    fetcher: Fetcher,
) -> _Query:
    asked, entry = found
    if entry is not None:
        with contextlib.suppress(ConfigError):  # its gateway left the config: ask as typed
            where = fetcher.gateway_for(entry)
            return _Query(asked, entry.task_id, entry.kind, where, entry.external)
    if gateway is None:
        gateway = _selected_gateway(args, fetcher.config)
    kind = args.kind or Kind.TEXT2VIDEO.value
    return _Query(asked, asked, kind, gateway, bool(args.external))


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
        external=args.external,
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
        what = "external id " if e.external else ""
        print(_safe(f"added {what}{e.task_id} ({e.kind} on {e.gateway})"), file=out)
    for refusal in result.refusals():
        print(_safe(f"already watched: {refusal}"), file=out)
    if not args.external:  # external ids are the caller's free text: no form to check
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
    gone = {i for e in removed for i in e.known_ids}
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

    def notice(event: object) -> None:  # e.g. two entries found to be one task
        from kling_tui.polling.poller import Notice

        if isinstance(event, Notice):
            print(f"kling-tui: {_safe(event.message)}", file=sys.stderr)

    poller.subscribe(notice)
    try:
        polled = await poller.poll_once()
    finally:
        await fetcher.aclose()
    _emit_all(polled, args.json, out)
    if not polled and not args.json:
        print("no unfinished task to poll", file=out)
    return EXIT_FAILED if any(e.last_error is not None for e in polled) else EXIT_OK
