"""Which tasks a filter matches, decided without Textual: row state and the filter language.

Pure Python shared by the dashboard (``ui/view.py`` re-exports these names) and the headless
commands (``kling-tui export --filter``), so ``/`` in the table and ``--filter`` on the
command line read the same language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kling_tui.expiry import is_expiring
from kling_tui.kinds import KIND_SPECS, parse_kind
from kling_tui.models import Status, WatchEntry, utcnow


class RowState(StrEnum):
    """The badge a row shows: the task's status, or why we do not know it."""

    PENDING = "pending"  # never checked yet
    SUBMITTED = "submitted"
    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"
    ERROR = "error"  # never answered successfully, last try failed
    STUCK = "stuck"  # unfinished, not moved for far longer than its kind takes (eta.is_stuck)


def row_state(entry: WatchEntry) -> RowState:
    """The badge of a row. A row with an old snapshot and a fresh error is ``stale`` (see below).

    A stuck task shows ``stuck`` instead of its status (the detail pane names both) and is
    counted as stuck, not as submitted / in progress: the header then adds up.
    """
    snap = entry.snapshot
    if snap is None:
        return RowState.ERROR if entry.last_error is not None else RowState.PENDING
    if entry.stuck and not snap.status.terminal:
        return RowState.STUCK
    return _STATE_OF[snap.status]


_STATE_OF: dict[Status, RowState] = {s: RowState(s.value) for s in Status}
"""A status's badge, looked up (0.015 µs, not 0.45 for ``RowState(value)``): every row
asks twice at start-up (counts and sort order), 10,000 rows in bench/run.py."""


def is_stale(entry: WatchEntry) -> bool:
    """True when the last poll failed but an older snapshot is still shown."""
    return entry.snapshot is not None and entry.last_error is not None


# -- filter ------------------------------------------------------------------------------

_STATUS_ALIASES: dict[str, str] = {
    "submitted": "submitted",
    "queued": "submitted",
    "in_progress": "in_progress",
    "in-progress": "in_progress",
    "inprogress": "in_progress",
    "progress": "in_progress",
    "running": "in_progress",
    "processing": "in_progress",
    "succeeded": "succeeded",
    "success": "succeeded",
    "succeed": "succeeded",
    "done": "succeeded",
    "ok": "succeeded",
    "failed": "failed",
    "fail": "failed",
    "failure": "failed",
    "unknown": "unknown",
    "error": "error",
    "errors": "error",
    "err": "error",
    "stale": "stale",
    "pending": "pending",
    "stuck": "stuck",
    "stalled": "stuck",
    "sub": "submitted",
    "run": "in_progress",
    "finished": "finished",
    "active": "active",
    "expiring": "expiring",
    "expires": "expiring",
    "exp": "expiring",
}


FILTER_KEYS: dict[str, str] = {
    "status": "status",
    "s": "status",
    "is": "status",
    "kind": "kind",
    "k": "kind",
    "gw": "gateway",
    "gateway": "gateway",
    "g": "gateway",
    "id": "id",
    "label": "label",
    "l": "label",
    "model": "model",
    "m": "model",
}
"""Filter keys as typed -> the field they filter on."""

