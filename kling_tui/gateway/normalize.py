"""The one parser of server answers: HTTP status + headers + body in, snapshot or typed error out.

Gateways answer a task-status query in four envelopes (see ``/work/shared/api/README.md``):

* **A** relay-unified: ``{"code": "success", "data": {relay record}}``; the record has
  ``status`` (``NOT_START`` … ``FAILURE``), ``progress`` (``"40%"``), ``fail_reason`` (which
  holds the *video URL* on success in the 2025 era), ``result_url`` (2026 era), times in
  seconds, and ``data`` = the relay's copy of the upstream answer (usually shape B, but
  possibly ``null``, stale, another relay's shape A, or garbage).
* **B** native Kling: ``{"code": 0, "data": {"task_status": …, "task_result": …}}``, times
  in milliseconds.
* **C** simplified relay: ``{"code": "success", "data": {"status": "succeeded", "url": …}}``.
* **D** OpenAI-style video object: ``{"object": "video", "status": "in_progress", …}``.

Everything the rest of the program sees about an answer comes from here, so it is
deliberately paranoid, and :func:`normalize` never raises: anything unexpected becomes a
``BAD_RESPONSE`` error. It is one parser split by step: this module reads the body and picks
the shape, :mod:`~kling_tui.gateway.shapes` reads each shape into a snapshot,
:mod:`~kling_tui.gateway.errors` maps error answers to a typed error, and
:mod:`~kling_tui.gateway.fields` reads single fields (and holds the caps).

A native list page (``data`` = an array of the same task objects) is read by
:func:`normalize_list` with the same body and error reading, each item as shape B; an item
that cannot be read is counted, not fatal.

It is also on the hot path (every poll of thousands of tasks), so it parses the body once,
looks each field up once, and skips work nobody will use (no raw text for errors).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from kling_tui.bulk import collector_paused
from kling_tui.gateway.errors import (
    classify,
    error_from_payload,
    is_success_code,
    not_served_words,
    server_detail,
)
from kling_tui.gateway.fields import (
    SERVER_TEXT_LIMIT,
    WORD_LIMIT,
    CallContext,
    header_value,
    read_id,
    read_text,
)
from kling_tui.gateway.ids import InvalidTaskId, validate_task_id
from kling_tui.gateway.sanitize import clean_text
from kling_tui.gateway.shapes import shape_b, shape_d, shape_relay
from kling_tui.kinds import Kind
from kling_tui.models import ErrorType, FetchError, TaskSnapshot, utcnow

__all__ = [
    "MAX_PAGE_ITEMS",
    "TASK_LOG_ACTIONS",
    "ListPage",
    "OpenList",
    "normalize",
    "normalize_list",
    "normalize_task_log",
    "open_list",
]

MAX_PAGE_ITEMS = 500
"""The most task objects one list page is read for (the native API's largest ``pageSize``)."""


def normalize(
    status_code: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    task_id: str,
    kind: str,
    origin: str = "",
    credential_hint: str = "KLING_API_KEY",
    now: datetime | None = None,
) -> TaskSnapshot | FetchError:
    """Turn one HTTP answer into a :class:`TaskSnapshot` or a typed :class:`FetchError`.

    ``task_id`` and ``kind`` are what was queried (for messages, and as the snapshot's id
    when the answer carries none); ``origin`` (``https://host``) and ``credential_hint``
    (the name of the env var / source of the token, never its value) go into messages.
    ``now`` is the fetch time (``fetched_at`` / ``FetchError.at``); default: now, UTC.

    Never raises: an answer this code did not foresee becomes ``BAD_RESPONSE``.
    """
    fetched_at = now if now is not None else utcnow()
    try:
        sc = status_code if type(status_code) is int else int(status_code)
        ctx = CallContext(sc, headers, task_id, kind, origin, credential_hint, fetched_at)
        return _normalize(ctx, body)
    except Exception as exc:  # the contract: a surprise is a bad answer, never a crash
        try:
            where = clean_text(origin, 300) if origin else "the gateway"
            message = (
                f"{where} sent an answer kling-tui could not read "
                f"({type(exc).__name__}); please report it"
            )
            code = status_code if type(status_code) is int else None
        except Exception:
            message, code = "the gateway sent an answer kling-tui could not read", None
        return FetchError(ErrorType.BAD_RESPONSE, message, status_code=code, at=fetched_at)


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of a native list endpoint, read.

    ``snapshots`` are the task objects that could be read (each exactly as a single query of
    that task would read it); ``unreadable`` counts the items that could not (not an object,
    no task id or status, past :data:`MAX_PAGE_ITEMS`): a bad item never spoils the page.
    ``error`` is set when the whole page failed (then there are no snapshots);
    ``no_list`` then tells why: True when the answer says this gateway has no list endpoint
    for the kind (a 404, or an HTML page with a 2xx status: a relay's web dashboard answering
    a path it does not route), which will not change by asking again; False for a page that
    came back garbled (invalid or cut-short JSON, an empty body), a 5xx, a rate limit or a
    network failure: the next read may well succeed.
    """

    kind: str
    page_num: int
    page_size: int
    snapshots: tuple[TaskSnapshot, ...] = ()
    unreadable: int = 0
    error: FetchError | None = None
    no_list: bool = False

    @property
    def items(self) -> int:
        """How many items the page held, read or not."""
        return len(self.snapshots) + self.unreadable

    @property
    def full(self) -> bool:
        """A full page: the next one may hold older tasks (an error or a short page: no)."""
        return self.error is None and self.items >= self.page_size


def normalize_list(
    status_code: int, headers: Mapping[str, str], body: bytes, **options: Any
) -> ListPage:
    """Turn one list-page answer (``data`` = an array of native task objects) into a
    :class:`ListPage` in one step; ``options`` are :func:`open_list`'s keywords. Envelope
    errors are read as :func:`normalize` reads them.

    Never raises: an answer this code did not foresee is a page with ``BAD_RESPONSE``.
    """
    opened = open_list(status_code, headers, body, **options)
    return opened if isinstance(opened, ListPage) else opened.read()


def open_list(
    status_code: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    kind: str,
    page_num: int = 1,
    page_size: int = MAX_PAGE_ITEMS,
    origin: str = "",
    credential_hint: str = "KLING_API_KEY",
    now: datetime | None = None,
    raw: bool = True,
) -> ListPage | OpenList:
    """:func:`normalize_list` in two steps: the envelope now, the items on
    :meth:`OpenList.read`. A page that failed as a whole is a :class:`ListPage` at once.

    The envelope (one ``json.loads``) already says how many items the page holds, so a
    caller walking pages can put the next page's request on the wire before this page's
    items, the costly part, are read (``harvest``). ``raw``: each snapshot keeps its
    item's JSON text as its raw view (``raw=False``: None, for a caller that shows none and
    saves none: ``kling-tui import``). Never raises.
    """
    fetched_at = now if now is not None else utcnow()
    try:
        sc = status_code if type(status_code) is int else int(status_code)
        ctx = CallContext(sc, headers, "", kind, origin, credential_hint, fetched_at)
        return _open_list(ctx, body, page_num, page_size, raw)
    except Exception as exc:  # the contract: a surprise is a bad answer, never a crash
        return _unreadable_list(origin, kind, page_num, page_size, fetched_at, exc)


def _unreadable_list(
    origin: str, kind: str, page_num: int, page_size: int, at: datetime, exc: Exception
) -> ListPage:
    try:
        where = clean_text(origin, 300) if origin else "the gateway"
    except Exception:
        where = "the gateway"
    error = FetchError(
        ErrorType.BAD_RESPONSE,
        f"{where} sent a list kling-tui could not read ({type(exc).__name__}); please report it",
        at=at,
    )
    return ListPage(str(kind), page_num, page_size, error=error)


class OpenList:
    """A list page whose envelope was read and whose items were not yet (:func:`open_list`)."""

    __slots__ = ("_ctx", "_data", "_origin", "_raw", "page_num", "page_size")

    def __init__(
        self,
        ctx: CallContext,
        data: list[Any],
        origin: str,
        page_num: int,
        page_size: int,
        raw: bool = True,
    ) -> None:
        self._ctx, self._data, self._origin, self._raw = ctx, data, origin, raw
        self.page_num, self.page_size = page_num, page_size

    @property
    def items(self) -> int:
        """How many items the page holds, read or not (what ``ListPage.items`` will say)."""
        return len(self._data)

    @property
    def full(self) -> bool:
        """What ``ListPage.full`` will say: the next page may hold older tasks."""
        return self.items >= self.page_size

    def read(self) -> ListPage:
        """Read every item (each as shape B), the collector paused: 500 snapshots are a
        bulk build (:mod:`kling_tui.bulk`). Never raises."""
        ctx = self._ctx
        try:
            with collector_paused():
                return _list_items(ctx, self._data, self.page_num, self.page_size, self._raw)
        except Exception as exc:  # the contract: a surprise is a bad answer, never a crash
            return _unreadable_list(
                self._origin, ctx.kind, self.page_num, self.page_size, ctx.now, exc
            )


_LIST_KEYS = ("items", "list", "tasks", "records", "data")
"""Where a tolerant reader also finds the array when ``data`` is an object around it."""


def _open_list(
    ctx: CallContext, body: bytes, page_num: int, page_size: int, raw: bool = True
) -> ListPage | OpenList:
    payload = _read_payload(ctx, body)
    if not isinstance(payload, FetchError) and "code" in payload:
        if not is_success_code(payload["code"]):
            payload = error_from_payload(ctx, payload)
    if isinstance(payload, FetchError):
        no_list = payload.type is ErrorType.NOT_FOUND or (
            200 <= ctx.sc < 300 and _looks_html(ctx, body)
        )
        error = _list_error(ctx, payload)
        return ListPage(ctx.kind, page_num, page_size, error=error, no_list=no_list)
    data = payload.get("data")
    if isinstance(data, dict) and "task_status" not in data:
        data = next((data[k] for k in _LIST_KEYS if isinstance(data.get(k), list)), data)
    if data is None:
        data = []  # no tasks of this kind (some servers say null rather than [])
    if not isinstance(data, list):
        said = read_text(payload.get("message") or payload.get("msg"), SERVER_TEXT_LIMIT)
        if isinstance(data, dict):
            what = "a single task" if "task_status" in data else "an object without a list"
        else:
            what = f"a JSON {type(data).__name__}"
        error = ctx.error(
            ErrorType.BAD_RESPONSE,
            f"{ctx.where} answered the list with {what}, not a task list"
            f"{server_detail(None, said)}",
        )
        return ListPage(ctx.kind, page_num, page_size, error=error)
    return OpenList(ctx, data, ctx.where, page_num, page_size, raw)


def _list_items(
    ctx: CallContext, data: list[Any], page_num: int, page_size: int, raw: bool = True
) -> ListPage:
    snapshots: list[TaskSnapshot] = []
    unreadable = max(0, len(data) - MAX_PAGE_ITEMS)
    for item in data[:MAX_PAGE_ITEMS] if len(data) > MAX_PAGE_ITEMS else data:
        snap = _list_item(ctx, item, raw)
        if snap is None:
            unreadable += 1
        else:
            snapshots.append(snap)
    return ListPage(ctx.kind, page_num, page_size, tuple(snapshots), unreadable)


def _list_error(ctx: CallContext, error: FetchError) -> FetchError:
    """A list's "not found" is about the endpoint, not a task: say so (a relay has none)."""
    if error.type is not ErrorType.NOT_FOUND:
        return error
    return replace(
        error,
        type=ErrorType.BAD_RESPONSE,
        message=f"{ctx.where} has no list endpoint for {clean_text(ctx.kind, 100)} "
        f"({ctx.sc}): only the native API (path prefix /v1) lists tasks",
    )


