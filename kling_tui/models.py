"""The one status model every part of kling-tui speaks.

Gateways answer in four envelopes (see ``normalize``); everything downstream of the
fetcher — the poller, the watch list, the dashboard, the headless commands — only ever
sees the types in this module. They are frozen dataclasses so a snapshot can be shared
between the poller and the UI without anyone mutating it behind the other's back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from kling_tui.kinds import Kind

__all__ = [
    "ERROR_POLICY",
    "RETRY_AFTER_CAP",
    "ErrorPolicy",
    "ErrorType",
    "FetchError",
    "FetchResult",
    "GatewayState",
    "Image",
    "Kind",
    "LocalFile",
    "Status",
    "TaskKey",
    "TaskSnapshot",
    "Video",
    "WatchEntry",
    "snapshot_json",
    "utcnow",
]


class Status(StrEnum):
    """Normalized task status. ``raw`` words from the server are kept beside it."""

    SUBMITTED = "submitted"
    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @property
    def terminal(self) -> bool:
        """Finished tasks are not polled again unless the operator asks."""
        return self in _TERMINAL


_TERMINAL = frozenset({Status.SUCCEEDED, Status.FAILED})
"""Looked up, not compared with two class attributes: 0.08 µs instead of 0.21, and a
10,000-task start asks every task several times before its first frame."""


class ErrorType(StrEnum):
    """Why a fetch failed. Each type implies a different operator action.

    What a type *means* to the program (retried inside a fetch? stops the task? blames
    the gateway? needs the operator?) is decided once, in ``ERROR_POLICY`` below; the
    fetcher, the scheduler, the poller and ``wait`` all read it from there.
    """

    AUTH = "auth"
    ACCOUNT = "account"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    SERVER = "server"
    NETWORK = "network"
    TIMEOUT = "timeout"
    BAD_RESPONSE = "bad_response"
    INVALID_ID = "invalid_id"

    @property
    def policy(self) -> ErrorPolicy:
        """This type's row of ``ERROR_POLICY``."""
        return ERROR_POLICY[self]


class GatewayState(StrEnum):
    """What the scheduler knows about one whole gateway (``Scheduler.gateway_state``)."""

    OK = "ok"
    BACKING_OFF = "backing_off"
    """Blocked by a Retry-After, or some of its tasks wait out an error backoff."""
    AUTH_FAILED = "auth_failed"
    ACCOUNT = "account"

    @property
    def failing(self) -> bool:
        """The gateway refuses us (token or account): its tasks are slowed until a good answer."""
        return self in (GatewayState.AUTH_FAILED, GatewayState.ACCOUNT)


@dataclass(frozen=True, slots=True)
class ErrorPolicy:
    """What one error type means to the program. One row per ``ErrorType``."""

    retried_by_fetcher: bool = False
    """Retried with backoff inside one fetch (``Fetcher``). Two fetcher details on top:
    a Retry-After longer than ``RetryPolicy.max_inline_wait`` is handed to the scheduler at
    once, and a refused connection or an unknown host name (a NETWORK error, told apart by
    the exception, not the type) is not retried inline."""
    stops_task: bool = False
    """The task is not polled again until refreshed (``Scheduler``)."""
    gateway_state: GatewayState | None = None
    """Not None: the error blames the whole gateway, which enters this state until a good
    answer, its tasks slowed to the slowest rate (``Scheduler``; the poller reports
    ``auth failed``)."""
    retry_after_blocks_gateway: bool = False
    """A Retry-After on this error blocks every task of the gateway that long (``Scheduler``;
    the gateway is ``BACKING_OFF`` meanwhile). Only a rate limit speaks for the gateway."""
    needs_operator: bool = False
    """Waiting cannot fix it: ``wait`` gives up on the task instead of waiting on."""