_VALUE_WORDS: dict[str, str] = {
    "status": "status: submitted in_progress succeeded failed unknown pending error stale "
    "stuck active finished expiring",
    "kind": "kind: " + " ".join(spec.short for spec in KIND_SPECS.values()) + " (or the full name)",
    "gateway": "gw: a gateway name, or its start",
    "id": "id: a task id (relay, Kling or external), or its start",
    "label": "label: text the task's label contains",
    "model": "model: a model name (kling-v2-1...), or part of it",
}
_KEY_WORDS = (
    "filters: status:, kind:, gw:, id:, label:, model: and plain words; ! before a term negates it"
)
_KEY_SHAPE = re.compile(r"[a-z][a-z_-]*")
MAX_FILTER_CHARS = 500
"""A filter longer than this is cut (a pasted page is not a filter; it is persisted too)."""


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """A parsed filter: ``status:failed``, ``kind:text2video``, ``gw:main``, ``id:…``,
    ``label:…``, ``model:…``, free words, and any of them negated with ``!``.
    ``status:expiring``: a succeeded task with under three days left on its result URL,
    not downloaded (``kling_tui.expiry.is_expiring``).

    Terms are ANDed. Several values of one key (``status:failed,error`` or repeated)
    match any of them; ``id:`` matches a task by any of its ids (``WatchEntry.known_ids``:
    the one added, the relay's, Kling's, the external one) or their start; every free word
    must appear in the ids, label, message or last error. ``!term`` (or ``key:!value``)
    keeps only the tasks the term does not match: each negated term is a filter of its own
    in ``excluded``.
    ``hide_finished_before`` (the ``h`` toggle, not typed) hides succeeded tasks that
    finished at or before that moment.
    A filter with ``problems`` (a term it cannot understand) matches no task: showing every
    row would look like a filter that worked.
    """

    statuses: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    gateways: frozenset[str] = frozenset()
    words: tuple[str, ...] = ()
    ids: frozenset[str] = frozenset()
    problems: tuple[str, ...] = ()
    text: str = ""
    hint: str = ""
    """What would have been understood instead of the first problem."""
    labels: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    excluded: tuple[TaskFilter, ...] = ()
    hide_finished_before: datetime | None = None

    @property
    def active(self) -> bool:
        return bool(
            self.statuses
            or self.kinds
            or self.gateways
            or self.words
            or self.ids
            or self.problems
            or self.labels
            or self.models
            or self.excluded
            or self.hide_finished_before is not None
        )

    def matches(self, entry: WatchEntry, now: datetime | None = None) -> bool:
        """``now``: for ``status:expiring`` (the dashboard passes its own clock)."""
        if self.problems:
            return False
        if self.hide_finished_before is not None and _finished_before(
            entry, self.hide_finished_before
        ):
            return False
        if self.statuses and not self._status_matches(entry, now):
            return False
        if self.kinds and entry.kind.casefold() not in self.kinds:
            return False
        if self.gateways and not self._gateway_matches(entry.gateway.casefold()):
            return False
        if self.ids and not self._id_matches(entry):
            return False
        if self.labels:
            label = (entry.label or "").casefold()
            if not any(wanted in label for wanted in self.labels):
                return False
        if self.models:
            snap = entry.snapshot
            model = (snap.model or "").casefold() if snap is not None else ""
            if not model or not any(wanted in model for wanted in self.models):
                return False
        if self.words:
            haystack = _haystack(entry)
            if not all(word in haystack for word in self.words):
                return False
        return not any(other.matches(entry, now) for other in self.excluded)

    def _gateway_matches(self, gateway: str) -> bool:
        """A name, or its start (the Gateway column cuts long names: ``gw:demo`` works)."""
        return any(gateway.startswith(wanted) for wanted in self.gateways)

    def _id_matches(self, entry: WatchEntry) -> bool:
        """One of the task's ids is, or starts with, one of the ids asked for."""
        known = [i.casefold() for i in entry.known_ids]
        return any(k.startswith(wanted) for wanted in self.ids for k in known)

    def _status_matches(self, entry: WatchEntry, now: datetime | None) -> bool:
        state = row_state(entry)
        for wanted in self.statuses:
            if wanted == "expiring":
                if is_expiring(entry, now or utcnow()):
                    return True
                continue
            if wanted == "error" and entry.last_error is not None:
                return True
            if wanted == "stale" and is_stale(entry):
                return True
            if wanted == "finished" and entry.finished:
                return True
            if wanted == "active" and not entry.finished:
                return True
            if wanted == state.value:
                return True
            snap = entry.snapshot
            if state is RowState.STUCK and snap is not None and wanted == snap.status.value:
                return True  # a stuck task is still in progress (or queued) too
        return False


def _finished_before(entry: WatchEntry, cutoff: datetime) -> bool:
    """What ``h`` hides: a succeeded task that is downloaded (its results are home), or
    whose end (its last update, else the answer's time) is not after ``cutoff``."""
    snap = entry.snapshot
    if snap is None or snap.status is not Status.SUCCEEDED:
        return False
    return bool(entry.local_files) or (snap.updated_at or snap.fetched_at) <= cutoff


def _haystack(entry: WatchEntry) -> str:
    parts = [*entry.known_ids, entry.label or "", entry.kind, entry.gateway]
    snap = entry.snapshot
    if snap is not None:
        parts += [snap.message, snap.status_raw]
    if entry.last_error is not None:
        parts.append(entry.last_error.message)
    return "\n".join(parts).casefold()


def split_terms(text: str) -> list[str]:
    """Whitespace-separated terms; double quotes keep spaces (``status:"in progress"``).

    An unclosed quote runs to the end, so a term being typed is never lost.
    """
    terms: list[str] = []
    current: list[str] = []
    quoted = False
    pending = False  # a term was started (an empty pair of quotes is still a term)
    for char in text:
        if char == '"':
            quoted = not quoted
            pending = True
        elif char.isspace() and not quoted:
            if pending:
                terms.append("".join(current))
                current, pending = [], False
        else:
            current.append(char)
            pending = True
    if pending:
        terms.append("".join(current))
    return terms


