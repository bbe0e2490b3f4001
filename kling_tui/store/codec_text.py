"""The ``[[tasks]]`` TOML text of plain entries, written directly: the bytes rtoml writes.

An import stages 10,000 new entries, and turning each into its table
(:func:`~kling_tui.store.codec_write.entry_to_table`) and the tables into text
(``rtoml.dumps``) cost 14 µs an entry, a quarter of the import's CPU: rtoml formats every
datetime by asking Python for ``str(dt)`` and parsing it back, four times a task. For an
entry in the plain form an import builds (:func:`~kling_tui.store.codec_savable.plainly_savable`),
:func:`plain_tasks_text` writes the same text from the entry's fields with one f-string
per table, and a time shared by many entries (the import's ``added_at``, a page's
``fetched_at``) formatted once.

"The same text" is the contract, not a likeness: ``rtoml.dumps({"tasks": tables})`` of the
entries' tables, byte for byte (``tests/unit/test_codec_text.py`` holds it over generated
entries, each field's edge values included). Wherever rtoml would choose another form (a
string it escapes or quotes otherwise, a float it writes in another notation), or a type
is not exactly the plain one, the answer is None and the caller uses rtoml: no guess at a
form is ever written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, localcontext

from kling_tui.models import Image, Status, TaskSnapshot, Video, WatchEntry
from kling_tui.store.codec_savable import plainly_savable

__all__ = ["plain_tasks_text"]

_NOT_BARE = re.compile(r'[\x00-\x1f"\\\x7f\ud800-\udfff]')
"""What rtoml does not write as it is between double quotes: control characters (escaped,
or a multi-line string for a newline), a double quote or backslash (a literal string), a
lone surrogate (an error). Found by writing every code point (the test does it again)."""


class _NotPlain(Exception):
    """A value rtoml would write in another form than this module's: rtoml writes it."""


_SECONDS = tuple(f"{n:02}" for n in range(60))
_MILLIS = tuple(f".{n:03}".rstrip("0") if n else "" for n in range(1000))
"""A whole millisecond's fraction as rtoml writes it (``.06``; none for 0): the native
API's times are milliseconds."""


def _float(value: object) -> str:
    """rtoml's form of a float: Rust's shortest round-trip digits, never an exponent, which
    is Python's ``repr`` wherever that has none (``1e-05``, ``1e+16`` are left to rtoml) and
    the float is not a tie: both write the fewest digits that read back as the same float,
    but where two such are equally near (``1 + 2**-17``) Python takes the even one and Rust
    the one above, so a repr of 16 digits or more is checked (:func:`_tie`)."""
    if type(value) is not float:
        raise _NotPlain
    text = repr(value)
    if "e" in text or "n" in text or (len(text) > 16 and _tie(value, text)):
        raise _NotPlain  # an exponent, inf, nan; a tie
    return text


def _tie(value: float, text: str) -> bool:
    """Whether ``text`` (``repr(value)``) is exactly half a unit of its last digit away
    from ``value``: then another as short form is as near, and rtoml may write that one."""
    with localcontext(prec=1200):  # exact: a float has at most 1,074 fraction digits
        shown = Decimal(text)
        unit = Decimal(1).scaleb(shown.as_tuple().exponent)
        return abs(Decimal(value) - shown) * 2 == unit


