"""The command line run in-process, and its JSON lines read back: shared by the CLI suites."""

from __future__ import annotations

import io
import json

from kling_tui.cli import main


def run(*argv: str) -> tuple[int, str]:
    """``kling-tui ARGV``: the exit code and everything it printed."""
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def records(text: str) -> list[dict]:  # type: ignore[type-arg]
    """The JSON lines of an output, one dict a line (blank lines skipped)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]