ERROR_POLICY: dict[ErrorType, ErrorPolicy] = {
    ErrorType.AUTH: ErrorPolicy(gateway_state=GatewayState.AUTH_FAILED, needs_operator=True),
    ErrorType.ACCOUNT: ErrorPolicy(gateway_state=GatewayState.ACCOUNT, needs_operator=True),
    ErrorType.NOT_FOUND: ErrorPolicy(stops_task=True, needs_operator=True),
    ErrorType.INVALID_ID: ErrorPolicy(stops_task=True, needs_operator=True),
    ErrorType.RATE_LIMITED: ErrorPolicy(retried_by_fetcher=True, retry_after_blocks_gateway=True),
    ErrorType.SERVER: ErrorPolicy(retried_by_fetcher=True),
    ErrorType.NETWORK: ErrorPolicy(retried_by_fetcher=True),
    ErrorType.TIMEOUT: ErrorPolicy(retried_by_fetcher=True),
    # An answer we could not use (garbled or cut-off JSON, an HTML page, a 400, a policy
    # refusal, a redirect, a body over the size cap, an unknown gateway name): the same
    # request seconds later almost always gets the same answer, so the fetcher does not
    # retry it inline (that would only multiply the load and delay the report). But a relay
    # that hiccups is fixed by a later poll, and it is no human's job yet: the task keeps
    # being polled with error backoff, and ``wait`` keeps waiting.
    ErrorType.BAD_RESPONSE: ErrorPolicy(),
}
"""The one error policy. A new ``ErrorType`` without a row here fails the policy test."""

RETRY_AFTER_CAP = 600.0
"""The longest Retry-After (seconds) a server may impose: a longer one is taken as this
(normalize caps what it parses; the scheduler caps again what it is given)."""


