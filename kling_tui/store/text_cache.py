"""Each task's ``[[tasks]]`` text as last written, so a save re-serialises only what changed.

A save rewrites the whole file, but between two saves of a 10,000-task list only the
tasks polled meanwhile changed: their text is made again (by tomli_w), the rest is reused.
Without it a poll batch's save of 10,000 tasks costs a whole ``tomli_w.dumps``, and the
CPU per poll no longer stays flat from 100 to 10,000 watched tasks (``poll_scaling_ratio``
in ``bench/run.py``).

Whenever tomli_w itself writes the tasks as tables, the text is byte for byte its dump of
the whole document (a unit test holds it to that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tomli_w

from kling_tui.models import WatchEntry
from kling_tui.store.codec import FORMAT_VERSION, EntryState, table_of

_NOT_INLINE = {"_": "x" * 200}
"""A table tomli_w cannot write inline (longer than a line): see ``_Chunk.made_for``."""
_TASK_START = "[[tasks]]\n"
_TASK_SEPARATOR = "\n\n[[tasks]]\n"


@dataclass(slots=True)
class _Chunk:
    """One entry's ``[[tasks]]`` text as last written, and the reading it was made from.

    A save rewrites the whole file, but between two saves of a 10,000-task list only the
    tasks polled meanwhile changed: their text is made again, the rest is reused. Holding
    the reading (snapshot and error objects included) also means an address is never
    reused for a different object.
    """

    entry: WatchEntry
    state: EntryState
    text: str

    def current_for(self, entry: WatchEntry) -> bool:
        return self.entry is entry and self.state.is_of(entry)

    @classmethod
    def made_for(cls, entries: list[WatchEntry]) -> list[_Chunk] | None:
        """The chunks of these entries, from ONE ``tomli_w.dumps`` call (10,000 small calls
        cost twice as much as one big one), cut apart at the ``[[tasks]]`` headers.

        A chunk's ``text`` is the table's body: no ``[[tasks]]`` line, no final newline.
        tomli_w writes an array whose tables are all small as one inline array instead; a
        last table too long for a line rules that out, and is cut off again. ``None`` if
        the text is not cut the way expected (then the caller dumps the whole document).
        """
        states = [EntryState.of(e) for e in entries]
        text = tomli_w.dumps({"tasks": [*map(table_of, states), _NOT_INLINE]})
        # Strings are written on one line with escapes, so the separator can only start
        # the array's next table; the count check is the safety net.
        bodies = text[len(_TASK_START) : -1].split(_TASK_SEPARATOR)
        if not text.startswith(_TASK_START) or len(bodies) != len(entries) + 1:
            return None
        return [cls(e, st, body) for e, st, body in zip(entries, states, bodies, strict=False)]


def _document(bodies: list[str]) -> str:
    return f"version = {FORMAT_VERSION}\n\n{_TASK_START}{_TASK_SEPARATOR.join(bodies)}\n"


class TextCache:
    """The chunks of the entries last saved, keyed by ``id(entry)`` (each chunk holds its
    entry, so an address is never reused while it is in here)."""

    def __init__(self) -> None:
        self._chunks: dict[int, _Chunk] = {}

    def clear(self) -> None:
        self._chunks = {}

    def document(self, entries: list[WatchEntry]) -> str | None:
        """The document of these entries (and no other top-level key), reusing the text of
        the ones that did not change; ``None`` when tomli_w's output was not cut as
        expected (the caller then dumps the whole document)."""
        stale: list[WatchEntry] = []
        found: list[_Chunk | None] = []
        previous = self._chunks
        for entry in entries:
            chunk = previous.get(id(entry))
            if chunk is None or not chunk.current_for(entry):
                chunk = None
                stale.append(entry)
            found.append(chunk)
        fresh = _Chunk.made_for(stale) if stale else []
        if fresh is None:
            self._chunks = {}
            return None
        made = iter(fresh)
        chunks = [c if c is not None else next(made) for c in found]
        self._chunks = {id(c.entry): c for c in chunks}
        return _document([c.text for c in chunks])

    def saved_document(self, entries: list[WatchEntry]) -> tuple[str, dict[str, Any]] | None:
        """The text last saved for these entries and its parsed form, if every entry is
        still in the state its saved text was made from; else ``None``.

        Each entry is read once (the poller may be applying results meanwhile): every
        reading must be the one its text was made from; then the tables of those readings
        are the text's document.
        """
        bodies: list[str] = []
        tables: list[dict[str, Any]] = []
        for entry in entries:
            state = EntryState.of(entry)
            chunk = self._chunks.get(id(entry))
            if chunk is None or chunk.entry is not entry or chunk.state != state:
                return None  # changed in memory since the last save
            bodies.append(chunk.text)
            tables.append(table_of(state))
        if not bodies:
            return None
        return _document(bodies), {"version": FORMAT_VERSION, "tasks": tables}
