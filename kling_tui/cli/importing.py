"""``kling-tui import``: watch many tasks at once, from a file or from the gateway itself.

    kling-tui import FILE | -                  CSV / JSON lines a submission script wrote
    kling-tui import [--gateway NAME] [--kind K... | --all-kinds] [--since 24h|DATE] [--limit N]

Both end in one summary line ("42 new tasks, 3 already watched"; ``--json``: one object).
Exit 0 when everything found was imported, 1 when a row was refused or a page failed (the
rest is imported all the same), 2 for a usage error (nothing imported).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import BinaryIO, TextIO

from kling_tui.cli.errors import EXIT_FAILED, EXIT_OK, UsageError
from kling_tui.cli.output import _json_safe, _safe
from kling_tui.cli.resolve import _load_config, _opt, _selected_gateway, _store
from kling_tui.importing.apply import (
    ImportSummary,
    apply_to_store,
    rows_to_candidates,
    server_of,
)
from kling_tui.importing.plan import plan_import
from kling_tui.importing.rows import MAX_IMPORT_BYTES, ImportFileError, parse_import
from kling_tui.kinds import Kind
from kling_tui.models import utcnow
from kling_tui.store.safe_read import FileRefused, read_regular


def _import(args: argparse.Namespace, out: TextIO) -> int:
    if _opt(args, "base_url"):
        raise UsageError("import works on a configured gateway: use --gateway NAME")
    if args.file is not None:
        if args.all_kinds or args.since is not None or args.limit is not None:
            raise UsageError("--all-kinds, --since and --limit are for the gateway import")
        if args.kind and len(args.kind) > 1:
            raise UsageError("a file import takes one --kind: the kind of rows that name none")
        return _import_file(args, out)
    import asyncio

    from kling_tui.cli.import_gateway import import_gateway

    return asyncio.run(import_gateway(args, out))


def _read_source(name: str, stdin: BinaryIO | TextIO) -> bytes:
    """The file's bytes (``-``: stdin), bounded: a bigger input is refused, not cut."""
    if name == "-":
        raw = stdin.buffer if hasattr(stdin, "buffer") else stdin
        data = raw.read(MAX_IMPORT_BYTES + 1)
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        if len(data) > MAX_IMPORT_BYTES:
            raise UsageError(
                f"standard input is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB: split it"
            )
        return data
    try:
        data, _ = read_regular(Path(name), limit=MAX_IMPORT_BYTES)
    except FileRefused as exc:
        raise UsageError(f"cannot import {name}: {exc.reason}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
    return data


def print_summary(summary: ImportSummary, as_json: bool, out: TextIO, *, file: bool) -> None:
    """Problems on stderr (one line each), the summary line (or JSON object) on ``out``."""
    for problem in summary.problems + summary.failures:
        print(f"kling-tui: import: {_safe(problem)}", file=sys.stderr)
    if as_json:
        print(json.dumps(_json_safe(summary.to_json()), ensure_ascii=False), file=out)
    else:
        print(_safe(summary.line(with_refused=file)), file=out)


def _import_file(args: argparse.Namespace, out: TextIO) -> int:
    config = _load_config(args)
    gateway = _selected_gateway(args, config)
    name = args.file
    try:
        parsed = parse_import(
            _read_source(name, sys.stdin), "standard input" if name == "-" else name
        )
    except ImportFileError as exc:
        raise UsageError(str(exc)) from None
    default_kind = args.kind[0] if args.kind else Kind.TEXT2VIDEO.value
    found, refused = rows_to_candidates(
        parsed.rows,
        default_kind=default_kind,
        default_gateway=gateway.name,
        gateways=config.gateways,
    )
    problems = sorted(parsed.problems + refused, key=lambda p: p.line)
    store = _store(args)
    plan = plan_import(store.entries, found, now=utcnow(), server_of=server_of(config))
    added, _ = apply_to_store(store, plan)
    where = "standard input" if name == "-" else name
    summary = ImportSummary(
        new=added,
        already=plan.already + len(plan.new) - added,
        refused=len(problems),
        problems=[f"{where} {p}" for p in problems],
    )
    print_summary(summary, args.json, out, file=True)
    return EXIT_OK if summary.ok else EXIT_FAILED
