"""One way to replace a file so that a crash or a full disk never leaves half of it.

Used by the watch list and by the config (theme memory): both hold something the operator
would hate to lose, so both get the same treatment; downloads finish the same way
(:func:`commit_file`).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, *, new_mode: int = 0o600) -> os.stat_result:
    """Replace ``path`` with ``data``: temporary file in the same directory, fsync, rename,
    directory fsync. Returns the stat of the file as written.

    An existing file keeps its mode (a 0600 file holding a token stays 0600); a new one
    gets ``new_mode``. A symlink stays a symlink: its target is replaced. On any failure
    the temporary file is removed and the original is untouched.
    """
    target = Path(os.path.realpath(path))
    directory = target.parent
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    mode = new_mode
    with contextlib.suppress(FileNotFoundError):
        mode = stat.S_IMODE(os.stat(target).st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            written = os.fstat(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)
    return written


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable. Best effort: the new file is in place
    already, and some filesystems cannot open or fsync a directory."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def commit_file(fd: int, tmp: Path, target: Path) -> None:
    """Give a file written through ``fd`` at ``tmp`` its final name ``target``, the way
    :func:`atomic_write` does: fsync the data, rename, fsync the directory. A crash leaves
    either no ``target`` or the whole of it, never a part (downloads, ``NAME.part``)."""
    os.fsync(fd)
    os.replace(tmp, target)
    fsync_dir(target.parent)
