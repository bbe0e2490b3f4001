"""What several benchmark modules share: a bare status answer, and the command line of a
module run on its own. Bench modules import kling_tui and each other, never tests/."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kling_tui.models import Status, TaskKey, TaskSnapshot


def bare_snapshot(
    key: TaskKey,
    status: Status,
    fetched_at: datetime,
    *,
    status_raw: str | None = None,
    progress: float | None = None,
) -> TaskSnapshot:
    """An answer with no videos, message or times: what the benchmarks' gateways send
    (only the status and, for relays, the progress move)."""
    return TaskSnapshot(
        task_id=key.task_id,
        kind=key.kind,
        status=status,
        status_raw=status.value if status_raw is None else status_raw,
        progress=progress,
        videos=(),
        message="",
        external_task_id=None,
        created_at=None,
        updated_at=None,
        fetched_at=fetched_at,
    )


def main(
    measure: Callable[..., dict[str, Any]], serve: Callable[[int], None], argv: list[str]
) -> None:
    """``python bench/X.py [--quick]`` prints the module's figures as JSON (progress on
    stderr); ``--serve N`` is the simulator child process the module starts itself."""
    if len(argv) == 2 and argv[0] == "--serve":
        serve(int(argv[1]))
    else:
        figures = measure("--quick" in argv, progress=lambda s: print(s, file=sys.stderr))
        print(json.dumps(figures, indent=2))
