"""Turning an error answer (HTTP status, error envelope, Retry-After) into a typed FetchError.

Error messages tell the operator what to do and never contain a token: only the origin
and the *name* of the credential source (``credential_hint``). Formats (``{o}`` is the
origin, ``{sc}`` the HTTP status, ``{detail}`` the server's own words, see ``server_detail``):

* auth: ``token rejected by {o} ({sc}): check {hint}{detail}``
* account: ``{reason} on {o} ({sc}): top up / check account; retrying will not help{detail}``;
  code 1304: ``{o} refused this machine's IP address ({sc}): fix the IP allow-list …``
* not_found: ``task {id} not found on {o} for kind {kind}: check the id and the kind{detail}``
  for a task-not-found answer (``task_not_exist``, Kling's 1202/1203, a 404 that says the
  task is not there); any other 404 is the gateway's router refusing the kind's path:
  ``this gateway does not serve {title}: {o} answered 404 for its path; …{detail}``
  (``title`` from ``KindSpec``). That is NOT_FOUND too: polling again will never make the
  relay serve the kind, so the task stops and the operator moves it (``ERROR_POLICY``).
  An HTML page with 200 (a relay's web dashboard catching the path) says the same words
  but stays BAD_RESPONSE (see ``normalize``): a proxy's passing HTML page looks the same,
  and BAD_RESPONSE keeps polling with backoff, which costs little if the kind is unserved.
* rate_limited: ``rate limited by {o} ({sc})[: retry in N s]{detail}``
* server: ``server error on {o} ({sc}){detail}: retry later``
* bad_response: various, e.g. ``{o} answered an HTML page, not JSON: is the base URL /
  path prefix right?``
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from kling_tui.gateway.fields import (
    SERVER_TEXT_LIMIT,
    WORD_LIMIT,
    CallContext,
    header_value,
    queried_id,
    read_text,
)
from kling_tui.gateway.sanitize import clean_text
from kling_tui.kinds import kind_spec
from kling_tui.models import RETRY_AFTER_CAP, ErrorType, FetchError

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
_TASK_GONE_WORDS = ("not exist", "not_exist", "not found", "not_found", "不存在", "no such task")
"""With "task" in the text: a 404 about the task, not about the path (Go's ``404 page not
found`` and new-api's ``Invalid URL (GET …)`` are about the path)."""
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

# Kling's own error codes -> (type, reason used in the message)
_ACCOUNT_REASONS = {
    1100: "account problem",
    1101: "account in arrears",
    1102: "resource pack used up or expired",
    1103: "no permission for this interface or model",
}


def is_success_code(code: Any) -> bool:
    if type(code) is int:
        return code == 0
    if isinstance(code, str):
        return code.strip().lower() in ("success", "0")
    return False


def error_from_payload(ctx: CallContext, p: dict[str, Any]) -> FetchError:
    """Pull code and message out of any error envelope (Kling, relay, OpenAI-style)."""
    code = p.get("code")
    if type(code) is bool or is_success_code(code):
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
    said = read_text(message, SERVER_TEXT_LIMIT)
    hay = f"{said} {code_str or ''}{hay_extra}".lower()
    return classify(ctx, code_int, code_str, said, hay, html=False, empty=False)


def classify(
    ctx: CallContext,
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
    detail = server_detail(code_str, said)
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
        if "task" in hay and any(w in hay for w in _TASK_GONE_WORDS):
            return _not_found(ctx, code_str, detail)
        return _not_served(ctx, code_str, detail)
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


def _by_kling_code(
    ctx: CallContext, code: int, code_str: str | None, detail: str
) -> FetchError | None:
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


def _auth(ctx: CallContext, code: str | None, detail: str) -> FetchError:
    return ctx.error(
        ErrorType.AUTH, f"token rejected by {ctx.where} ({ctx.sc}): check {ctx.hint}{detail}", code
    )


def _account(ctx: CallContext, reason: str, code: str | None, detail: str) -> FetchError:
    return ctx.error(
        ErrorType.ACCOUNT,
        f"{reason} on {ctx.where} ({ctx.sc}): top up / check account; "
        f"retrying will not help{detail}",
        code,
    )


def _not_found(ctx: CallContext, code: str | None, detail: str) -> FetchError:
    return ctx.error(
        ErrorType.NOT_FOUND,
        f"task {queried_id(ctx)} not found on {ctx.where} for kind {clean_text(ctx.kind, 60)}: "
        f"check the id and the kind{detail}",
        code,
    )


def kind_title(kind: str) -> str:
    """A kind as people say it (``lip sync``), for messages; an unknown name as given."""
    spec = kind_spec(kind)
    return spec.title if spec is not None else clean_text(kind, 60)


NOT_SERVED = "this gateway does not serve"
"""The words every "kind not served" error carries (``is_not_served`` looks for them)."""


def not_served_words(ctx: CallContext) -> str:
    """``this gateway does not serve {title}``: what a refused kind path means."""
    return f"{NOT_SERVED} {kind_title(ctx.kind)}"


def is_not_served(error: FetchError) -> bool:
    """True for an error that says the gateway does not serve the task's kind."""
    return error.message.startswith(NOT_SERVED) or f": {NOT_SERVED} " in error.message


def _not_served(ctx: CallContext, code: str | None, detail: str) -> FetchError:
    return ctx.error(
        ErrorType.NOT_FOUND,
        f"{not_served_words(ctx)}: {ctx.where} answered {ctx.sc} for its path; watch the task "
        f"on a gateway that serves it, or check the path prefix{detail}",
        code,
    )


def _rate_limited(ctx: CallContext, code: str | None, detail: str) -> FetchError:
    after = _retry_after(header_value(ctx.headers, "retry-after"), ctx.now)
    wait = f": retry in {after:g} s" if after is not None else ""
    return ctx.error(
        ErrorType.RATE_LIMITED, f"rate limited by {ctx.where} ({ctx.sc}){wait}{detail}", code, after
    )


def _server(ctx: CallContext, code: str | None, detail: str) -> FetchError:
    after = _retry_after(header_value(ctx.headers, "retry-after"), ctx.now)
    return ctx.error(
        ErrorType.SERVER,
        f"server error on {ctx.where} ({ctx.sc}){detail}: retry later",
        code,
        after,
    )


def server_detail(code: str | None, said: str) -> str:
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