_item_text = json.JSONEncoder(ensure_ascii=False).encode
"""A list item's own JSON text, its raw view (the page's other 499 tasks are not its
answer). One encoder for every item, text straight to the raw view's cleaning: no bytes."""


def _list_item(ctx: CallContext, item: Any, raw: bool = True) -> TaskSnapshot | None:
    """One task object of a list, read like a single answer's ``data``; None: unreadable.
    ``raw``: keep the item's JSON text as its raw view (see :func:`open_list`)."""
    if not isinstance(item, dict) or "task_status" not in item:
        return None
    task_id = _watchable_id(item.get("task_id"))
    if task_id is None:
        return None  # a task without a usable id cannot be matched nor watched
    try:
        return shape_b(ctx, item, _item_text(item) if raw else None, task_id)
    except Exception:  # one hostile item must not spoil the page
        return None


def _watchable_id(value: Any) -> str | None:
    """A listed task's id (as ``read_id`` reads it) if it could be watched and queried (the
    rules of :func:`~kling_tui.gateway.ids.validate_task_id`), else None. A list names tasks
    nobody typed: an id with ``/``, ``..`` or control characters there is counted
    unreadable, never handed on (the store refuses a whole batch with one such id: one item
    would sink the import)."""
    task_id = read_id(value)
    if task_id is None:
        return None
    try:
        validate_task_id(task_id)
    except InvalidTaskId:
        return None
    return task_id


