"""Command line: the dashboard, the demo, and headless commands for scripts.

    kling-tui [--demo] [--theme NAME]             the dashboard
    kling-tui status [--json] ID...               query tasks now, no watch list involved
    kling-tui add | rm | ls                       edit / show the watch list
    kling-tui watch --once [--json]               poll every unfinished task once, save, print
    kling-tui wait [--timeout S] [--json] [ID...] block until tasks finish (exit 0/1/3)

Exit status: 0 success, 1 a fetch or a task failed, 2 usage or configuration error,
3 ``wait`` timed out. Everything here composes the core modules; nothing parses HTTP or TOML.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import NoReturn, TextIO

from kling_tui import __version__
from kling_tui.config import ADHOC_GATEWAY, AppConfig, ConfigError, GatewayConfig, load_config
from kling_tui.gateway.ids import InvalidTaskId, split_ids, validate_task_id
from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import (
    FetchError,
    Kind,
    Status,
    TaskKey,
    TaskSnapshot,
    WatchEntry,
    snapshot_json,
    utcnow,
)
from kling_tui.store.watchlist import WatchList, WatchListError, new_entries, watchlist_path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_TIMEOUT = 0, 1, 2, 3
OUTPUT_LIMIT = 10_000
"""Cap of one printed field (a message is at most a few KiB; a URL 4 KiB)."""
KINDS = [k.value for k in Kind]
WAIT_TIMEOUT_MAX = 86400.0
"""``wait --timeout``: at most a day; a longer wait is a job for the dashboard."""
STATUS_TIMEOUT_MAX = 600.0
"""``status --timeout`` bounds one query, retries included: ten minutes is plenty."""


class UsageError(Exception):
    """A mistake in how the command was called: exit status 2 with the message."""


# -- argument parsing ----------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser) -> None:
    """Options every command takes, so they can go before or after the command name."""
    g = parser.add_argument_group("where")
    g.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="config file (default: $KLING_TUI_CONFIG, then the user config dir)",
    )
    g.add_argument(
        "--watchlist",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="watch list file (default: $KLING_TUI_WATCHLIST, then the user data dir)",
    )
    g.add_argument(
        "--gateway", metavar="NAME", default=argparse.SUPPRESS, help="gateway name from the config"
    )
    g.add_argument(
        "--base-url",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="ad-hoc gateway base URL (token from $KLING_API_KEY)",
    )
    g.add_argument(
        "--path-prefix",
        metavar="P",
        default=argparse.SUPPRESS,
        help="path prefix for --base-url: /kling/v1 (relays, default) or /v1 (native)",
    )


def _seconds(maximum: float) -> Callable[[str], float]:
    """An argparse type: seconds, greater than 0 and at most ``maximum`` (no nan, no inf).

    ``--timeout 0`` or ``-1`` used to be taken and reported as "within -1 s"."""

    def seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not 0 < value <= maximum:
            raise argparse.ArgumentTypeError(
                f"expected seconds greater than 0 and at most {maximum:g}, got {text!r}"
            )
        return value

    return seconds


class _Parser(argparse.ArgumentParser):
    """argparse repeats what it did not understand (``unrecognized arguments: ...``) as it
    was typed: an argument pasted from a server's text must not put an escape on screen."""

    def error(self, message: str) -> NoReturn:
        super().error(clean_text(message, OUTPUT_LIMIT))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kling-tui",
        description="Watch Kling video-generation tasks: a dashboard and scriptable commands.",
    )
    parser.add_argument("--version", action="version", version=f"kling-tui {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start an embedded demo gateway with demo tasks (no account needed)",
    )
    parser.add_argument("--theme", metavar="NAME", help="colour theme (remembered in the config)")
    _common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("status", help="query tasks now and print their status")
    _common(p)
    p.add_argument("--kind", choices=KINDS, default=Kind.TEXT2VIDEO.value)
    p.add_argument(
        "--timeout",
        type=_seconds(STATUS_TIMEOUT_MAX),
        metavar="SECONDS",
        help=f"bound on each query, retries included (0 < S <= {STATUS_TIMEOUT_MAX:g})",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("ids", nargs="+", metavar="ID")

    p = sub.add_parser("add", help="add task ids to the watch list ('-' reads stdin)")
    _common(p)
    p.add_argument("--kind", choices=KINDS, default=Kind.TEXT2VIDEO.value)
    p.add_argument("--label", metavar="TEXT")
    p.add_argument("ids", nargs="+", metavar="ID")

    p = sub.add_parser("rm", help="remove task ids from the watch list")
    _common(p)
    p.add_argument("ids", nargs="+", metavar="ID")

    p = sub.add_parser("ls", help="show the watch list's last known state (no network)")
    _common(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("watch", help="poll every unfinished task once, save and print")
    _common(p)
    p.add_argument(
        "--once",
        action="store_true",
        required=True,
        help="poll once and exit (the live view is the dashboard)",
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser(
        "wait", help="poll until tasks finish: exit 0 all succeeded, 1 any failed, 3 timeout"
    )
    _common(p)
    p.add_argument(
        "--timeout",
        type=_seconds(WAIT_TIMEOUT_MAX),
        metavar="SECONDS",
        help=f"bound on the whole command (0 < S <= {WAIT_TIMEOUT_MAX:g}); exit 3 when it passes",
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("ids", nargs="*", metavar="ID")
    return parser


# -- shared helpers ------------------------------------------------------------------------


def _opt(args: argparse.Namespace, name: str) -> str | None:
    return getattr(args, name, None)


def _load_config(args: argparse.Namespace) -> AppConfig:
    return load_config(
        config_flag=_opt(args, "config"),
        env=os.environ,
        gateway=_opt(args, "gateway"),
        base_url=_opt(args, "base_url"),
        path_prefix=_opt(args, "path_prefix"),
    )


def _selected_gateway(args: argparse.Namespace, config: AppConfig) -> GatewayConfig:
    return config.gateway(_opt(args, "gateway") if not _opt(args, "base_url") else None)


def _require_tokens(config: AppConfig, gateways: Iterable[GatewayConfig]) -> None:
    """A gateway without its token is a configuration error (exit 2), found before any
    query: every query would fail the same way, and a script should tell it from a failed
    task (exit 1)."""
    for gw in gateways:
        if gw.credential is not None:
            continue
        text = f"no token for {gw.origin}: set {gw.auth_hint}"
        if gw.name == ADHOC_GATEWAY:
            text += f" (export {gw.auth_hint}=...)" if "/" not in gw.auth_hint else ""
        else:
            where = f" in {config.path}" if config.path else ""
            text += (
                f" (gateway {gw.name!r}{where}: token_env / access_key_env name the"
                " variables, or put the token in the file and chmod 600 it)"
            )
        raise UsageError(text)


def _store(args: argparse.Namespace) -> WatchList:
    store = WatchList(watchlist_path(_opt(args, "watchlist"), os.environ))
    store.load()
    return store


def _read_ids(raw: Sequence[str], stdin: TextIO) -> list[str]:
    """Ids from the arguments; ``-`` reads more from stdin (whitespace or comma separated)."""
    out: list[str] = []
    for item in raw:
        out.extend(split_ids(stdin.read()) if item == "-" else split_ids(item))
    return out


def _validated(ids: Iterable[str], *, nothing_done: str = "") -> list[str]:
    """All ids valid, or none taken: one bad id among many rejects the lot, and the message
    says so (``nothing_done``, e.g. "nothing was added") and counts them."""
    good, bad = [], []
    for raw in ids:
        try:
            good.append(validate_task_id(raw))
        except InvalidTaskId as exc:
            bad.append(str(exc))
    if bad:
        total = len(good) + len(bad)
        verb = "is" if len(bad) == 1 else "are"
        lead = f"{nothing_done}: " if nothing_done else ""
        raise UsageError(
            f"{lead}{len(bad)} of {total} id{'s' if total != 1 else ''} {verb} invalid: "
            + "; ".join(bad)
        )
    return good


def _safe(value: object) -> str:
    """Text for the terminal: every string printed here (server, file, argv) goes through it.

    The core modules clean what they produce already; this is the last gate, so an id typed
    on the command line or a hand-edited watch list cannot put an escape on anyone's screen.
    """
    return clean_text(value, OUTPUT_LIMIT)


def _json_safe(value: object) -> object:
    """``value`` with every string in it cleaned (``ensure_ascii=False`` keeps C1 raw)."""
    if isinstance(value, str):
        return clean_text(value, OUTPUT_LIMIT)
    if isinstance(value, dict):
        return {_safe(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _json_line(record: dict[str, object]) -> str:
    return json.dumps(_json_safe(record), ensure_ascii=False)


def _fmt_time(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _row(
    task_id: str,
    kind: str,
    snap: TaskSnapshot | None,
    error: FetchError | None,
    label: str | None = None,
) -> list[str]:
    if snap is not None:
        status = snap.status_label
        progress = f"{snap.progress:.0f}%" if snap.progress is not None else "-"
        durations = [f"{v.duration:g}s" for v in snap.videos if v.duration is not None]
        duration = ",".join(durations) or "-"
        urls = [v.url for v in snap.videos if v.url]
        detail = urls[0] if urls else snap.message
    else:
        status, progress, duration, detail = "-", "-", "-", ""
    if error is not None:
        status = f"error:{error.type.value}" if snap is None else f"{status} (stale)"
        detail = error.message
    if label:
        detail = f"[{label}] {detail}".rstrip()
    return [task_id, kind, status, progress, duration, detail]


def _print_table(rows: list[list[str]], out: TextIO) -> None:
    header = ["ID", "KIND", "STATUS", "PROGRESS", "DURATION", "[LABEL] VIDEO / MESSAGE"]
    table = [header, *([_safe(c) for c in r] for r in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(header) - 1)]
    for r in table:
        cells = [c.ljust(w) for c, w in zip(r, widths, strict=False)]
        print("  ".join([*cells, r[-1]]).rstrip(), file=out)


def _record(entry: WatchEntry) -> dict[str, object]:
    record = snapshot_json(entry.task_id, entry.kind, entry.snapshot, entry.last_error)
    record["gateway"] = entry.gateway
    record["label"] = entry.label
    record["stale"] = entry.last_error is not None and entry.snapshot is not None
    record["last_checked"] = entry.last_checked.isoformat() if entry.last_checked else None
    return record


def _entry_row(entry: WatchEntry) -> list[str]:
    return _row(entry.task_id, entry.kind, entry.snapshot, entry.last_error, entry.label)


def _emit(entry: WatchEntry, as_json: bool, out: TextIO) -> None:
    """One line per task, as it happens (``wait``): JSON, or a row without alignment."""
    if as_json:
        print(_json_line(_record(entry)), file=out, flush=True)
    else:
        print("  ".join(_safe(c) for c in _entry_row(entry) if c), file=out, flush=True)


def _emit_all(entries: list[WatchEntry], as_json: bool, out: TextIO) -> None:
    """Many tasks at once (``ls``, ``watch``): JSON lines, or an aligned table."""
    if as_json:
        for entry in entries:
            print(_json_line(_record(entry)), file=out)
    elif entries:
        _print_table([_entry_row(e) for e in entries], out)


def _policy(config: AppConfig):  # -> PollPolicy
    from kling_tui.polling.schedule import PollPolicy

    return PollPolicy(interval=config.poll.interval, max_interval=config.poll.max_interval)


def _limits(config: AppConfig) -> dict[str, int]:
    return {name: gw.max_concurrency for name, gw in config.gateways.items()}


# -- commands ------------------------------------------------------------------------------


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


def _make_poller(args: argparse.Namespace, config: AppConfig, store: WatchList, **kw):
    from kling_tui.gateway.fetcher import Fetcher
    from kling_tui.polling.poller import Poller

    fetcher = Fetcher(config)
    poller = Poller(
        store,
        fetcher,
        _policy(config),
        per_gateway_limit=_limits(config),
        entries=store.entries,
        **kw,
    )
    return poller, fetcher


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


WAIT_CLEANUP_GRACE = 1.0
"""Seconds ``wait`` may take past ``--timeout`` to save what it learned and close."""


def _wait_status(targets: list[WatchEntry], gave_up: set[TaskKey]) -> int:
    failed = [e for e in targets if e.key in gave_up or e.status is Status.FAILED]
    return EXIT_FAILED if failed else EXIT_OK


async def _wait(args: argparse.Namespace, out: TextIO) -> int:
    """Poll until every target is finished, has failed for good, or ``--timeout`` passes.

    Bounded in every case: nothing to wait for returns at once (no poller, no network);
    a task that cannot finish (auth, account, not found, removed from the list meanwhile)
    is given up on; ``--timeout`` bounds the whole command, saving and closing included
    (plus at most :data:`WAIT_CLEANUP_GRACE` when the deadline is already spent).
    """
    from kling_tui.polling.poller import ListChanged, Notice, PollUpdate

    loop = asyncio.get_running_loop()
    deadline = None if args.timeout is None else loop.time() + args.timeout
    config = _load_config(args)
    store = _store(args)
    if args.ids:
        wanted_ids = set(_validated(args.ids))
        targets = [e for e in store.entries if e.task_id in wanted_ids]
        missing = wanted_ids - {e.task_id for e in targets}
        if missing:
            raise UsageError(
                "not in the watch list: "
                + ", ".join(sorted(missing))
                + " (add them first: kling-tui add ID)"
            )
    else:
        targets = list(store.entries)
    if not targets:
        print(
            _safe(f"nothing to wait for: the watch list is empty ({store.path})"),
            file=sys.stderr,
        )
        return EXIT_OK
    for entry in targets:
        _emit(entry, args.json, out)
    pending = {e.key for e in targets if not e.finished}
    gave_up: set[TaskKey] = set()
    if not pending:  # all finished already: their status is the answer
        return _wait_status(targets, gave_up)
    keys = {e.key for e in targets}
    poller, fetcher = _make_poller(args, config, store, scope=keys)
    # An unknown gateway or a missing token would fail every poll the same way, forever.
    _require_tokens(config, [fetcher.gateway_for(e) for e in targets if e.key in pending])
    done = asyncio.Event()

    said: set[str] = set()

    def on_event(event: object) -> None:
        if isinstance(event, Notice):
            if event.severity == "error" and event.message not in said:
                said.add(event.message)  # a failed save, once per distinct message
                print(f"kling-tui: {_safe(event.message)}", file=sys.stderr, flush=True)
            return
        if isinstance(event, ListChanged):
            for key in set(event.removed) & pending:
                print(f"kling-tui: {key.task_id} was removed from the watch list", file=sys.stderr)
                gave_up.add(key)
                pending.discard(key)
        elif isinstance(event, PollUpdate) and event.entry.key in keys:
            entry = event.entry
            changed = event.previous_status != entry.status or event.stale
            if changed or (entry.snapshot and entry.snapshot.progress is not None):
                _emit(entry, args.json, out)
            if entry.finished:
                pending.discard(entry.key)
            elif entry.last_error is not None and entry.last_error.type.policy.needs_operator:
                gave_up.add(entry.key)  # auth, account, not found: waiting will not fix it
                pending.discard(entry.key)
        if not pending:
            done.set()

    poller.subscribe(on_event)
    runner = asyncio.create_task(poller.run())
    finished = asyncio.create_task(done.wait())
    timed_out = False
    try:
        async with asyncio.timeout_at(deadline):
            # The loop ending first means it crashed: awaiting it below raises the error.
            await asyncio.wait({runner, finished}, return_when=asyncio.FIRST_COMPLETED)
    except TimeoutError:
        timed_out = True
    finally:
        poller.stop()
        finished.cancel()
        cleanup_by = loop.time() + WAIT_CLEANUP_GRACE
        try:
            async with asyncio.timeout_at(None if deadline is None else max(deadline, cleanup_by)):
                try:
                    await runner
                finally:
                    await fetcher.aclose()
        except TimeoutError:
            print("kling-tui: gave up saving the watch list: out of time", file=sys.stderr)
            timed_out = True
    if timed_out and pending:
        print(
            f"timed out after {args.timeout:g} s with {len(pending)} task(s) unfinished",
            file=sys.stderr,
        )
        return EXIT_TIMEOUT
    return _wait_status(targets, gave_up)


def _dashboard(args: argparse.Namespace) -> int:
    from kling_tui.gateway.fetcher import Fetcher
    from kling_tui.polling.poller import Poller
    from kling_tui.ui.app import run_app

    if args.demo:
        from kling_tui.sim.demo import demo_session

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


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of the ``kling-tui`` console script. Returns the exit status."""
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        match args.command:
            case "status":
                return asyncio.run(_status(args, out))
            case "add":
                return _add(args, out)
            case "rm":
                return _rm(args, out)
            case "ls":
                return _ls(args, out)
            case "watch":
                return asyncio.run(_watch(args, out))
            case "wait":
                return asyncio.run(_wait(args, out))
            case _:
                return _dashboard(args)
    except (ConfigError, WatchListError) as exc:
        print(f"kling-tui: {_safe(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"kling-tui: {_safe(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `kling-tui ls | head`: the reader left; say nothing more, like other Unix tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
