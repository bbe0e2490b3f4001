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

Everything the rest of the program sees about an answer comes from here, so this module
is deliberately paranoid: every server string goes through :func:`clean_text`, numbers are
checked (no bools, no NaN), ids stay exact (JSON ints are never routed through ``float``),
and :func:`normalize` never raises: anything unexpected becomes a ``BAD_RESPONSE`` error.

It is also on the hot path (every poll of thousands of tasks), so it parses the body once,
looks each field up once, and skips work nobody will use (no raw text for errors).

Error messages tell the operator what to do and never contain a token: only the origin
and the *name* of the credential source (``credential_hint``). Formats (``{o}`` is the
origin, ``{sc}`` the HTTP status, ``{detail}`` the server's own words, see ``_detail``):

* auth: ``token rejected by {o} ({sc}): check {hint}{detail}``
* account: ``{reason} on {o} ({sc}): top up / check account; retrying will not help{detail}``;
  code 1304: ``{o} refused this machine's IP address ({sc}): fix the IP allow-list …``
* not_found: ``task {id} not found on {o} for kind {kind}: check the id and the kind{detail}``
* rate_limited: ``rate limited by {o} ({sc})[: retry in N s]{detail}``
* server: ``server error on {o} ({sc}){detail}: retry later``
* bad_response: various, e.g. ``{o} answered an HTML page, not JSON: is the base URL /
  path prefix right?``
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import (
    RETRY_AFTER_CAP,
    ErrorType,
    FetchError,
    Status,
    TaskSnapshot,
    Video,
    utcnow,
)

__all__ = ["RAW_LIMIT", "normalize"]

MESSAGE_LIMIT = 2000
"""Cap for a task's message (failure reason) in a snapshot."""
SERVER_TEXT_LIMIT = 1000
"""Cap for the server's own words quoted inside an error message."""
URL_LIMIT = 4096
ID_LIMIT = 256
WORD_LIMIT = 100
"""Cap for a status word (``status_raw``) and an error code."""
RAW_LIMIT = 64 * 1024
"""Cap for ``TaskSnapshot.raw`` (characters)."""
MAX_VIDEOS = 64
MAX_RELAY_DEPTH = 4
"""How many relays-behind-relays we follow looking for the native answer."""
_MS_THRESHOLD = 10**11
"""A timestamp above this is milliseconds (10^11 s is the year 5138; 10^11 ms is 1973)."""

_STATUS: dict[str, Status] = {
    # shape A (relay record), compared in lower case
    "not_start": Status.SUBMITTED,
    "submitted": Status.SUBMITTED,
    "queued": Status.SUBMITTED,
    "in_progress": Status.IN_PROGRESS,
    "success": Status.SUCCEEDED,
    "failure": Status.FAILED,
    "unknown": Status.UNKNOWN,
    # shape B (native)
    "processing": Status.IN_PROGRESS,
    "succeed": Status.SUCCEEDED,
    "failed": Status.FAILED,
    # shapes C and D
    "succeeded": Status.SUCCEEDED,
    "completed": Status.SUCCEEDED,
}

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")

_ACCOUNT_WORDS = (
    "quota",
    "额度",
    "余额",
    "欠费",
    "balance",
    "insufficient",
    "arrear",
    "billing",
    "payment required",
)
_AUTH_WORDS = (
    "令牌",
    "token",
    "api key",
    "api_key",
    "apikey",
    "unauthorized",
    "unauthenticated",
    "authenticat",
    "authoriz",
    "invalid key",
)

_VIDEO_STATUSES = (Status.SUCCEEDED, Status.UNKNOWN)
"""Video URLs are only exposed for a finished (or unreadable) task: a relay's stale copy of
an older answer must not make an in-progress or failed task look downloadable."""

# Kling's own error codes -> (type, reason used in the message)
_ACCOUNT_REASONS = {
    1100: "account problem",
    1101: "account in arrears",
    1102: "resource pack used up or expired",
    1103: "no permission for this interface or model",
}


class _Ctx:
    """What one call knows besides the body; built once, read by every helper."""

    __slots__ = ("headers", "hint", "kind", "now", "sc", "task_id", "where")

    def __init__(
        self,
        sc: int,
        headers: Mapping[str, str],
        task_id: str,
        kind: str,
        origin: str,
        hint: str,
        now: datetime,
    ) -> None:
        self.sc = sc
        self.headers = headers
        self.task_id = task_id
        self.kind = kind
        self.where = clean_text(origin, 300) if origin else "the gateway"
        self.hint = clean_text(hint, 100) if hint else "the configured credential"
        self.now = now

    def error(
        self,
        kind: ErrorType,
        message: str,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> FetchError:
        return FetchError(
            kind,
            message,
            status_code=self.sc,
            code=code,
            retry_after=retry_after,
            at=self.now,
        )


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
        ctx = _Ctx(sc, headers, task_id, kind, origin, credential_hint, fetched_at)
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


# -- body ---------------------------------------------------------------------------------


def _normalize(ctx: _Ctx, body: bytes) -> TaskSnapshot | FetchError:
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    elif not isinstance(body, bytes):
        body = bytes(body)
    sc = ctx.sc
    ctype = _header(ctx.headers, "content-type").lower()
    head = body[:64].lstrip()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
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
            return _error_from_payload(ctx, payload)
        text = ""
        if problem and not html:  # a short plain-text error ("Too Many Requests")
            text = clean_text(body[:400].decode("utf-8", "replace").strip(), 200)
        return _classify(ctx, None, None, text, text.lower(), html=html, empty=empty)

    if empty:
        return ctx.error(ErrorType.BAD_RESPONSE, f"{ctx.where} answered {sc} with an empty body")
    if html:
        return ctx.error(
            ErrorType.BAD_RESPONSE,
            f"{ctx.where} answered an HTML page, not JSON: is the base URL / path prefix right?",
        )
    if problem:
        return ctx.error(ErrorType.BAD_RESPONSE, f"{ctx.where} answered {sc}: {problem}")
    if not isinstance(payload, dict):
        what = "null" if payload is None else type(payload).__name__
        return ctx.error(
            ErrorType.BAD_RESPONSE, f"{ctx.where} answered a JSON {what}, not an object"
        )
    return _from_payload(ctx, payload, body)


def _from_payload(ctx: _Ctx, p: dict[str, Any], body: bytes) -> TaskSnapshot | FetchError:
    """Pick the shape of a 2xx JSON object and parse it (or map the error it carries)."""
    data = p.get("data")
    if "code" in p:
        code = p["code"]
        if not _is_success_code(code):
            return _error_from_payload(ctx, p)
    else:
        if p.get("object") == "video" or ("status" in p and not isinstance(data, dict)):
            return _shape_d(ctx, p, body)
        if "error" in p and not isinstance(data, dict):
            return _error_from_payload(ctx, p)
    if isinstance(data, dict):
        if "task_status" in data and "status" not in data:
            return _shape_b(ctx, data, body)
        return _shape_relay(ctx, data, body)
    said = _text(p.get("message") or p.get("msg"), SERVER_TEXT_LIMIT)
    what = "null" if data is None else type(data).__name__
    return ctx.error(
        ErrorType.BAD_RESPONSE,
        f"{ctx.where} answered without a task record (data is {what}){_detail(None, said)}",
    )


def _is_success_code(code: Any) -> bool:
    if type(code) is int:
        return code == 0
    if isinstance(code, str):
        return code.strip().lower() in ("success", "0")
    return False


# -- shapes -------------------------------------------------------------------------------


def _shape_b(ctx: _Ctx, d: dict[str, Any], body: bytes) -> TaskSnapshot:
    """Native Kling: ``data`` is the task; times in ms; no progress (100 when done)."""
    status_raw, status = _status(d.get("task_status"))
    progress = 100.0 if status is Status.SUCCEEDED else _progress(d.get("progress"))
    videos = _videos(_get(d, "task_result", "videos")) if status in _VIDEO_STATUSES else ()
    return TaskSnapshot(
        task_id=_id(d.get("task_id")) or _queried(ctx),
        kind=ctx.kind,
        status=status,
        status_raw=status_raw,
        progress=progress,
        videos=videos,
        message=_text(d.get("task_status_msg")),
        external_task_id=_id(_get(d, "task_info", "external_task_id")),
        created_at=_time(d.get("created_at")),
        updated_at=_time(d.get("updated_at")),
        fetched_at=ctx.now,
        raw=_raw(body),
    )


def _shape_relay(ctx: _Ctx, rec: dict[str, Any], body: bytes) -> TaskSnapshot:
    """Shapes A and C: a relay's own record; its ``status`` wins over the inner copy."""
    status_raw, status = _status(rec.get("status"))
    progress = 100.0 if status is Status.SUCCEEDED else _progress(rec.get("progress"))
    native = _inner_native(rec.get("data"))

    fail_reason = rec.get("fail_reason")
    reason_is_url = _is_http_url(fail_reason)
    message = "" if reason_is_url else _text(fail_reason)
    if not message:
        message = _error_text(rec.get("error"))
    if not message and status is Status.FAILED and native is not None:
        message = _text(native.get("task_status_msg"))

    videos: tuple[Video, ...] = ()
    if status in _VIDEO_STATUSES:
        videos = _relay_videos(rec, native, 0)

    external = _id(rec.get("external_task_id"))
    if external is None and native is not None:
        external = _id(_get(native, "task_info", "external_task_id"))

    created = _time(rec.get("created_at")) or _time(rec.get("submit_time"))
    if created is None and native is not None:
        created = _time(native.get("created_at"))  # a creation time cannot go stale
    updated = _time(rec.get("updated_at"))
    if updated is None:
        moments = [
            t
            for t in (
                _time(rec.get("finish_time")),
                _time(rec.get("start_time")),
                _time(rec.get("submit_time")),
            )
            if t is not None
        ]
        updated = max(moments) if moments else None

    return TaskSnapshot(
        task_id=_id(rec.get("task_id")) or _queried(ctx),
        kind=ctx.kind,
        status=status,
        status_raw=status_raw,
        progress=progress,
        videos=videos,
        message=message,
        external_task_id=external,
        created_at=created,
        updated_at=updated,
        fetched_at=ctx.now,
        raw=_raw(body),
    )


def _shape_d(ctx: _Ctx, p: dict[str, Any], body: bytes) -> TaskSnapshot:
    """OpenAI-style video object: ``id``, ``status``, ``progress``, ``seconds``, ms times."""
    status_raw, status = _status(p.get("status"))
    progress = 100.0 if status is Status.SUCCEEDED else _progress(p.get("progress"))
    videos: tuple[Video, ...] = ()
    if status in _VIDEO_STATUSES:
        url = _url(_get(p, "metadata", "url")) or _url(p.get("url"))
        if url is not None:
            videos = (Video(id=None, url=url, duration=_duration(p.get("seconds"))),)
    return TaskSnapshot(
        task_id=_id(p.get("id")) or _id(p.get("task_id")) or _queried(ctx),
        kind=ctx.kind,
        status=status,
        status_raw=status_raw,
        progress=progress,
        videos=videos,
        message=_error_text(p.get("error")),
        external_task_id=_id(p.get("external_task_id")),
        created_at=_time(p.get("created_at")),
        updated_at=_time(p.get("updated_at")) or _time(p.get("completed_at")),
        fetched_at=ctx.now,
        raw=_raw(body),
    )


def _inner_native(inner: Any) -> dict[str, Any] | None:
    """The native task inside a relay record's ``data`` (``data.data.data``), if it is one."""
    if isinstance(inner, dict):
        d = inner.get("data")
        if isinstance(d, dict) and ("task_status" in d or "task_result" in d):
            return d
    return None


def _relay_videos(
    rec: dict[str, Any], native: dict[str, Any] | None, depth: int
) -> tuple[Video, ...]:
    """Videos of a finished relay task, best source first.

    Inner native ``task_result.videos`` (ids and durations), then a relay behind this relay,
    then ``result_url`` (2026 era), then shape C's ``url``, then a ``fail_reason`` that is an
    http(s) URL (2025 era).
    """
    if native is not None:
        found = _videos(_get(native, "task_result", "videos"))
        if found:
            return found
    elif depth < MAX_RELAY_DEPTH:
        inner = rec.get("data")
        nested = inner.get("data") if isinstance(inner, dict) else None
        if isinstance(nested, dict) and "status" in nested:
            found = _relay_videos(nested, _inner_native(nested.get("data")), depth + 1)
            if found:
                return found
    url = _url(rec.get("result_url")) or _url(rec.get("url"))
    if url is not None:
        duration = _duration(rec.get("duration"))
        if duration is None:
            duration = _duration(_get(rec, "metadata", "duration"))
        return (Video(id=None, url=url, duration=duration),)
    reason = rec.get("fail_reason")
    if _is_http_url(reason):
        return (Video(id=None, url=clean_text(reason.strip(), URL_LIMIT), duration=None),)
    return ()


def _videos(items: Any) -> tuple[Video, ...]:
    if not isinstance(items, list):
        return ()
    out: list[Video] = []
    for item in items[:MAX_VIDEOS]:
        if not isinstance(item, dict):
            continue
        vid = _id(item.get("id"))
        url = _url(item.get("url"))
        if vid is None and url is None:
            continue
        out.append(Video(id=vid, url=url, duration=_duration(item.get("duration"))))
    return tuple(out)


# -- errors -------------------------------------------------------------------------------


def _error_from_payload(ctx: _Ctx, p: dict[str, Any]) -> FetchError:
    """Pull code and message out of any error envelope (Kling, relay, OpenAI-style)."""
    code = p.get("code")
    if type(code) is bool or _is_success_code(code):
        code = None
    message = p.get("message")
    if not isinstance(message, str) or not message:
        message = p.get("msg")
    hay_extra = ""
    err = p.get("error")
    if isinstance(err, dict):
        if not isinstance(message, str) or not message:
            message = err.get("message")
        err_code = err.get("code")
        if code is None and type(err_code) is not bool:
            code = err_code  # ``type`` (e.g. "new_api_error") only feeds the keyword match
        hay_extra = f" {err.get('type')} {err.get('code')}"
    elif isinstance(err, str) and (not isinstance(message, str) or not message):
        message = err

    code_int: int | None = None
    code_str: str | None = None
    if type(code) is int:
        code_int, code_str = code, str(code)
    elif isinstance(code, str) and code.strip():
        code_str = clean_text(code.strip(), WORD_LIMIT)
        if code.strip().isdigit() and len(code.strip()) < 10:
            code_int = int(code.strip())
    said = _text(message, SERVER_TEXT_LIMIT)
    hay = f"{said} {code_str or ''}{hay_extra}".lower()
    return _classify(ctx, code_int, code_str, said, hay, html=False, empty=False)


def _classify(
    ctx: _Ctx,
    code_int: int | None,
    code_str: str | None,
    said: str,
    hay: str,
    *,
    html: bool,
    empty: bool,
) -> FetchError:
    """Map a server code (first) or the HTTP status (then) to the operator's next step."""
    sc = ctx.sc
    detail = _detail(code_str, said)
    if html:
        detail += (
            " (an HTML error page from a proxy or CDN)"
            if sc >= 500
            else " (an HTML page, not JSON: is the base URL / path prefix right?)"
        )
    elif empty and sc >= 400:
        detail += " (empty body)"

    if code_int is not None:
        found = _by_kling_code(ctx, code_int, code_str, detail)
        if found is not None:
            return found
    if code_str is not None and code_str.lower() == "task_not_exist":
        return _not_found(ctx, code_str, detail)

    account_words = any(w in hay for w in _ACCOUNT_WORDS)
    if sc == 401:
        return _auth(ctx, code_str, detail)
    if sc == 402:
        return _account(ctx, "payment required", code_str, detail)
    if sc == 403:
        if account_words:
            return _account(ctx, "quota or balance exhausted", code_str, detail)
        return _auth(ctx, code_str, detail)
    if sc == 404:
        return _not_found(ctx, code_str, detail)
    if sc == 429:
        if account_words:
            return _account(ctx, "quota or balance exhausted", code_str, detail)
        if any(w in hay for w in _AUTH_WORDS):
            return _auth(ctx, code_str, detail)
        return _rate_limited(ctx, code_str, detail)
    if sc == 408 or 500 <= sc < 600:
        return _server(ctx, code_str, detail)
    if 200 <= sc < 300:
        if account_words:
            return _account(ctx, "quota or balance exhausted", code_str, detail)
        if any(w in hay for w in _AUTH_WORDS):
            return _auth(ctx, code_str, detail)
        return ctx.error(
            ErrorType.BAD_RESPONSE, f"{ctx.where} answered with an error{detail}", code_str
        )
    if sc == 400:
        return ctx.error(
            ErrorType.BAD_RESPONSE, f"{ctx.where} refused the request ({sc}){detail}", code_str
        )
    # 3xx never gets here: the fetcher follows no redirect and reports it itself (with the
    # Location redacted of the gateway's secrets), before calling normalize.
    return ctx.error(
        ErrorType.BAD_RESPONSE, f"{ctx.where} answered HTTP {sc} unexpectedly{detail}", code_str
    )


def _by_kling_code(ctx: _Ctx, code: int, code_str: str | None, detail: str) -> FetchError | None:
    """Kling's documented codes; they win over the HTTP status (1100-1102 come with 429)."""
    if 1000 <= code <= 1004:
        return _auth(ctx, code_str, detail)
    reason = _ACCOUNT_REASONS.get(code)
    if reason is not None:
        return _account(ctx, reason, code_str, detail)
    if code in (1202, 1203):
        return _not_found(ctx, code_str, detail)
    if code in (1200, 1201):
        return ctx.error(
            ErrorType.BAD_RESPONSE, f"{ctx.where} refused the request ({ctx.sc}){detail}", code_str
        )
    if code in (1300, 1301):
        return ctx.error(
            ErrorType.BAD_RESPONSE,
            f"{ctx.where} refused the request by policy ({ctx.sc}){detail}",
            code_str,
        )
    if code in (1302, 1303):
        return _rate_limited(ctx, code_str, detail)
    if code == 1304:
        return ctx.error(
            ErrorType.ACCOUNT,
            f"{ctx.where} refused this machine's IP address ({ctx.sc}): fix the IP allow-list "
            f"of the account; retrying will not help{detail}",
            code_str,
        )
    if 5000 <= code <= 5002:
        return _server(ctx, code_str, detail)
    return None


def _auth(ctx: _Ctx, code: str | None, detail: str) -> FetchError:
    return ctx.error(
        ErrorType.AUTH, f"token rejected by {ctx.where} ({ctx.sc}): check {ctx.hint}{detail}", code
    )


def _account(ctx: _Ctx, reason: str, code: str | None, detail: str) -> FetchError:
    return ctx.error(
        ErrorType.ACCOUNT,
        f"{reason} on {ctx.where} ({ctx.sc}): top up / check account; "
        f"retrying will not help{detail}",
        code,
    )


def _not_found(ctx: _Ctx, code: str | None, detail: str) -> FetchError:
    return ctx.error(
        ErrorType.NOT_FOUND,
        f"task {_queried(ctx)} not found on {ctx.where} for kind {clean_text(ctx.kind, 60)}: "
        f"check the id and the kind{detail}",
        code,
    )


def _rate_limited(ctx: _Ctx, code: str | None, detail: str) -> FetchError:
    after = _retry_after(_header(ctx.headers, "retry-after"), ctx.now)
    wait = f": retry in {after:g} s" if after is not None else ""
    return ctx.error(
        ErrorType.RATE_LIMITED, f"rate limited by {ctx.where} ({ctx.sc}){wait}{detail}", code, after
    )


def _server(ctx: _Ctx, code: str | None, detail: str) -> FetchError:
    after = _retry_after(_header(ctx.headers, "retry-after"), ctx.now)
    return ctx.error(
        ErrorType.SERVER,
        f"server error on {ctx.where} ({ctx.sc}){detail}: retry later",
        code,
        after,
    )


def _detail(code: str | None, said: str) -> str:
    """The server's own words: `` (server code 1004: authorization is expired)``."""
    if said and code and said != code:
        return f" (server code {code}: {said})"
    if code:
        return f" (server code {code})"
    if said:
        return f" (server said: {said})"
    return ""


def _retry_after(value: str, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP-date; capped."""
    value = value.strip()
    if not value:
        return None
    if _DIGITS.fullmatch(value):
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


# -- fields -------------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive header lookup that works for ``httpx.Headers`` and plain dicts."""
    try:
        value = headers.get(name)
        if value is None:
            value = headers.get(name.title())
        if value is None:
            for key, candidate in headers.items():
                if isinstance(key, str) and key.lower() == name:
                    value = candidate
                    break
    except Exception:
        return ""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return value if isinstance(value, str) else str(value)


def _get(d: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _queried(ctx: _Ctx) -> str:
    return clean_text(ctx.task_id, ID_LIMIT)


def _text(value: Any, limit: int = MESSAGE_LIMIT) -> str:
    """A server text field; missing or not text -> ``""`` (numbers are shown as written)."""
    if isinstance(value, str):
        return clean_text(value, limit)
    if type(value) in (int, float):
        return clean_text(str(value), limit)
    return ""


def _error_text(err: Any) -> str:
    if isinstance(err, dict):
        return _text(err.get("message"))
    return _text(err) if isinstance(err, str) else ""


def _id(value: Any) -> str | None:
    """An id as text; a JSON integer is printed exactly (never via ``float``)."""
    if isinstance(value, str):
        return clean_text(value, ID_LIMIT) if value.strip() else None
    if type(value) is int:
        return clean_text(str(value), ID_LIMIT)
    return None


def _url(value: Any) -> str | None:
    """A URL as the server sent it (cleaned); the UI validates the scheme before opening."""
    if isinstance(value, str):
        value = value.strip()
        if value:
            return clean_text(value, URL_LIMIT)
    return None


def _is_http_url(value: Any) -> bool:
    """True for a bare ``http(s)://`` URL (how 2025 relays report a video in fail_reason)."""
    if not isinstance(value, str):
        return False
    value = value.strip()
    return value[:8].lower().startswith(("http://", "https://")) and not any(
        c.isspace() for c in value
    )


def _status(value: Any) -> tuple[str, Status]:
    if isinstance(value, str):
        word = value.strip()
        return clean_text(word, WORD_LIMIT), _STATUS.get(word.lower(), Status.UNKNOWN)
    if type(value) in (int, float):
        return clean_text(str(value), WORD_LIMIT), Status.UNKNOWN
    return "", Status.UNKNOWN


def _number(value: Any) -> float | None:
    """A finite number from a JSON number or numeric string; bools, NaN and inf refused."""
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:
            return None
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        if text and len(text) < 64 and _NUMBER.fullmatch(text):
            number = float(text)
            return number if math.isfinite(number) else None
    return None


def _progress(value: Any) -> float | None:
    """``45``, ``"45"``, ``"45%"`` -> 45.0, clamped to 0-100; ``""`` / missing -> ``None``."""
    if isinstance(value, str):
        value = value.strip().removesuffix("%")
    number = _number(value)
    if number is None:
        return None
    return min(max(number, 0.0), 100.0)


def _duration(value: Any) -> float | None:
    """Seconds as a number or string (``"5.1"``, ``"5s"``); negative -> ``None``."""
    if isinstance(value, str):
        value = value.strip().removesuffix("s")
    number = _number(value)
    return number if number is not None and number >= 0 else None


def _time(value: Any) -> datetime | None:
    """Unix seconds or milliseconds (told apart by size), or an ISO-8601 string; 0 -> None."""
    if isinstance(value, str) and ("T" in value or "-" in value[1:]):
        try:
            when = datetime.fromisoformat(value.strip())
            return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        except (ValueError, OverflowError):
            return None
    number = _number(value)
    if number is None or number <= 0:
        return None
    if number > _MS_THRESHOLD:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _raw(body: bytes) -> str:
    """The body as text for the raw view: cleaned, capped, line breaks kept."""
    text = body[: 4 * (RAW_LIMIT + 1)].decode("utf-8", "replace")
    return clean_text(text, RAW_LIMIT, multiline=True)
