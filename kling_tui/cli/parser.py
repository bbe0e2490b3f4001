"""Argument parsing: the commands, their options, and the range checks on ``--timeout``."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import NoReturn

from kling_tui import __version__
from kling_tui.cli.output import OUTPUT_LIMIT
from kling_tui.gateway.sanitize import clean_text
from kling_tui.kinds import KIND_SPECS, Kind, parse_kind

_KIND_HELP = "task kind: " + ", ".join(s.short for s in KIND_SPECS.values()) + " (default t2v)"


def _kind(text: str) -> str:
    """``--kind``: a stored name, a short label (``lip``) or a path (``images/generations``)."""
    found = parse_kind(text)
    if found is None:
        shorts = ", ".join(spec.short for spec in KIND_SPECS.values())
        raise argparse.ArgumentTypeError(
            f"unknown kind {clean_text(text, 60)!r}: use one of {shorts} (or the full name)"
        )
    return found.value


_EXTERNAL_HELP = (
    "the ids are your own external_task_id values, not Kling or relay ids (queried in the"
    " path or as ?external_task_id=, the gateway's external_id setting)"
)

WAIT_TIMEOUT_MAX = 86400.0
"""``wait --timeout``: at most a day; a longer wait is a job for the dashboard."""
STATUS_TIMEOUT_MAX = 600.0
"""``status --timeout`` bounds one query, retries included: ten minutes is plenty."""


_WHERE = (
    (
        "--config",
        "PATH",
        "config file (default: $KLING_TUI_CONFIG, then the user config dir)",
    ),
    (
        "--watchlist",
        "PATH",
        "watch list file (default: $KLING_TUI_WATCHLIST, then the user data dir)",
    ),
    ("--gateway", "NAME", "gateway name from the config"),
    ("--base-url", "URL", "ad-hoc gateway base URL (token from $KLING_API_KEY)"),
    (
        "--path-prefix",
        "P",
        "path prefix for --base-url: /kling/v1 (relays, default) or /v1 (native)",
    ),
)
"""The options of ``_common``: flag, metavar, help. Suppressed defaults, so a value given
before the command name is not overwritten by the subcommand's absent one."""


def _common(parser: argparse.ArgumentParser) -> None:
    """Options every command takes, so they can go before or after the command name."""
    g = parser.add_argument_group("where")
    for flag, metavar, text in _WHERE:
        g.add_argument(flag, metavar=metavar, default=argparse.SUPPRESS, help=text)


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
    _add_status_parser(sub)
    _add_list_parsers(sub)
    _add_poll_parsers(sub)
    _import_parser(sub)
    _download_parser(sub)
    return parser


_Sub = argparse._SubParsersAction
"""What ``add_subparsers`` returns (one ``add_*_parser`` per subcommand group fills it)."""


