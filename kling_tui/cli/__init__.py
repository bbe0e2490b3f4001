"""Command line: the dashboard, the demo, and headless commands for scripts.

    kling-tui [--demo] [--theme NAME]             the dashboard
    kling-tui status [--json] ID...               query tasks now, no watch list involved
    kling-tui add | rm | ls                       edit / show the watch list
    kling-tui watch --once [--json]               poll every unfinished task once, save, print
    kling-tui wait [--timeout S] [--json] [ID...] block until tasks finish (exit 0/1/3)
    kling-tui import FILE | [--kind K...] ...     watch tasks from a file or the gateway's lists
    kling-tui download [ID...] [--all-finished]   bring finished results home (exit 0/1)

Exit status: 0 success, 1 a fetch or a task failed, 2 usage or configuration error,
3 ``wait`` timed out. Everything here composes the core modules; nothing parses HTTP or TOML.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from kling_tui.cli.dashboard import _dashboard
from kling_tui.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_TIMEOUT, EXIT_USAGE, UsageError
from kling_tui.cli.importing import _import
from kling_tui.cli.output import _safe
from kling_tui.cli.parser import build_parser
from kling_tui.cli.tasks import _add, _ls, _rm, _status, _watch
from kling_tui.cli.wait import _wait
from kling_tui.config import ConfigError
from kling_tui.store.watchlist import WatchListError

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "EXIT_USAGE",
    "UsageError",
    "build_parser",
    "main",
]


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
            case "import":
                return _import(args, out)
            case "download":  # imported here: httpx stays out of every other command's start
                from kling_tui.cli.download import _download

                return asyncio.run(_download(args, out))
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
