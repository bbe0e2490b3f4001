"""A staged add: the entries an import finds, checked page by page, saved in ONE write.

An import of 10,000 tasks used to check, de-duplicate and serialize every new entry after
the last list page arrived, in one pass of about a quarter of a second, while the network
was idle. :meth:`WatchList.stage <kling_tui.store.watchlist.WatchList.stage>` returns a
:class:`StagedAdd` that is fed each page's entries as the page arrives (:meth:`feed`), so
that work is done while the next page is on the wire; :meth:`commit` then writes once.
``WatchList.add`` is a staged add of one batch: there is one add path, not two.

The duplicate check runs against the list as it was when the stage was opened, and again
at :meth:`commit` (under the file's lock) only when the list changed meanwhile (another
process saved, or this store wrote): the rule of ``add`` is kept, a task added elsewhere
meanwhile is a duplicate, not added twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import rtoml

from kling_tui.bulk import collector_paused
from kling_tui.models import WatchEntry
from kling_tui.store.codec import check_new_entry_plain, entry_to_table
from kling_tui.store.codec_text import plain_tasks_text
from kling_tui.store.ids import IdIndex

if TYPE_CHECKING:
    from kling_tui.store.watchlist import AddResult, WatchList

__all__ = ["StagedAdd"]


_Fed = tuple[int, WatchEntry, dict[str, Any] | None, WatchEntry | None]
"""One entry fed to the stage: its part (its place in the saved order), the entry, its
``[[tasks]]`` table (when rtoml wrote its text; None when ``codec_text`` did, or it is not
added) and the watched (or earlier fed) entry it repeats (None: it is added). A tuple:
10,000 are made at an import."""


class _Sorter:
    """The duplicate check of ``add``: by key, then by any known id on the same gateway and
    kind (:class:`~kling_tui.store.ids.IdIndex`), against a base list and what was added."""

    def __init__(self, base: list[WatchEntry]) -> None:
        # (id, kind, gateway) tuples: equal to, and hashed as, the entries' TaskKey
        self.known: dict[tuple[str, str, str], WatchEntry] = {
            (e.task_id, e.kind, e.gateway): e for e in base
        }
        self.index = IdIndex(base)

    def same_as(self, entry: WatchEntry) -> WatchEntry | None:
        """The entry ``entry`` repeats, or None after taking it in as added."""
        key = (entry.task_id, entry.kind, entry.gateway)
        watched = self.known.get(key)
        if watched is None:
            watched = self.index.claim(entry, entry.known_ids)
            if watched is None:
                self.known[key] = entry
        return watched


class StagedAdd:
    """Entries to add to one watch list, fed in batches, written by :meth:`commit`.

    Nothing is written before :meth:`commit`, and a stage never committed leaves the file
    as it was. Entries fed must not be changed before the commit (their text is written
    when fed). Not thread-safe: one caller feeds and commits.
    """

    def __init__(self, store: WatchList, base: list[WatchEntry], generation: int) -> None:
        self._store = store
        self._generation = generation
        self._sorter = _Sorter(base)
        self._fed: list[_Fed] = []
        self._texts: list[tuple[int, str]] | None = []
        """Each batch's ``[[tasks]]`` tables as TOML text (part, text), written as it was
        fed; None once a batch could not be (the commit then serializes the tables)."""
        self._committed = False

    @property
    def generation(self) -> int:
        """The store's generation (``WatchList`` counts each read and write) the duplicate
        check ran against."""
        return self._generation

    @property
    def staged(self) -> int:
        """How many entries are to be added so far."""
        return sum(1 for f in self._fed if f[3] is None)

    def feed(self, entries: Iterable[WatchEntry], *, part: int = 0) -> list[WatchEntry]:
        """Check and stage one batch; returns the entries of it that are to be added.

        An invalid entry refuses the whole batch (``ValueError``/``InvalidTaskId``, as
        ``add``) and stages none of it. ``part`` orders the save: entries are written by
        part, then in the order fed (an import's kinds arrive interleaved, and are saved
        kind by kind as before).
        """
        if self._committed:
            raise RuntimeError("this staged add was committed already")
        checked = [check_new_entry_plain(e) for e in entries]
        rows: list[tuple[WatchEntry, WatchEntry | None]] = []
        taken: list[WatchEntry] = []
        sorter = self._sorter
        with collector_paused():  # a page's entries and their text: none of it garbage
            for entry, _ in checked:
                watched = sorter.same_as(entry)
                rows.append((entry, watched))
                if watched is None:
                    taken.append(entry)
            tables = iter(self._write_text(part, taken, plain=all(p for _, p in checked)))
            self._fed.extend(
                (part, entry, None if watched is not None else next(tables, None), watched)
                for entry, watched in rows
            )
        return taken

    def _write_text(
        self, part: int, taken: list[WatchEntry], *, plain: bool
    ) -> list[dict[str, Any]]:
        """The batch's ``[[tasks]]`` TOML text, now rather than in the commit's one pass.

        Plain entries (``check_new_entry_plain``) are written directly (``codec_text``:
        the bytes rtoml writes, in half the time); others by rtoml from their tables, which
        are returned (in ``taken``'s order) so the commit need not build them again.
        """
        if not taken or self._texts is None:
            return []
        text = plain_tasks_text(taken, plain=True) if plain else None
        if text is not None:
            self._texts.append((part, text))
            return []
        tables = [entry_to_table(e) for e in taken]
        try:
            self._texts.append((part, rtoml.dumps({"tasks": tables})))
        except (UnicodeEncodeError, rtoml.TomlSerializationError, ValueError):
            self._texts = None  # the commit's own pass says what is wrong
        return tables

    def rebase(self, base: list[WatchEntry], generation: int) -> None:
        """Check every fed entry again against ``base`` (the list as it is now, re-read
        under the lock): another save came between :meth:`feed` and :meth:`commit`."""
        sorter = _Sorter(base)
        again: list[_Fed] = []
        for part, entry, table, was in self._fed:
            watched = sorter.same_as(entry)
            again.append((part, entry, table if watched is None else None, watched))
            if (watched is None) != (was is None):
                self._texts = None  # the batches' texts no longer hold what is added
        self._fed, self._sorter, self._generation = again, sorter, generation

    def _chosen(self) -> list[_Fed]:
        return sorted((f for f in self._fed if f[3] is None), key=lambda f: f[0])

    def added(self) -> list[WatchEntry]:
        """The entries to add, in save order (by part, then as fed)."""
        return [f[1] for f in self._chosen()]

    def tables(self) -> list[dict[str, Any]]:
        """The ``[[tasks]]`` tables of :meth:`added`, in the same order: those rtoml wrote
        when fed, the others built now (needed only when :meth:`text` is None, or the
        document has other top-level keys than ``version``)."""
        return [f[2] or entry_to_table(f[1]) for f in self._chosen()]

    def text(self) -> str | None:
        """The tables of :meth:`added` as TOML ``[[tasks]]`` text (in the same order), or
        None when it was not written as fed. Joined as one ``rtoml.dumps`` of the whole
        list would write it (``tests/unit/test_staged_add.py`` holds it to that)."""
        if self._texts is None:
            return None
        return "\n".join(text for _, text in sorted(self._texts, key=lambda t: t[0]))

    def duplicates(self) -> tuple[list[WatchEntry], list[WatchEntry]]:
        """The fed entries refused as duplicates, in the order fed, and what each repeats."""
        refused = [(f[1], f[3]) for f in self._fed if f[3] is not None]
        return [e for e, _ in refused], [w for _, w in refused if w is not None]

    def commit(self) -> AddResult:
        """Write every staged entry in ONE save (none when nothing is new); once only."""
        if self._committed:
            raise RuntimeError("this staged add was committed already")
        result = self._store.commit_staged(self)
        self._committed = True
        return result