# -- the relay's task log -------------------------------------------------------------------

TASK_LOG_ACTIONS: dict[str, Kind] = {
    "textgenerate": Kind.TEXT2VIDEO,
    "generate": Kind.IMAGE2VIDEO,
}
"""A new-api TaskDto's ``action`` -> the kind (compared in lower case); records of other
actions, or of another vendor with the same actions (``_other_vendor``), are skipped."""


def normalize_task_log(
    status_code: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    page_num: int = 1,
    page_size: int = 100,
    origin: str = "",
    credential_hint: str = "KLING_RELAY_ACCESS_TOKEN",
    now: datetime | None = None,
) -> ListPage:
    """One page of a new-api relay's task log (``/api/task/self``) as a :class:`ListPage`.

    ``{success, message, data: {items: [TaskDto...], total, page, page_size}}`` on current
    versions, ``data`` the array itself on older ones. Each TaskDto is the relay record a
    status query answers (shape A, read by ``shape_relay``), its kind from ``action`` and
    its model from ``properties.upstream_model_name``. Never raises.
    """
    fetched_at = now if now is not None else utcnow()
    try:
        sc = status_code if type(status_code) is int else int(status_code)
        ctx = CallContext(sc, headers, "", "task-log", origin, credential_hint, fetched_at)
        return _normalize_task_log(ctx, body, page_num, page_size)
    except Exception as exc:  # the contract: a surprise is a bad answer, never a crash
        error = FetchError(
            ErrorType.BAD_RESPONSE,
            f"{clean_text(origin, 300) or 'the gateway'} sent a task log kling-tui could not "
            f"read ({type(exc).__name__}); please report it",
            at=fetched_at,
        )
        return ListPage("task-log", page_num, page_size, error=error)


