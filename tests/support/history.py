"""A module of this project as it was at an earlier commit, read from git: the review tests
hold a rewritten function to the answers of the one it replaced."""

from __future__ import annotations

import functools
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def module_at(rev: str, path: str, name: str) -> ModuleType:
    """``path`` (relative to the repository) at ``rev``, imported as module ``name``.
    Skips the test where there is no git history (a copy of the tree without ``.git``)."""
    try:
        source = subprocess.run(
            ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True,
            check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("no git history here")
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    exec(compile(source, f"{name}.py", "exec"), module.__dict__)
    return module
