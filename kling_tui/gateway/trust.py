"""Which ad-hoc origins a gateway's token may be sent to: those this user chose, here.

A watch-list entry added with ``--base-url`` keeps its own ``base_url``, and the fetcher
then sends that gateway's credential there. The watch list is input (hand-edited, copied
from elsewhere, written by scripts), so an address in it proves nothing: a line
``base_url = "http://evil.example"`` would otherwise receive the token. The fetcher
therefore sends a credential only to its gateway's configured origin, or to an origin
recorded here, and only ``kling-tui add --base-url`` records one: the operator typed the
address on this machine.

The record is a small TOML file, ``<user config dir>/kling-tui/trusted-origins.toml``,
mode 0600, one ``[[trusted]]`` table per (gateway name, origin) pair::

    [[trusted]]
    gateway = "default"
    origin = "http://127.0.0.1:8080"

An origin is ``scheme://host[:port]`` (:attr:`~kling_tui.config.GatewayConfig.origin`): the
path prefix does not matter, the host that receives the token does. A record file that
others could write, or that is not a regular file, is ignored (nothing is trusted) and
:attr:`TrustedOrigins.problem` says why, so the fetcher's refusal can say it too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import tomli_w

from kling_tui.store.atomic import atomic_write
from kling_tui.store.safe_read import FileRefused, MiB, access_problem, loads_toml, read_regular

__all__ = ["MAX_TRUST_FILE_BYTES", "TrustedOrigins", "default_trust_path"]

MAX_TRUST_FILE_BYTES = 1 * MiB

_HEADER = (
    "# Origins kling-tui may send a gateway's token to, besides the gateway's configured\n"
    "# base_url: recorded by `kling-tui add --base-url`. Keep this file mode 0600.\n\n"
)

_Pair = tuple[str, str]
_Signature = tuple[int, int, int, int, int, int] | None
"""mtime, ctime (a chmod changes only that), size, inode, mode, owner."""


def default_trust_path() -> Path:
    """``<user config dir>/kling-tui/trusted-origins.toml``, beside the default config."""
    return platformdirs.user_config_path("kling-tui") / "trusted-origins.toml"


class TrustedOrigins:
    """The recorded (gateway, origin) pairs; re-read whenever the file changes on disk.

    ``allows`` is called before every request with a watch-list address, so it costs one
    ``stat`` when the file is unchanged.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_trust_path()
        self.problem: str | None = None
        self._pairs: frozenset[_Pair] = frozenset()
        self._seen: _Signature | object = object()  # never read yet

    def allows(self, gateway: str, origin: str) -> bool:
        """Was ``origin`` recorded for ``gateway`` (by ``add --base-url`` on this machine)?"""
        self._refresh()
        return (gateway, origin) in self._pairs

    def add(self, gateway: str, origin: str) -> None:
        """Record ``origin`` for ``gateway``; a no-op when it is recorded already.

        Read-modify-write under an exclusive lock on a sidecar file, so two ``add`` runs at
        once keep both records. Raises ``OSError`` when the file cannot be written, and
        ``PermissionError`` when it exists but others could write it (it is not extended
        then: the operator must fix its mode first).
        """
        with self._locked():
            self._seen = object()  # force a re-read under the lock
            self._refresh()
            if self.problem is not None:
                raise PermissionError(f"{self.path}: {self.problem}")
            if (gateway, origin) in self._pairs:
                return
            pairs = sorted(self._pairs | {(gateway, origin)})
            text = tomli_w.dumps({"trusted": [{"gateway": g, "origin": o} for g, o in pairs]})
            atomic_write(self.path, (_HEADER + text).encode("utf-8"), new_mode=0o600)
            self._seen = object()

    # -- internals -------------------------------------------------------------------------

    def _signature(self) -> _Signature:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_mode, st.st_uid)

    def _refresh(self) -> None:
        signature = self._signature()
        if signature == self._seen:
            return
        self._seen = signature
        self._pairs, self.problem = self._read()

    def _read(self) -> tuple[frozenset[_Pair], str | None]:
        """The pairs in the file, or none and the reason it was not used."""
        try:
            raw, st = read_regular(self.path, limit=MAX_TRUST_FILE_BYTES)
        except FileNotFoundError:
            return frozenset(), None
        except FileRefused as exc:
            return frozenset(), f"{self.path} is ignored: {exc.reason}"
        except OSError as exc:
            return frozenset(), f"{self.path} cannot be read: {exc.strerror or exc}"
        problem = access_problem(self.path, st)
        if problem is not None:
            return frozenset(), f"{self.path} is ignored: {problem}"
        try:
            doc = loads_toml(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            return frozenset(), f"{self.path} is ignored: not valid TOML ({exc})"
        tables = doc.get("trusted", [])
        pairs = {
            (t["gateway"], t["origin"])
            for t in (tables if isinstance(tables, list) else [])
            if isinstance(t, dict)
            and isinstance(t.get("gateway"), str)
            and isinstance(t.get("origin"), str)
        }
        return frozenset(pairs), None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