def _normalize_task_log(ctx: CallContext, body: bytes, page_num: int, page_size: int) -> ListPage:
    payload = _read_payload(ctx, body)
    if not isinstance(payload, FetchError) and payload.get("success") is False:
        payload = error_from_payload(ctx, payload)
    if isinstance(payload, FetchError):
        return ListPage(ctx.kind, page_num, page_size, error=payload)
    data = payload.get("data")
    if isinstance(data, dict):
        data = next((data[k] for k in _LIST_KEYS if isinstance(data.get(k), list)), None)
    if data is None:
        data = []
    if not isinstance(data, list):
        error = ctx.error(
            ErrorType.BAD_RESPONSE,
            f"{ctx.where} answered the task log with {type(data).__name__}, not a task list",
        )
        return ListPage(ctx.kind, page_num, page_size, error=error)
    contexts = {
        kind: CallContext(ctx.sc, ctx.headers, "", kind.value, "", "", ctx.now)
        for kind in set(TASK_LOG_ACTIONS.values())
    }
    snapshots: list[TaskSnapshot] = []
    unreadable = max(0, len(data) - MAX_PAGE_ITEMS)
    for item in data[:MAX_PAGE_ITEMS]:
        snap = _task_log_item(contexts, item)
        if snap is None:
            unreadable += 1
        else:
            snapshots.append(snap)
    return ListPage(ctx.kind, page_num, page_size, tuple(snapshots), unreadable)


def _task_log_item(contexts: dict[Kind, CallContext], item: Any) -> TaskSnapshot | None:
    """One TaskDto read like a relay record; None: unreadable or not a Kling video task."""
    if not isinstance(item, dict) or "status" not in item:
        return None
    action = item.get("action")
    kind = TASK_LOG_ACTIONS.get(action.strip().lower()) if isinstance(action, str) else None
    if kind is None or _watchable_id(item.get("task_id")) is None or _other_vendor(item):
        return None
    try:
        raw = json.dumps(item, ensure_ascii=False).encode("utf-8", "surrogatepass")
        snap = shape_relay(contexts[kind], item, raw)
        if snap.model is None:
            props = item.get("properties")
            model = props.get("upstream_model_name") if isinstance(props, dict) else None
            if isinstance(model, str) and model.strip():
                snap = replace(snap, model=read_text(model.strip(), WORD_LIMIT))
        return snap
    except Exception:  # one hostile record must not spoil the page
        return None


def _other_vendor(item: dict[str, Any]) -> bool:
    """A TaskDto of another vendor: new-api's Vidu, Jimeng, Hailuo, Seedance... adaptors use
    the same ``generate`` / ``textGenerate`` actions as Kling. Told by a ``platform`` word
    that does not name Kling (``kling``, ``klingai``...; a number is a channel type, which
    forks number differently: not read), or an upstream model that is not Kling's
    (``kling-v2-1``...). Saying neither: Kling."""
    platform = item.get("platform")
    if isinstance(platform, str):
        word = platform.strip().lower()
        if word and not word.isdigit() and "kling" not in word:
            return True
    props = item.get("properties")
    model = props.get("upstream_model_name") if isinstance(props, dict) else None
    return isinstance(model, str) and bool(model.strip()) and "kling" not in model.lower()