def utcnow() -> datetime:
    """Aware UTC now; one place so tests can reason about time zones."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Video:
    """One result video. ``url`` is as the server sent it (cleaned): validate before opening."""

    id: str | None
    url: str | None
    duration: float | None  # seconds
    watermark_url: str | None = None
    """The watermarked copy (``task_result.videos[].watermark_url``), when watermarking was on."""


@dataclass(frozen=True, slots=True)
class Image:
    """One result image of an image task (``task_result.images[]``). ``url`` as for ``Video``."""

    index: int | None
    url: str | None
    watermark_url: str | None = None


@dataclass(frozen=True, slots=True)
class TaskSnapshot:
    """What one successful status query told us about one task."""

    task_id: str
    kind: str
    status: Status
    status_raw: str
    progress: float | None
    videos: tuple[Video, ...]
    message: str
    external_task_id: str | None
    created_at: datetime | None
    updated_at: datetime | None
    fetched_at: datetime
    raw: str | None = field(default=None, compare=False, repr=False)
    """The answer's body as text (cleaned, capped), for the detail pane's raw toggle."""
    images: tuple[Image, ...] = ()
    """Results of an image task (kinds whose ``Media`` is ``IMAGE``)."""
    parent_video: Video | None = None
    """The video an extend / lip-sync task worked on (``task_info.parent_video``)."""
    final_unit_deduction: float | None = None
    """What the task cost, in Kling units (the answer sends a string; kept as a number)."""
    kling_task_id: str | None = None
    """Kling's own id when the answer's ``task_id`` is another one (a relay's ``task_…``
    id, with Kling's id only inside the relay's copy of the upstream answer)."""
    model: str | None = None
    """The model that renders the task (``kling-v2-1``...), when the answer names it: render
    times are learned per kind and model."""
    progress_synthetic: bool = False
    """``progress`` is one of a relay record's synthetic steps (0/10/20/30/100 %, shape A/C):
    no rate can be read from it (``polling.eta.reads_synthetic``)."""
    expires_at: datetime | None = None
    """When the gateway says the result stops being served (an answer's ``expires_at``);
    None: it did not say, and ``kling_tui.expiry`` counts 30 days from the finish."""
    quota: float | None = None
    """What a new-api relay charged for the task (its record's ``quota``, relay units, not
    Kling units): the relay's cost, summed apart from ``final_unit_deduction``."""

    @property
    def result_urls(self) -> tuple[str, ...]:
        """Every result URL (videos, then images) in order: what open / copy act on."""
        urls = [v.url for v in self.videos if v.url]
        urls.extend(i.url for i in self.images if i.url)
        return tuple(urls)

    @property
    def status_label(self) -> str:
        """``unknown (word)`` keeps an unexpected status word visible."""
        if self.status is Status.UNKNOWN and self.status_raw:
            return f"unknown ({self.status_raw})"
        return self.status.value

    @classmethod
    def bare(
        cls, task_id: str, kind: str, status: Status, fetched_at: datetime, **rest: Any
    ) -> TaskSnapshot:
        """An answer that tells only a status: no videos, message, external id or times,
        and ``status_raw`` the status's own word, unless ``rest`` sets those (or any other
        field).

        Why: the demo's seeded rows, the benchmarks' fake gateways and the tests' answers
        carry little but a status, and ``TaskSnapshot(...)`` wants its eleven fields without
        defaults written out each time; this is the one place that lists the empty ones.
        """
        empty: dict[str, Any] = {
            "status_raw": status.value,
            "progress": None,
            "videos": (),
            "message": "",
            "external_task_id": None,
            "created_at": None,
            "updated_at": None,
        }
        empty.update(rest)
        return cls(task_id=task_id, kind=kind, status=status, fetched_at=fetched_at, **empty)

    @classmethod
    def build(
        cls,
        *,
        task_id: str,
        kind: str,
        status: Status,
        status_raw: str,
        progress: float | None,
        videos: tuple[Video, ...],
        message: str,
        external_task_id: str | None,
        created_at: datetime | None,
        updated_at: datetime | None,
        fetched_at: datetime,
        raw: str | None = None,
        images: tuple[Image, ...] = (),
        parent_video: Video | None = None,
        final_unit_deduction: float | None = None,
        kling_task_id: str | None = None,
        model: str | None = None,
        progress_synthetic: bool = False,
        expires_at: datetime | None = None,
        quota: float | None = None,
    ) -> TaskSnapshot:
        """The same snapshot as ``TaskSnapshot(...)``, built in about half the time.

        A frozen dataclass's own ``__init__`` sets each of these 20 fields through
        ``object.__setattr__`` (2.6 µs a snapshot); this calls each slot's setter directly,
        written out (a loop over the setters zipped with the values cost 1.4 µs). The
        watch list's loader builds one per task: 10,000 at a cold start (bench/run.py
        ``startup_cold_ratio_10k``), and the import's normalizer one per listed task.
        """
        snapshot = _new_object(cls)
        _set_task_id(snapshot, task_id)
        _set_kind(snapshot, kind)
        _set_status(snapshot, status)
        _set_status_raw(snapshot, status_raw)
        _set_progress(snapshot, progress)
        _set_videos(snapshot, videos)
        _set_message(snapshot, message)
        _set_external_task_id(snapshot, external_task_id)
        _set_created_at(snapshot, created_at)
        _set_updated_at(snapshot, updated_at)
        _set_fetched_at(snapshot, fetched_at)
        _set_raw(snapshot, raw)
        _set_images(snapshot, images)
        _set_parent_video(snapshot, parent_video)
        _set_final_unit_deduction(snapshot, final_unit_deduction)
        _set_kling_task_id(snapshot, kling_task_id)
        _set_model(snapshot, model)
        _set_progress_synthetic(snapshot, progress_synthetic)
        _set_expires_at(snapshot, expires_at)
        _set_quota(snapshot, quota)
        return snapshot


_new_object = object.__new__


def _slot(name: str) -> Callable[[TaskSnapshot, Any], None]:
    """The setter of one of ``TaskSnapshot``'s slots (``TaskSnapshot.build``)."""
    setter: Callable[[TaskSnapshot, Any], None] = TaskSnapshot.__dict__[name].__set__
    return setter


_set_task_id = _slot("task_id")
_set_kind = _slot("kind")
_set_status = _slot("status")
_set_status_raw = _slot("status_raw")
_set_progress = _slot("progress")
_set_videos = _slot("videos")
_set_message = _slot("message")
_set_external_task_id = _slot("external_task_id")
_set_created_at = _slot("created_at")
_set_updated_at = _slot("updated_at")
_set_fetched_at = _slot("fetched_at")
_set_raw = _slot("raw")
_set_images = _slot("images")
_set_parent_video = _slot("parent_video")
_set_final_unit_deduction = _slot("final_unit_deduction")
_set_kling_task_id = _slot("kling_task_id")
_set_model = _slot("model")
_set_progress_synthetic = _slot("progress_synthetic")
_set_expires_at = _slot("expires_at")
_set_quota = _slot("quota")
if len(fields(TaskSnapshot)) != 20:  # a field added to TaskSnapshot goes into build too
    raise RuntimeError("TaskSnapshot.build sets 20 slots; the class has another number")


@dataclass(frozen=True, slots=True)
class FetchError:
    """A failed fetch, typed, with a message an operator can act on.

    Never holds a token: messages are built from the origin and the *name* of the
    environment variable that holds the credential, not its value.
    """

    type: ErrorType
    message: str
    status_code: int | None = None
    code: str | None = None  # the server's own error code, e.g. "1004" or "task_not_exist"
    retry_after: float | None = None  # seconds, from Retry-After or the error type
    at: datetime = field(default_factory=utcnow)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type.value, "message": self.message}


