"""What several benchmark modules share: the median and the paired ratio of their rounds, and
the command line of a module run on its own (a bare status answer, what their gateways
send, is ``kling_tui.models.TaskSnapshot.bare``). Bench modules import kling_tui and each
other, never tests/."""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable
from typing import Any


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


def median(values: list[float]) -> float:
    return statistics.median(values)


def paired_ratio(project: list[float], baseline: list[float]) -> float:
    """Median of the per-round ratios: each round's two sides ran back to back, so a
    moment of machine noise touches one pair rather than one side."""
    return median([p / b for p, b in zip(project, baseline, strict=True)])
