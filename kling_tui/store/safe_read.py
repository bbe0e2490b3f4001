"""Read the files kling-tui trusts a little, and check who else could have written them.

A config, watch list, theme or cache path is named by the operator or by the environment,
so it may be anything: a FIFO (``open`` blocks until a writer appears: the program hangs),
a device (``/dev/zero`` reads without end: 4.7 GB resident after 4 s), a directory, or a
file far larger than any real one. :func:`read_regular` opens without blocking, checks on
the open descriptor that it is a regular file under a size cap, and only then reads, at
most the cap. :func:`access_problem` is the one check of who may read or write a file:
the config must not be readable by others when it holds a secret, and nothing that decides
where requests (and tokens) go may be writable by anyone but its owner.

Messages name the file's kind and size in words a person can act on ("is a FIFO, not a
regular file", "it is too large (300 MiB, over the 256 MiB limit)").
"""

from __future__ import annotations

import os
import shlex
import stat
import tomllib
from pathlib import Path
from typing import Any

__all__ = ["FileRefused", "MiB", "access_problem", "describe_size", "loads_toml", "read_regular"]

MiB = 1024 * 1024

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISSOCK, "a socket"),
)


class FileRefused(Exception):
    """The path is not a regular file, or is over the size cap. ``reason`` says which,
    starting with "it" so callers can put it after the file's name; ``too_large`` tells the
    size cap from the file kind."""

    def __init__(self, path: Path, reason: str, *, too_large: bool = False) -> None:
        self.path = path
        self.reason = reason
        self.too_large = too_large
        super().__init__(f"{path}: {reason}")


def describe_size(size: int) -> str:
    """``300 MiB``, ``12 KiB``, ``512 bytes``: rounded the way a person reads sizes."""
    if size >= MiB:
        return f"{size / MiB:.0f} MiB"
    if size >= 1024:
        return f"{size / 1024:.0f} KiB"
    return f"{size} bytes"


def _too_large(size: int, limit: int) -> str:
    cap = describe_size(limit)
    shown = describe_size(size)
    if shown == cap:  # just over the cap: rounding would say "256 MiB, over 256 MiB"
        shown = f"{size:,} bytes"
    return f"it is too large ({shown}, over the {cap} limit)"


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "a special file"


def read_regular(path: Path, *, limit: int) -> tuple[bytes, os.stat_result]:
    """The bytes of the regular file at ``path`` (symlinks followed), and its ``fstat``.

    Raises ``FileNotFoundError`` / ``OSError`` as ``open`` does, and :class:`FileRefused`
    for a FIFO, device, directory or socket, or for a file over ``limit`` bytes (also one
    that grows past it while being read). ``O_NONBLOCK`` keeps the open of a FIFO from
    waiting for a writer; the checks use the descriptor, so the file cannot be swapped
    between the check and the read.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(path, f"it is {_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise FileRefused(path, _too_large(st.st_size, limit), too_large=True)
        chunks: list[bytes] = []
        got = 0
        while True:
            chunk = os.read(fd, min(limit + 1 - got, 4 * MiB))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if got > limit:
                raise FileRefused(
                    path,
                    f"it grew past the {describe_size(limit)} limit while being read",
                    too_large=True,
                )
        return b"".join(chunks), st
    finally:
        os.close(fd)


def loads_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads``, but every way a file can fail to parse is a ``TOMLDecodeError``.

    tomllib lets two escape as other exceptions, which callers catching ``TOMLDecodeError``
    turned into a traceback: an integer of over 4,300 digits (``ValueError`` from Python's
    int-from-string limit) and nesting a few thousand ``[`` or ``{`` deep
    (``RecursionError``). A 1 MiB config holds either easily.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        raise
    except ValueError:
        raise tomllib.TOMLDecodeError(
            "an integer has too many digits to be read (over 4,300)"
        ) from None
    except RecursionError:
        raise tomllib.TOMLDecodeError("arrays or tables nested too deeply") from None


def access_problem(path: Path, st: os.stat_result, *, secret: bool = False) -> str | None:
    """Why others could change (or, for a ``secret`` file, read) this file, with the fix;
    ``None`` when only its owner, the current user (or root), can.

    Refusing such a file rather than warning is deliberate: a warning scrolls away, while
    the harm (a token read, or requests sent where another user chose) is already done.
    Skipped on Windows, where mode bits mean nothing.
    """
    if os.name == "nt":
        return None
    mode = stat.S_IMODE(st.st_mode)
    fix = f"run chmod 600 {shlex.quote(str(path))}"
    uid = os.geteuid()
    if st.st_uid not in (uid, 0):  # root can change any file anyway
        return (
            f"it is owned by another user (uid {st.st_uid}; you are uid {uid}), who can "
            f"change it: copy it to a file of your own and {fix} on the copy"
        )
    if mode & 0o022:
        return f"{_who(mode, 0o020, 0o002)} can write to it (mode {mode:04o}): {fix}"
    if secret and mode & 0o077:
        return f"{_who(mode, 0o070, 0o007)} can read it (mode {mode:04o}): {fix}"
    return None


def _who(mode: int, group: int, other: int) -> str:
    return " and ".join(w for w, bits in (("group", group), ("others", other)) if mode & bits)
