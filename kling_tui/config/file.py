"""Reading the config file safely: a regular file of at most 1 MiB, UTF-8 TOML, owned and
private enough for what it holds. The parsed data is validated by :mod:`.validate`.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from kling_tui.config.errors import ConfigError
from kling_tui.config.names import _SECRET_KEYS
from kling_tui.store.safe_read import (
    FileRefused,
    MiB,
    access_problem,
    describe_size,
    loads_toml,
    read_regular,
)

_TOML_LINE_RE = re.compile(r"\(at line (\d+), column \d+\)")

MAX_CONFIG_BYTES = 1 * MiB
"""A config is a few hundred bytes; anything near this is not a config (or is /dev/zero)."""


def _read_file(path: Path, named_by: str | None) -> tuple[dict[str, Any], os.stat_result | None]:
    """Parse the file; return the data and the ``fstat`` of what was read (``None``: absent).

    A missing file at the default location is an empty config; a missing file the operator
    named (``named_by``) is an error, because a typo there would otherwise silently drop all
    their settings. Only a regular file of at most 1 MiB is read (a FIFO would block, a
    device never end): see :func:`~kling_tui.store.safe_read.read_regular`.
    """
    try:
        raw, st = read_regular(path, limit=MAX_CONFIG_BYTES)
    except FileNotFoundError:
        if named_by is None:
            return {}, None
        raise ConfigError(path, None, f"an existing file (named by {named_by})") from None
    except FileRefused as exc:
        what = f"a file of at most {describe_size(MAX_CONFIG_BYTES)}"
        what = what if exc.too_large else "a regular file"
        raise ConfigError(path, None, f"{what} ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(path, None, f"a readable file ({exc.strerror or exc})") from None
    try:
        data = loads_toml(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(path, None, f"UTF-8 text (bad byte at offset {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE_RE.search(str(exc))
        line = int(match.group(1)) if match else None
        raise ConfigError(path, None, f"valid TOML: {exc}", line=line) from None
    return data, st


def _check_private(path: Path, st: os.stat_result | None, data: dict[str, Any]) -> None:
    """Refuse a file others can write (it decides where tokens are sent), and a file others
    can read when it holds a token or key: :func:`~kling_tui.store.safe_read.access_problem`."""
    if st is None:
        return
    problem = access_problem(path, st)
    if problem is not None:
        raise ConfigError(
            path,
            None,
            f"a file only its owner can change, since it says where tokens go ({problem})",
        )
    gateways = data.get("gateways")
    if not isinstance(gateways, dict):
        return
    for name, table in gateways.items():
        if not isinstance(table, dict):
            continue
        for key in _SECRET_KEYS:
            if key in table and (problem := access_problem(path, st, secret=True)) is not None:
                raise ConfigError(
                    path,
                    f"gateways.{name}.{key}",
                    f"a file only its owner can read, since it holds a secret ({problem})",
                )
