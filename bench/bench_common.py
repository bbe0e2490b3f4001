"""What several benchmark modules share: the command line of a module run on its own (a
bare status answer, what their gateways send, is ``kling_tui.models.TaskSnapshot.bare``).
Bench modules import kling_tui and each other, never tests/."""

from __future__ import annotations

import json
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