FetchResult = TaskSnapshot | FetchError


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _video_json(v: Video) -> dict[str, Any]:
    return {"id": v.id, "url": v.url, "duration": v.duration, "watermark_url": v.watermark_url}


def snapshot_json(
    task_id: str,
    kind: str,
    snapshot: TaskSnapshot | None,
    error: FetchError | None,
    *,
    local_files: tuple[LocalFile, ...] = (),
    download_error: str | None = None,
) -> dict[str, Any]:
    """The JSON-lines record the headless commands print (one stable key set).

    ``local_files`` / ``download_error``: what the watch list knows of the task's downloads
    (empty / None for a task not watched)."""
    s = snapshot
    return {
        "task_id": s.task_id if s else task_id,
        "kind": s.kind if s else kind,
        "status": s.status.value if s else None,
        "status_raw": s.status_raw if s else None,
        "progress": s.progress if s else None,
        "videos": [_video_json(v) for v in s.videos] if s else [],
        "images": [
            {"index": i.index, "url": i.url, "watermark_url": i.watermark_url} for i in s.images
        ]
        if s
        else [],
        "parent_video": _video_json(s.parent_video) if s and s.parent_video else None,
        "final_unit_deduction": s.final_unit_deduction if s else None,
        "kling_task_id": s.kling_task_id if s else None,
        "model": s.model if s else None,
        "message": s.message if s else None,
        "external_task_id": s.external_task_id if s else None,
        "created_at": _iso(s.created_at) if s else None,
        "updated_at": _iso(s.updated_at) if s else None,
        "expires_at": _iso(_result_expiry(s)),
        "error": error.to_json() if error else None,
        "local_files": [local_file_json(f) for f in local_files],
        "download_error": download_error,
    }


@dataclass(frozen=True, slots=True)
class LocalFile:
    """One result file brought home by ``kling-tui download`` (or the dashboard's ``D``).

    Recorded on the task in the watch list once the file is complete on disk under its
    final name: a file whose ``path`` still holds ``size`` bytes is never downloaded again.
    ``n`` is the result's index among the task's files of that ``role`` (``"video"``,
    ``"image"`` or ``"watermark"``); ``url`` the address it came from (no credential).
    """

    path: str
    size: int
    sha256: str
    url: str
    n: int
    role: str


LOCAL_FILE_ROLES = ("video", "image", "watermark")
"""The roles a :class:`LocalFile` may have (checked at load by the watch list's codec)."""


