"""The watch list: the operator's working set of tasks, in one hand-editable TOML file.

This is the ONE store. Losing or corrupting it is the worst thing kling-tui can do, so:

* every write is atomic (:func:`~kling_tui.store.atomic.atomic_write`: temporary file in
  the same directory, ``fsync``, ``os.replace``, ``fsync`` of the directory) and keeps the
  file's mode; a failed write leaves the original byte-for-byte intact and removes its
  temporary file;
* every read-modify-write holds an exclusive lock (:mod:`kling_tui.store.lock`) and
  re-reads the file first when it changed on disk, so a dashboard and a script running
  ``kling-tui add`` never lose each other's changes;
* a file that does not parse, or holds an entry this version cannot understand, is never
  overwritten: every mutating call raises :class:`WatchListError` naming the line, and the
  operator fixes the file by hand;
* keys this version does not know are kept on rewrite (top level, per task, and inside a
  task's ``last``/``error`` tables), so a newer kling-tui or a hand edit is not undone.

The file is also *input*, never trusted state: it may be hand-edited or come from
elsewhere. So it is read only if it is a regular file of at most 256 MiB that no one but
its owner can write; every text field is cleaned as it is loaded
(:mod:`kling_tui.store.codec`), so the dashboard, ``ls``, ``watch``, ``wait`` and ``--json``
all get clean text; an entry's ``base_url`` and ``path_prefix`` must follow the config's
URL rules (:mod:`kling_tui.gateway.urls`); and an entry's ``base_url`` alone earns no token (the
fetcher's rule, :mod:`kling_tui.gateway.trust`).

    store = WatchList(watchlist_path(flag, os.environ))
    store.load()                       # [] when the file does not exist yet
    store.add(entries)                 # -> AddResult(added, duplicates)
    removed = store.remove(keys)       # -> removed entries, for undo
    store.restore(removed)             # undo: back at their old positions
    store.update(entries)              # write back snapshots/errors, one write per batch
    store.record_downloads(entries)    # write back local_files / download_error
    store.reload_if_changed()          # another process wrote the file?
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs
import rtoml

from kling_tui.bulk import collector_paused
from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import FetchError, LocalFile, TaskKey, TaskSnapshot, WatchEntry
from kling_tui.store.atomic import atomic_write
from kling_tui.store.codec import (
    FORMAT_VERSION,
    HEADER,
    LABEL_LIMIT,
    check_new_entry,
    entry_to_table,
)
from kling_tui.store.document import MAX_WATCHLIST_BYTES, Parsed, entries_from_doc, parse_toml
from kling_tui.store.errors import WatchListError
from kling_tui.store.ids import same_task_text
from kling_tui.store.lock import exclusive_lock
from kling_tui.store.parsed_cache import PARSED_CACHE_MIN_BYTES, ParsedCache
from kling_tui.store.safe_read import FileRefused, access_problem, read_regular
from kling_tui.store.staging import StagedAdd
from kling_tui.store.undo import RemovalLog

WATCHLIST_ENV = "KLING_TUI_WATCHLIST"

_Signature = tuple[int, int, int, int, int]
"""(st_mtime_ns, st_size, st_ino, st_mode, st_uid): what tells us another process rewrote
the file, or made it writable by others (a chmod or chown changes none of the first three,
and the running dashboard must not go on trusting, and saving, such a file)."""
_NEVER_READ: Any = object()


def default_watchlist_path() -> Path:
    """Where the watch list lives when neither flag nor environment says otherwise."""
    return platformdirs.user_data_path("kling-tui") / "watchlist.toml"


def new_entries(
    ids: Iterable[str],
    *,
    kind: str,
    gateway: str,
    now: datetime,
    label: str | None = None,
    base_url: str | None = None,
    path_prefix: str | None = None,
    external: bool = False,
) -> list[WatchEntry]:
    """Entries for tasks about to be watched, all added at the same instant (``kling-tui add``
    and the add dialog). ``base_url``/``path_prefix`` only for a gateway given by URL;
    ``external``: the ids are the caller's own external ids (``add --external``).

    The label is cleaned here (:func:`~kling_tui.gateway.sanitize.clean_text`): typed text may hold
    escape sequences (``--label $'x\\e]52;c;...\\a'``) and must reach no terminal raw.
    """
    if label is not None:
        label = clean_text(label, LABEL_LIMIT)
    return [
        WatchEntry(
            task_id=task_id,
            kind=kind,
            gateway=gateway,
            added_at=now,
            label=label,
            base_url=base_url,
            path_prefix=path_prefix,
            external=external,
        )
        for task_id in ids
    ]


def watchlist_path(
    flag: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Path:
    """Resolve the watch list's path: ``--watchlist`` flag, then $KLING_TUI_WATCHLIST, then
    the platform's user data dir. Empty values count as unset so ``VAR= cmd`` falls through.
    """
    if flag is not None and os.fspath(flag):
        return Path(flag).expanduser()
    value = (os.environ if env is None else env).get(WATCHLIST_ENV)
    if value:
        return Path(value).expanduser()
    return default_watchlist_path()


@dataclass(frozen=True, slots=True)
class AddResult:
    """What ``add`` did: ``added`` + ``duplicates`` is the input, in input order.

    ``added`` holds the stored objects (an id normalized by ``validate_task_id`` makes a
    new object); ``duplicates`` holds the given entries that are a task already watched or
    repeated in the same call: the same (id, kind, gateway), or another of the task's ids
    (its Kling, relay or external id, :class:`~kling_tui.store.ids.IdIndex`) on the same
    gateway and kind. ``same_as[i]`` is the watched entry ``duplicates[i]`` is.
    """

    added: list[WatchEntry]
    duplicates: list[WatchEntry]
    same_as: list[WatchEntry] = field(default_factory=list)

    def refusals(self) -> list[str]:
        """One line per duplicate saying which watched task it is (plain text)."""
        same = self.same_as
        return [
            same_task_text(d.task_id, same[i] if i < len(same) else d)
            for i, d in enumerate(self.duplicates)
        ]


@dataclass(frozen=True, slots=True)
class _Tail:
    """The last ``count`` entries of a write, whose TOML text a staged add wrote already
    (None: it could not), and how to get their tables when the text cannot be used."""

    count: int = 0
    tables: Callable[[], list[dict[str, Any]]] = list
    text: str | None = None


def _take_state(current: WatchEntry, given: WatchEntry) -> None:
    """What ``update`` writes back: the last answer, its time and error, and since when the
    state is what it is (stored with the snapshot)."""
    current.snapshot = given.snapshot
    current.last_checked = given.last_checked
    current.last_error = given.last_error
    current.state_since = given.state_since


def _take_downloads(current: WatchEntry, given: WatchEntry) -> None:
    """What ``record_downloads`` writes back: the local files and the download error."""
    current.local_files = given.local_files
    current.download_error = given.download_error


def _signature(st: os.stat_result) -> _Signature:
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_mode, st.st_uid)


class WatchList:
    """The watch list file and the entries last read from or written to it.

    Not a cache of the truth but a view of it: every mutation re-reads the file under the
    lock when another process changed it, applies only its own change, and writes
    atomically. ``entries`` is what was last loaded or written.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser().absolute()
        self._entries: list[WatchEntry] = []
        self._top_extra: dict[str, Any] = {}
        self._seen: _Signature | None = _NEVER_READ  # None: the file did not exist
        self._broken: WatchListError | None = None
        self._empty_seen: _Signature | None = None
        """An empty file a reload saw and did not take yet (see ``_read``)."""
        self._refused: _Signature | None = None
        """The signature of a file last refused for who may write it (see ``_read``)."""
        self.reads = 0
        """How many times the file was taken in (see ``_read``): a writer compares it before
        and after a change to learn whether the file it wrote over had another's edit."""
        self._generation = 0
        """Counts every change of ``_entries`` (a read taken, a write): a staged add checked
        against another generation is checked again at its commit."""
        self._removals = RemovalLog()
        self._mutex = threading.RLock()
        self._parsed = ParsedCache(self.path)
        self._written: bytes | None = None
        """The bytes this object last wrote, when large enough to cache (``remember_parsed``
        compares the file with them). Kept rather than hashed: hashing 10,000 tasks' 4.4 MB
        costs 5 ms on every save, for a comparison made at most once (on quit)."""
        self._unremembered: tuple[bytes, dict[str, Any]] | None = None
        """The file's bytes and their parsed document, from the last parse."""

    def __repr__(self) -> str:
        return f"WatchList({str(self.path)!r}, {len(self._entries)} entries)"

    # -- reading ---------------------------------------------------------------------------

    @property
    def entries(self) -> list[WatchEntry]:
        """The entries as last loaded or written (a copy of the list, the same objects)."""
        return list(self._entries)

    def load(self) -> list[WatchEntry]:
        """Read the file. A missing file is an empty list (created on the first write).

        On error the previous entries stay in ``entries`` (a dashboard keeps showing them)
        and the file is marked broken: mutations raise until it is fixed on disk.
        """
        with self._mutex:
            self._read()
            return list(self._entries)

    def changed_on_disk(self) -> bool:
        """True when the file is not the one we last read or wrote (or never read)."""
        return self._stat_now() != self._seen

    def reload_if_changed(self) -> bool:
        """Re-read the file if another process changed it. Raises WatchListError if the
        new content is invalid; the next call returns False until the file changes again.
        A file found emptied is taken at the next call only (it may be mid-save).
        """
        with self._mutex:
            now = self._stat_now()
            if now == self._seen or (now is not None and now == self._refused):
                return False  # unchanged, or refused for its mode already: said once
            return self._read(settle_empty=True)

    def _stat_now(self) -> _Signature | None:
        try:
            return _signature(os.stat(self.path))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise WatchListError(self.path, None, f"cannot read: {exc.strerror}") from exc

    def _read(self, *, settle_empty: bool = False) -> bool:
        """Read and parse; record what was read (signature) even when it is invalid.

        With ``settle_empty`` (a reload, not a read before a write) an empty file replacing
        a list with tasks is taken only once it is still the same empty file at the next
        call: an editor saving in place (nano, ``>``) truncates, then writes, and a reload
        in between must not drop every task (nor keep "the list as it was" empty when the
        new text turns out broken). Returns whether the file was taken.
        """
        try:
            data, st = read_regular(self.path, limit=MAX_WATCHLIST_BYTES)
        except FileNotFoundError:
            self._entries, self._top_extra = [], {}
            self._seen, self._broken = None, None
            self.reads += 1
            self._generation += 1
            return True
        except FileRefused as exc:
            raise WatchListError(self.path, None, exc.reason) from None
        except OSError as exc:
            raise WatchListError(self.path, None, f"cannot read: {exc.strerror}") from exc
        problem = access_problem(self.path, st)
        if problem is not None:
            # Not marked broken, and not taken as read: a chmod back to what was last read
            # must be enough to go on. Remembered so a reload says it once, not every poll;
            # every save still refuses such a file.
            self._refused = _signature(st)
            raise WatchListError(self.path, None, f"not read, since {problem}")
        signature = _signature(st)
        if settle_empty and not data and self._entries and self._empty_seen != signature:
            self._empty_seen = signature  # not adopted: the next call looks again
            return False
        self._empty_seen = None
        try:
            with collector_paused():
                entries, top_extra = self._parse(data)
        except WatchListError as exc:
            self._seen, self._broken = signature, exc
            raise
        self._entries, self._top_extra = entries, top_extra
        self._seen, self._broken = signature, None
        self._written = None
        self.reads += 1
        self._generation += 1
        return True

    def _parse(self, data: bytes) -> Parsed:
        cached = self._parsed.load(data)
        if cached is not None:
            try:
                return entries_from_doc(cached, "", self.path)
            except WatchListError:
                pass  # stricter checks than when it was cached: parse, to name the line
        doc, text = parse_toml(data, self.path)
        result = entries_from_doc(doc, text, self.path)
        self._unremembered = (data, doc)  # cached by remember_parsed, off the start-up path
        return result

    # -- writing ---------------------------------------------------------------------------

    def add(self, entries: Iterable[WatchEntry]) -> AddResult:
        """Add entries not watched yet; one write. Invalid entries refuse the whole call
        (``ValueError``/``InvalidTaskId``) before the file is touched. A staged add of one
        batch (:meth:`stage`): the one add path.
        """
        staged = self.stage()
        staged.feed(entries)
        return staged.commit()

    def stage(self) -> StagedAdd:
        """An add fed batch by batch and written once (:mod:`kling_tui.store.staging`): an
        import checks each list page's entries while the next page is on the wire."""
        with self._mutex:
            return StagedAdd(self, self._entries, self._generation)

    def commit_staged(self, staged: StagedAdd) -> AddResult:
        """Write what ``staged`` holds, in ONE write (:meth:`StagedAdd.commit`). Under the
        lock the file is re-read if it changed; if the list is not the one the stage was
        checked against, every staged entry is checked again against the list as it is."""
        with self._mutex, self._locked():
            if staged.generation != self._generation:
                staged.rebase(self._entries, self._generation)
            added = staged.added()
            duplicates, same_as = staged.duplicates()
            if added:
                tail = _Tail(len(added), staged.tables, staged.text())
                self._write([*self._entries, *added], tail=tail)
            return AddResult(added, duplicates, same_as)

    def remove(self, keys: Iterable[TaskKey]) -> list[WatchEntry]:
        """Remove these tasks; returns the removed entries (last state included) for undo."""
        wanted = set(keys)
        with self._mutex, self._locked():
            return self._remove_where(lambda e: e.key in wanted)

    def remove_ids(self, ids: Iterable[str]) -> list[WatchEntry]:
        """Remove every entry known by one of these ids (the one it was added by, or its
        Kling, relay or external id: ``WatchEntry.known_ids``), whatever its kind or gateway."""
        wanted = {i.strip() for i in ids}
        with self._mutex, self._locked():
            return self._remove_where(lambda e: not wanted.isdisjoint(e.known_ids))

    def _remove_where(self, match: Callable[[WatchEntry], bool]) -> list[WatchEntry]:
        keep, removed, positions = self._removals.split(self._entries, match)
        if removed:
            self._write(keep)
            self._removals.record(positions)
        return removed

    def restore(self, entries: Iterable[WatchEntry]) -> list[WatchEntry]:
        """Undo a removal: put entries back where they were, with their last state (see
        :meth:`RemovalLog.put_back <kling_tui.store.undo.RemovalLog.put_back>`). Entries
        already present are left alone; returns the ones put back.
        """
        given = [check_new_entry(e) for e in entries]
        with self._mutex, self._locked():
            result, restored = self._removals.put_back(self._entries, given)
            if restored:
                self._write(result)
                self._removals.forget(restored)
            return restored

    def update(
        self,
        entries: Iterable[WatchEntry],
        *,
        only_if: Callable[[WatchEntry, WatchEntry], bool] | None = None,
    ) -> int:
        """Write back the last snapshot / error of these entries, in ONE file write.

        Only ``snapshot``, ``last_checked``, ``last_error`` and ``state_since`` (when that
        state was first seen, stored beside the snapshot) are taken from the given
        entries; everything else comes from the file as it is now, so a label edited by
        hand (or by another process) meanwhile is kept, and a task removed meanwhile is not
        brought back. ``only_if(current, given)`` is asked under the lock, after the file
        was re-read: an import decided "newer" against what it read minutes ago, and a
        finish another process saved since must win. Returns how many entries were taken.
        """
        given = list(entries)
        if not given:
            return 0
        for entry in given:  # cheap: the fetcher builds these from the typed model
            if entry.snapshot is not None and not isinstance(entry.snapshot, TaskSnapshot):
                raise TypeError(f"snapshot of {entry.key} is {type(entry.snapshot).__name__}")
            if entry.last_error is not None and not isinstance(entry.last_error, FetchError):
                raise TypeError(f"last_error of {entry.key} is {type(entry.last_error).__name__}")
        return self._write_back(given, _take_state, only_if)

    def record_downloads(self, entries: Iterable[WatchEntry]) -> int:
        """Write back the downloads of these entries (``local_files``, ``download_error``),
        in ONE file write: the downloads' side of :meth:`update`.

        Only those two fields are taken from the given entries; the snapshot, label and
        everything else come from the file as it is now, so a dashboard polling meanwhile
        and a ``kling-tui download`` in another terminal never undo each other. A task
        removed meanwhile is not brought back. Returns how many entries were taken.
        """
        given = list(entries)
        if not given:
            return 0
        for entry in given:
            files = entry.local_files
            if type(files) is not tuple or not all(isinstance(f, LocalFile) for f in files):
                raise TypeError(f"local_files of {entry.key} must be a tuple of LocalFile")
        return self._write_back(given, _take_downloads)

    def _write_back(
        self,
        given: list[WatchEntry],
        take: Callable[[WatchEntry, WatchEntry], None],
        only_if: Callable[[WatchEntry, WatchEntry], bool] | None = None,
    ) -> int:
        """``update`` and ``record_downloads``: under the lock, for each given entry still
        in the list (by key) and passing ``only_if``, ``take(current, given)`` copies the
        fields that call owns; ONE write when any was taken. Returns how many were."""
        with self._mutex, self._locked():
            index = {e.key: e for e in self._entries}
            touched = 0
            for entry in given:
                current = index.get(entry.key)
                if current is None:
                    continue
                if only_if is not None and not only_if(current, entry):
                    continue
                touched += 1
                if current is not entry:
                    take(current, entry)
            if touched:
                self._write(self._entries)
            return touched

    def remember_parsed(self) -> bool:
        """Cache the parsed form of the file as this object last read or wrote it, so the
        next start reads it without parsing TOML. The dashboard calls this after its first
        frame (a list just parsed) and on quit (what its last save wrote).

        After a write, the file is parsed again (toml_rs: 0.1-0.2 s at 10,000 tasks, on
        quit, off the start-up path) if it is still byte for byte what was written, so
        the cache always holds the document of the bytes on disk. Returns whether it cached.
        """
        with self._mutex:
            if self.changed_on_disk():
                return False
            pending, self._unremembered = self._unremembered, None
            if pending is not None:
                self._parsed.store(*pending)
                return True
            if self._written is None:
                return False
            try:
                data, _ = read_regular(self.path, limit=MAX_WATCHLIST_BYTES)
                if data != self._written:
                    return False
                doc, _ = parse_toml(data, self.path)
            except (OSError, FileRefused, WatchListError):
                return False
            self._parsed.store(data, doc)
            return True

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive lock for one read-modify-write, with the file re-read if it changed.

        The lock: :func:`~kling_tui.store.lock.exclusive_lock`.
        """
        with exclusive_lock(self.path):
            if self._broken is not None and not self.changed_on_disk():
                b = self._broken
                raise WatchListError(b.path, b.line, b.message)
            if self._broken is not None or self.changed_on_disk():
                self._read()
            yield

    def _write(self, entries: list[WatchEntry], *, tail: _Tail | None = None) -> None:
        """Serialize and replace the file atomically; adopt ``entries`` only on success.

        ``tail``: the last entries' tables (and their text), built already (a staged add's).
        """
        try:
            with collector_paused():  # up to 10,000 tables and texts built at once
                data = "".join([HEADER, *self._serialize(entries, tail or _Tail())]).encode()
        except (UnicodeEncodeError, rtoml.TomlSerializationError) as exc:
            # a lone surrogate, e.g. from undecodable argv (rtoml wraps the encode error)
            raise ValueError(f"cannot save text that is not valid Unicode: {exc}") from None
        try:
            self._seen = self._atomic_write(data)
            self._written = data if len(data) >= PARSED_CACHE_MIN_BYTES else None
            self._unremembered = None
        except OSError as exc:
            raise WatchListError(
                self.path,
                None,
                f"could not save ({exc.strerror or exc}); the file on disk is unchanged",
            ) from exc
        self._entries = entries
        self._generation += 1

    def _serialize(self, entries: list[WatchEntry], tail: _Tail) -> list[str]:
        """The whole document (in pieces, joined once by :meth:`_write`: an import's text is
        megabytes), written by rtoml (Rust): 10,000 tasks in 0.04 s where tomli_w took
        0.42 s, so every save writes every task afresh and no per-task text is kept between
        saves. Tasks are always ``[[tasks]]`` tables.

        The last ``tail.count`` entries' tables are ``tail``'s; with its text (a staged
        add's, written as each batch was fed) and no other top-level key than ``version``,
        the document is that text after the rest: the same bytes, without serializing the
        new tasks again after an import's last page."""
        doc: dict[str, Any] = {"version": FORMAT_VERSION, **self._top_extra}
        head = [entry_to_table(e) for e in entries[: len(entries) - tail.count]]
        if tail.text is not None and not self._top_extra:
            if head:
                doc["tasks"] = head
            return [rtoml.dumps(doc), "\n", tail.text]
        doc["tasks"] = [*head, *tail.tables()]
        return [rtoml.dumps(doc)]

    def _atomic_write(self, data: bytes) -> _Signature:
        """Write ``data`` via a temporary file; returns the new file's signature."""
        target = Path(os.path.realpath(self.path))  # keep a symlinked watch list a symlink
        self._remove_stale_temps(target.parent, target.name)
        return _signature(atomic_write(target, data))

    @staticmethod
    def _remove_stale_temps(directory: Path, name: str) -> None:
        """Temporary files left by a writer that was killed mid-write (we hold the lock, so
        no live writer owns one)."""
        prefix = f".{name}."
        with contextlib.suppress(OSError), os.scandir(directory) as it:
            for item in it:
                if item.name.startswith(prefix) and item.name.endswith(".tmp"):
                    with contextlib.suppress(OSError):
                        os.unlink(item.path)