# -- body ---------------------------------------------------------------------------------


def _normalize(ctx: CallContext, body: bytes) -> TaskSnapshot | FetchError:
    payload = _read_payload(ctx, body)
    if isinstance(payload, FetchError):
        return payload
    return _from_payload(ctx, payload, body)


def _as_bytes(body: bytes | str | bytearray) -> bytes:
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass")
    return body if isinstance(body, bytes) else bytes(body)


def _head(body: bytes) -> bytes:
    """The body's first bytes without leading blanks and byte order mark."""
    head = body[:64].lstrip()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    return head


def _looks_html(ctx: CallContext, body: bytes) -> bool:
    """An HTML page (by content type or first character), as :func:`_read_payload` tells it."""
    ctype = header_value(ctx.headers, "content-type").lower()
    return "html" in ctype or _head(_as_bytes(body))[:1] == b"<"


def _read_payload(ctx: CallContext, body: bytes) -> dict[str, Any] | FetchError:
    """The JSON object of a 2xx answer, or the typed error the answer amounts to.

    Shared by the single query and the list page: both read the body, an error status and
    an unreadable body the same way.
    """
    body = _as_bytes(body)
    sc = ctx.sc
    ctype = header_value(ctx.headers, "content-type").lower()
    head = _head(body)
    empty = not head and not body.strip()
    html = "html" in ctype or head[:1] == b"<"

    payload: Any = None
    problem = ""
    if not empty and not html:
        try:
            payload = json.loads(body)
        except RecursionError:
            problem = "JSON nested too deeply to read"
        except json.JSONDecodeError as exc:
            if exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated string"):
                problem = "the JSON is cut short: a truncated answer?"
            else:
                problem = f"invalid JSON: {exc.msg} at character {exc.pos}"
            if ctype and "json" not in ctype:
                problem += f"; content type {clean_text(ctype, 100)!r}"
        except ValueError as exc:  # UnicodeDecodeError, int too long, …
            problem = f"not readable as JSON: {clean_text(str(exc), 200)}"

    if not 200 <= sc < 300:
        if isinstance(payload, dict):
            return error_from_payload(ctx, payload)
        text = ""
        if problem and not html:  # a short plain-text error ("Too Many Requests")
            text = clean_text(body[:400].decode("utf-8", "replace").strip(), 200)
        return classify(ctx, None, None, text, text.lower(), html=html, empty=empty)

    if empty:
        return ctx.error(ErrorType.BAD_RESPONSE, f"{ctx.where} answered {sc} with an empty body")
    if html:  # a relay's web dashboard answers the paths it does not route
        return ctx.error(
            ErrorType.BAD_RESPONSE,
            f"{ctx.where} answered an HTML page, not JSON: {not_served_words(ctx)} "
            "(or is the base URL / path prefix wrong?)",
        )
    if problem:
        return ctx.error(ErrorType.BAD_RESPONSE, f"{ctx.where} answered {sc}: {problem}")
    if not isinstance(payload, dict):
        what = "null" if payload is None else type(payload).__name__
        return ctx.error(
            ErrorType.BAD_RESPONSE, f"{ctx.where} answered a JSON {what}, not an object"
        )
    return payload


def _from_payload(ctx: CallContext, p: dict[str, Any], body: bytes) -> TaskSnapshot | FetchError:
    """Pick the shape of a 2xx JSON object and parse it (or map the error it carries)."""
    data = p.get("data")
    if "code" in p:
        code = p["code"]
        if not is_success_code(code):
            return error_from_payload(ctx, p)
    else:
        if p.get("object") == "video" or ("status" in p and not isinstance(data, dict)):
            return shape_d(ctx, p, body)
        if "error" in p and not isinstance(data, dict):
            return error_from_payload(ctx, p)
    if isinstance(data, dict):
        if "task_status" in data and "status" not in data:
            return shape_b(ctx, data, body)
        return shape_relay(ctx, data, body)
    said = read_text(p.get("message") or p.get("msg"), SERVER_TEXT_LIMIT)
    what = "null" if data is None else type(data).__name__
    return ctx.error(
        ErrorType.BAD_RESPONSE,
        f"{ctx.where} answered without a task record (data is {what}){server_detail(None, said)}",
    )