def local_file_json(f: LocalFile) -> dict[str, Any]:
    return {
        "path": f.path,
        "size": f.size,
        "sha256": f.sha256,
        "url": f.url,
        "n": f.n,
        "role": f.role,
    }


def _result_expiry(snapshot: TaskSnapshot | None) -> datetime | None:
    """``kling_tui.expiry.expires_at``: imported here, not at the top, because that module
    reads this one's types (the rule has one home, the JSON record only shows it)."""
    from kling_tui.expiry import expires_at

    return expires_at(snapshot)


class TaskKey(NamedTuple):
    """Identity of a watched task: the same id on another gateway or kind is another task.

    Immutable and ordered field by field, like a frozen dataclass, but a tuple: built in
    0.2 µs instead of 0.4 and hashed and compared in C. A start with 10,000 tasks builds
    and looks up several keys per task before its first frame (bench/run.py,
    ``startup_cold_ratio_10k``).
    """

    task_id: str
    kind: str
    gateway: str

    def __str__(self) -> str:
        return f"{self.gateway}:{self.kind}:{self.task_id}"


@dataclass(slots=True)
class WatchEntry:
    """One task in the watch list, with the last thing we know about it.

    ``base_url``/``path_prefix`` are set only for tasks added with an ad-hoc
    ``--base-url`` so the task remembers where it lives. ``extra`` holds keys of the
    entry's TOML table that this version does not know, so a rewrite keeps them.
    """

    task_id: str
    kind: str
    gateway: str
    added_at: datetime
    label: str | None = None
    base_url: str | None = None
    path_prefix: str | None = None
    snapshot: TaskSnapshot | None = None
    last_checked: datetime | None = None
    last_error: FetchError | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    state_since: datetime | None = None
    """When the snapshot's status and progress were first seen as they are (stored as
    ``last.state_since``): how long the task has not moved, for stuck detection."""
    stuck: bool = False
    """Not moved for far longer than its kind usually takes (``polling.eta.is_stuck``), as of
    the last answer; not stored, worked out again at every answer."""
    external: bool = False
    """``task_id`` is the caller's own ``external_task_id``, not a Kling or relay id: it is
    queried as such (the gateway's ``external_id`` setting: in the path or as
    ``?external_task_id=``), and the answer's ``task_id`` is then Kling's id."""
    local_files: tuple[LocalFile, ...] = ()
    """The task's result files on this machine (``kling_tui.downloads``), as recorded when
    each was complete; stored as ``[[tasks.local_files]]``."""
    download_error: str | None = None
    """Why the last download of this task failed for good (``"expired on 2026-11-30"``),
    None when it did not or none was tried; cleared by a successful download."""

    @property
    def key(self) -> TaskKey:
        return TaskKey(self.task_id, self.kind, self.gateway)

    @property
    def status(self) -> Status | None:
        return self.snapshot.status if self.snapshot else None

    @property
    def known_ids(self) -> tuple[str, ...]:
        """Every id this task is known by: the one the operator added first, then the
        answer's own id, Kling's id and the caller's external id, as far as known."""
        return known_ids(self.task_id, self.snapshot)

    @property
    def finished(self) -> bool:
        return self.snapshot is not None and self.snapshot.status.terminal


def known_ids(task_id: str, snapshot: TaskSnapshot | None) -> tuple[str, ...]:
    """The ids one task is known by, in order: ``task_id`` (the one it was added by), then
    the answer's own id, Kling's id and the caller's external id, as far as ``snapshot``
    knows them. The one rule behind ``WatchEntry.known_ids`` and an import row's ids."""
    if snapshot is None:
        return (task_id,)
    if snapshot.task_id == task_id and not snapshot.kling_task_id and not snapshot.external_task_id:
        return (task_id,)  # a listed native task: asked three times per task at an import
    ids = [task_id]
    for other in (snapshot.task_id, snapshot.kling_task_id, snapshot.external_task_id):
        if other and other not in ids:
            ids.append(other)
    return tuple(ids)