class _Writer:
    """One batch's text: the times formatted so far, and every text written (checked once,
    at the end, by :func:`plain_tasks_text`)."""

    __slots__ = ("known", "minutes", "texts")

    def __init__(self) -> None:
        self.known: dict[int, tuple[datetime, str]] = {}
        """Times by object: one many entries share (an import's ``added_at``, a page's
        ``fetched_at``) is formatted once. The time is kept with its text: an id is only
        that object's while it lives (a sequence may build its entries afresh)."""
        self.minutes: dict[int, str] = {}
        """The ``YYYY-MM-DDTHH:MM:`` of each minute met (by minutes since year 1): a time
        of a minute met before costs a third of ``isoformat`` (tasks are made, and finish,
        in bursts)."""
        self.texts: list[str] = []

    def time(self, t: datetime) -> str:
        """rtoml's form of an aware UTC time: ``2026-12-03T15:52:52.84Z`` (fraction trimmed)."""
        known = self.known.get(id(t))
        if known is not None and known[0] is t:
            return known[1]
        if type(t) is not datetime or t.tzinfo is not UTC:
            raise _NotPlain
        key = t.toordinal() * 1440 + t.hour * 60 + t.minute
        head = self.minutes.get(key)
        if head is None:
            head = self.minutes[key] = t.isoformat()[:17]
        micro = t.microsecond
        if micro % 1000:
            text = f"{head}{_SECONDS[t.second]}.{str(micro + 1_000_000)[1:].rstrip('0')}Z"
        else:
            text = f"{head}{_SECONDS[t.second]}{_MILLIS[micro // 1000]}Z"
        self.known[id(t)] = (t, text)
        return text

    def put(self, lines: list[str], key: str, text: str | None) -> None:
        """An optional text key: written when not None, its text kept for the final check."""
        if text is not None:
            self.texts.append(text)
            lines.append(f'{key} = "{text}"\n')

    def video(self, v: Video, header: str) -> str:
        if type(v) is not Video:
            raise _NotPlain
        vid, url, duration = v.id, v.url, v.duration
        if vid is not None and url is not None and duration is not None and v.watermark_url is None:
            self.texts += (vid, url)  # a finished task's video as Kling lists it: one f-string
            return f'{header}id = "{vid}"\nurl = "{url}"\nduration = {_float(duration)}\n'
        lines = [header]
        self.put(lines, "id", vid)
        self.put(lines, "url", url)
        if duration is not None:
            lines.append(f"duration = {_float(duration)}\n")
        self.put(lines, "watermark_url", v.watermark_url)
        return "".join(lines)

    def image(self, i: Image) -> str:
        if type(i) is not Image or not (i.index is None or type(i.index) is int):
            raise _NotPlain
        lines = ["\n[[tasks.last.images]]\n"]
        if i.index is not None:
            lines.append(f"index = {i.index}\n")
        self.put(lines, "url", i.url)
        self.put(lines, "watermark_url", i.watermark_url)
        return "".join(lines)

    def rare(self, s: TaskSnapshot) -> str:
        """The keys after ``fetched_at``, which most listed tasks do not have."""
        lines = []
        if s.final_unit_deduction is not None:
            lines.append(f"final_unit_deduction = {_float(s.final_unit_deduction)}\n")
        if s.quota is not None:
            lines.append(f"quota = {_float(s.quota)}\n")
        self.put(lines, "kling_task_id", s.kling_task_id)
        self.put(lines, "model", s.model)
        if s.expires_at is not None:
            lines.append(f"expires_at = {self.time(s.expires_at)}\n")
        if s.progress_synthetic:
            lines.append("progress_synthetic = true\n")
        return "".join(lines)

    def snapshot(self, s: TaskSnapshot, entry_id: str) -> str:
        """The ``[tasks.last]`` table and its sub-tables, keys in ``_snapshot_table``'s order
        (rtoml writes a table's plain values first, then its arrays of tables, then tables).
        The keys every task has are one f-string: an append per key cost twice as much."""
        status, status_raw, message, progress = s.status, s.status_raw, s.message, s.progress
        created, updated, external, tid = s.created_at, s.updated_at, s.external_task_id, s.task_id
        if type(status) is not Status:
            raise _NotPlain
        texts, time = self.texts, self.time
        texts += (status_raw, message)
        if tid == entry_id:
            own = ""
        else:
            texts.append(tid)
            own = f'task_id = "{tid}"\n'
        done = "" if progress is None else f"progress = {_float(progress)}\n"
        if external is None:
            told = ""
        else:
            texts.append(external)
            told = f'external_task_id = "{external}"\n'
        made = "" if created is None else f"created_at = {time(created)}\n"
        moved = "" if updated is None else f"updated_at = {time(updated)}\n"
        text = (
            f'\n[tasks.last]\n{own}status = "{status.value}"\nstatus_raw = "{status_raw}"\n'
            f'{done}message = "{message}"\n{told}{made}{moved}fetched_at = {time(s.fetched_at)}\n'
        )
        if (
            s.final_unit_deduction is not None
            or s.quota is not None
            or s.kling_task_id is not None
            or s.model is not None
            or s.expires_at is not None
            or s.progress_synthetic
        ):
            text += self.rare(s)
        videos, images, parent = s.videos, s.images, s.parent_video
        if videos:
            text += "".join([self.video(v, "\n[[tasks.last.videos]]\n") for v in videos])
        if images:
            text += "".join([self.image(i) for i in images])
        if parent is not None:
            text += self.video(parent, "\n[tasks.last.parent_video]\n")
        return text

    def entry(self, e: WatchEntry) -> str:
        task_id, gateway, label = e.task_id, e.gateway, e.label
        self.texts += (task_id, gateway)
        flag = "external = true\n" if e.external else ""
        if label is None:
            named = ""
        else:
            self.texts.append(label)
            named = f'label = "{label}"\n'
        head = (
            f'[[tasks]]\nid = "{task_id}"\nkind = "{e.kind}"\ngateway = "{gateway}"\n'
            f"{flag}{named}added_at = {self.time(e.added_at)}\n"
        )
        snapshot = e.snapshot
        return head if snapshot is None else head + self.snapshot(snapshot, task_id)


def plain_tasks_text(entries: Sequence[WatchEntry], *, plain: bool = False) -> str | None:
    """``rtoml.dumps({"tasks": [entry_to_table(e) for e in entries]})``, written directly,
    or None when an entry is not plain (:func:`plainly_savable`) or holds a value rtoml
    writes in another form: the caller then writes the tables with rtoml.

    ``plain``: the caller tested every entry with :func:`plainly_savable` already (a staged
    add, through ``check_new_entry_plain``), and none has changed since.

    Every text is written between double quotes as it is, so every one is collected and
    tested at the end in one pass (:data:`_NOT_BARE`) rather than one search per field.
    """
    if not entries or (not plain and not all(map(plainly_savable, entries))):
        return None  # none: rtoml writes ``tasks = []``, which no caller wants here
    writer = _Writer()
    try:
        blocks = [writer.entry(e) for e in entries]
        if _NOT_BARE.search("".join(writer.texts)):
            return None
    except (_NotPlain, TypeError):  # TypeError: a text that is not a str (an unchecked entry)
        return None
    return "\n".join(blocks)