def _add_status_parser(sub: _Sub) -> None:
    """``status``: query tasks now (watched or not)."""
    p = sub.add_parser(
        "status",
        help="query tasks now and print their status (a watched task by any of its ids)",
    )
    _common(p)
    p.add_argument(
        "--kind",
        type=_kind,
        default=None,
        metavar="KIND",
        help=_KIND_HELP.replace("(default t2v)", "(default: the watched task's, else t2v)"),
    )
    p.add_argument("--external", action="store_true", help=_EXTERNAL_HELP)
    p.add_argument(
        "--timeout",
        type=_seconds(STATUS_TIMEOUT_MAX),
        metavar="SECONDS",
        help=f"bound on each query, retries included (0 < S <= {STATUS_TIMEOUT_MAX:g})",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("ids", nargs="+", metavar="ID")


def _add_list_parsers(sub: _Sub) -> None:
    """The watch list's own commands: ``add``, ``rm``, ``ls``, ``export``."""
    p = sub.add_parser("add", help="add task ids to the watch list ('-' reads stdin)")
    _common(p)
    p.add_argument(
        "--kind", type=_kind, default=Kind.TEXT2VIDEO.value, metavar="KIND", help=_KIND_HELP
    )
    p.add_argument("--label", metavar="TEXT")
    p.add_argument("--external", action="store_true", help=_EXTERNAL_HELP)
    p.add_argument("ids", nargs="+", metavar="ID")

    p = sub.add_parser("rm", help="remove task ids from the watch list")
    _common(p)
    p.add_argument("ids", nargs="+", metavar="ID")

    p = sub.add_parser("ls", help="show the watch list's last known state (no network)")
    _common(p)
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true")
    shape.add_argument("--csv", action="store_true", help="CSV, the columns of export")

    p = sub.add_parser(
        "export", help="write the watch list (or the tasks a filter shows) to a CSV / JSONL file"
    )
    _common(p)
    p.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    p.add_argument(
        "--filter",
        metavar="EXPR",
        default="",
        help="the dashboard's filter language: status:failed kind:t2v gw:NAME id:ID words",
    )
    p.add_argument("file", metavar="FILE", help="file to write (replaced atomically); - for stdout")


def _add_poll_parsers(sub: _Sub) -> None:
    """``watch --once`` and ``wait``: poll the watched tasks from a script."""
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


def _jobs(text: str) -> int:
    from kling_tui.config.model import DOWNLOAD_JOBS_RANGE

    low, high = DOWNLOAD_JOBS_RANGE
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from {low} to {high}, got {clean_text(text, 40)!r}"
        )
    return value


def _download_parser(sub) -> None:  # sub: argparse._SubParsersAction
    p = sub.add_parser(
        "download",
        help="download the videos / images of finished tasks (exit 0 all on disk, 1 any failed)",
    )
    _common(p)
    p.add_argument("ids", nargs="*", metavar="ID", help="watched tasks, by any of their ids")
    p.add_argument("--all-finished", action="store_true", help="every succeeded watched task")
    p.add_argument("--dir", metavar="DIR", help="folder (default: [download] dir in the config)")
    p.add_argument(
        "--name",
        metavar="TEMPLATE",
        help="file name template (default {label}-{task_id}-{n}.{ext}; README: Downloads)",
    )
    p.add_argument("--watermark", action="store_true", help="the watermarked copies too")
    p.add_argument("--jobs", type=_jobs, metavar="N", help="files at once (1-16, default 3)")
    p.add_argument(
        "--json", action="store_true", help="JSON lines (also when output is not a terminal)"
    )


IMPORT_LIMIT_MAX = 100_000
"""``import --limit``: the most tasks one import adds (ten times the largest list measured)."""


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= IMPORT_LIMIT_MAX:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 1 to {IMPORT_LIMIT_MAX}, got {clean_text(text, 40)!r}"
        )
    return value


def _since(text: str):  # -> datetime
    from kling_tui.importing.since import SinceError, parse_since

    try:
        return parse_since(text)
    except SinceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _import_parser(sub) -> None:  # sub: argparse._SubParsersAction
    p = sub.add_parser(
        "import",
        help="watch tasks from a CSV / JSON-lines FILE, or from the gateway's own lists",
    )
    _common(p)
    p.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="CSV or JSON lines with task_id or external_task_id ('-' reads stdin); "
        "without it: read the gateway's task lists",
    )
    kinds = p.add_mutually_exclusive_group()
    kinds.add_argument(
        "--kind",
        type=_kind,
        action="append",
        metavar="KIND",
        help="a kind to list (repeatable); with FILE, the kind of rows that name none",
    )
    kinds.add_argument("--all-kinds", action="store_true", help="list every kind")
    p.add_argument(
        "--since",
        type=_since,
        metavar="AGE|DATE",
        help="only tasks created since: 90m, 24h, 7d, or a date (2026-11-30, UTC)",
    )
    p.add_argument(
        "--limit", type=_limit, metavar="N", help=f"at most N tasks (1-{IMPORT_LIMIT_MAX})"
    )
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