def _status_value(word: str) -> str | None:
    return _STATUS_ALIASES.get(word) or _STATUS_ALIASES.get(word.replace(" ", "_"))


@dataclass(slots=True)
class _Terms:
    """What the terms of one filter (or of one negated term) add up to, while parsing."""

    statuses: set[str]
    kinds: set[str]
    gateways: set[str]
    ids: set[str]
    words: list[str]
    labels: list[str]
    models: list[str]
    excluded: list[TaskFilter]
    problems: list[str]
    hints: list[str]

    @classmethod
    def empty(cls) -> _Terms:
        return cls(set(), set(), set(), set(), [], [], [], [], [], [])

    def problem(self, message: str, hint: str) -> None:
        self.problems.append(message)
        self.hints.append(hint)

    def build(self, text: str) -> TaskFilter:
        return TaskFilter(
            statuses=frozenset(self.statuses),
            kinds=frozenset(self.kinds),
            gateways=frozenset(self.gateways),
            words=tuple(self.words),
            ids=frozenset(self.ids),
            problems=tuple(self.problems),
            text=text,
            hint=self.hints[0] if self.hints else "",
            labels=tuple(self.labels),
            models=tuple(self.models),
            excluded=tuple(self.excluded),
        )


def _negated(term: str, into: _Terms) -> None:
    """``!term``: the term parsed on its own, kept as a filter the task must not match."""
    inner = _Terms.empty()
    if not term:
        inner.problem("'!' needs a term after it (!status:succeeded, !word)", _KEY_WORDS)
    elif term.startswith("!"):
        inner.problem(f"'!!' is not a term: !{term}", _KEY_WORDS)
    else:
        _term(term, inner)
    into.problems += inner.problems
    into.hints += inner.hints
    if not inner.problems:
        into.excluded.append(inner.build(term))


def _value(field_name: str, name: str, word: str, into: _Terms) -> None:
    """One value of a ``key:value`` term (``key:!value`` negates it)."""
    if word.startswith("!"):
        _negated(f"{name}:{word[1:]}" if word[1:] else "", into)
    elif field_name == "status":
        canonical = _status_value(word)
        if canonical is None:
            into.problem(f"unknown status {word!r}", _VALUE_WORDS[field_name])
        else:
            into.statuses.add(canonical)
    elif field_name == "kind":
        kind = parse_kind(word)  # any spelling the table shows, or a path
        if kind is None:
            into.problem(f"unknown kind {word!r}", _VALUE_WORDS[field_name])
        else:
            into.kinds.add(kind.value)
    elif field_name == "id":
        into.ids.add(word)
    elif field_name == "label":
        into.labels.append(word)
    elif field_name == "model":
        into.models.append(word)
    else:
        into.gateways.add(word)


def _term(term: str, into: _Terms) -> None:
    if term.startswith("!"):
        _negated(term[1:], into)
        return
    name, sep, value = term.partition(":")
    name = name.casefold()
    field_name = FILTER_KEYS.get(name) if sep else None
    if field_name is None:
        if sep and _KEY_SHAPE.fullmatch(name) and (value[:1].isalnum() or value[:1] == "!"):
            into.problem(f"unknown filter {name}:", _KEY_WORDS)
        else:
            into.words.append(term.casefold())
        return
    negated = value.lstrip()
    if negated.startswith("!"):  # status:!failed,error is !status:failed,error: neither
        _negated(f"{name}:{negated[1:]}" if negated[1:].strip() else "", into)
        return
    if field_name in ("label", "model"):
        values = [value.casefold().strip()] if value.strip() else []  # a label may hold commas
    else:
        values = [v.strip() for v in value.casefold().split(",") if v.strip()]
    if not values:
        into.problem(f"{name}: needs a value", _VALUE_WORDS[field_name])
    for word in values:
        _value(field_name, name, word, into)


def parse_filter(text: str) -> TaskFilter:
    """Parse what the user typed after ``/`` (or ``--filter`` on the command line).

    Terms are ANDed; ``!`` before a term (or a value) negates it. Nothing is dropped
    quietly: an unknown key (``foo:bar``), an unknown status or kind, a key with no value
    and a ``!`` with nothing after it each become a ``problem`` that the filter bar shows,
    and the filter then matches nothing. Text is cut at ``MAX_FILTER_CHARS``.
    """
    text = text[:MAX_FILTER_CHARS]
    terms = _Terms.empty()
    for term in split_terms(text):
        _term(term, terms)
    return terms.build(text.strip())
