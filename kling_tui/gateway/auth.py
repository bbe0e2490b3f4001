"""Credentials for the gateways, built so a token cannot leak by accident.

Two facts shape this module (see ``/work/shared/textual-notes.md``, "Secrets"):

* Textual's crash screen prints a traceback *with local variables*. A token held in a plain
  ``str`` anywhere up the stack is printed to the terminal on any crash. So tokens live in
  :class:`Secret`, whose ``repr``/``str``/``format`` show ``Secret('***')``, and only
  ``reveal()`` gives the text back, at the last moment (inside the ``httpx.Auth`` flow).
* A token with a trailing newline makes httpx raise an error whose message holds the whole
  token. So :meth:`Secret.from_raw` strips surrounding whitespace and refuses any token with
  inner whitespace, control or non-ASCII characters, naming the *source*, never the value.

Relays take a static bearer token (:class:`StaticToken`); the native Kling API takes a JWT
signed HS256 with the secret key (:class:`JwtSigner`). Both satisfy :class:`Credential`, which
is all the fetcher knows about. Stdlib only, no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any, NoReturn, Protocol, runtime_checkable

__all__ = ["Credential", "CredentialError", "JwtSigner", "Secret", "StaticToken"]


class CredentialError(ValueError):
    """A token or key is unusable. The message names where it came from, never its value."""


def _refuse_pickle(obj: object) -> NoReturn:
    raise TypeError(
        f"{type(obj).__name__} cannot be pickled: it would write a secret out in plain text"
    )


class Secret:
    """A token or key whose text only comes out through :meth:`reveal`.

    ``repr``, ``str`` and f-strings print ``Secret('***')``; equality is constant-time; pickling
    raises (a pickle would hold the text in the clear); copying returns the same immutable
    object. ``__slots__`` keeps the value out of ``vars()`` / ``__dict__`` dumps.
    """

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret holds a str")
        object.__setattr__(self, "_value", value)

    @classmethod
    def from_raw(cls, value: str, source: str) -> Secret:
        """Validate an operator-supplied token: strip surrounding whitespace, refuse the rest.

        ``source`` names where the text came from (``"KLING_API_KEY"``, ``"token in
        /path/config.toml"``) and is the only thing the error message shows.
        """
        if not isinstance(value, str):
            raise CredentialError(f"{source}: expected text, not {type(value).__name__}")
        stripped = value.strip()
        if not stripped:
            raise CredentialError(f"{source}: the token is empty")
        for position, char in enumerate(stripped, start=1):
            code = ord(char)
            if 0x21 <= code <= 0x7E:
                continue
            if char.isspace():
                what = "whitespace"
            elif code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F:
                what = "a control character"
            else:
                what = "a non-ASCII character"
            raise CredentialError(
                f"{source}: the token contains {what} at position {position}; "
                "a token is one word of printable ASCII"
            )
        return cls(stripped)

    def reveal(self) -> str:
        """The text itself. Call it where the header is set, and keep the result out of locals
        that outlive the call."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return format(repr(self), format_spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        # Hash a digest, not the text, so equal secrets hash equal without exposing a cheap
        # oracle on the raw value.
        return hash(hashlib.sha256(self._value.encode()).digest())

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Secret is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Secret is immutable")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        _refuse_pickle(self)

    def __reduce__(self) -> NoReturn:
        _refuse_pickle(self)


@runtime_checkable
class Credential(Protocol):
    """What the fetcher needs: a bearer token per request, and where to look when it fails.

    ``hint`` names the *source* for error messages ("check KLING_API_KEY", "set
    KLING_ACCESS_KEY/KLING_SECRET_KEY", "check token in /path/config.toml"); never a value.
    """

    hint: str

    def bearer(self) -> Secret:
        """The value for ``Authorization: Bearer ...``."""
        ...


class StaticToken:
    """A relay's fixed bearer token."""

    __slots__ = ("_token", "hint")

    def __init__(self, token: Secret, *, hint: str = "KLING_API_KEY") -> None:
        if not isinstance(token, Secret):
            raise TypeError("StaticToken takes a Secret (use Secret.from_raw)")
        self._token = token
        self.hint = hint

    def bearer(self) -> Secret:
        """The token, unchanged."""
        return self._token

    def secrets(self) -> tuple[Secret, ...]:
        """Every value that must never be shown: what the fetcher redacts from server text."""
        return (self._token,)

    def __repr__(self) -> str:
        return f"StaticToken(hint={self.hint!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StaticToken):
            return NotImplemented
        return self._token == other._token and self.hint == other.hint

    __hash__ = None  # type: ignore[assignment]

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        _refuse_pickle(self)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_JWT_HEADER = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


class JwtSigner:
    """The native Kling API's credential: a JWT (HS256) signed with the secret key.

    Claims are ``iss`` = access key, ``exp`` = now + ``ttl``, ``nbf`` = now - ``skew`` (the
    server's clock may run slightly behind ours). The token is cached and re-signed when less
    than ``refresh_before`` seconds of validity remain, so a long poll never sends a token that
    expires in flight, and we do not sign once per request. If the clock moves backwards past
    the signing time, the token is re-signed too (its ``nbf`` could be in the server's future).
    """

    __slots__ = (
        "_access_key",
        "_cached",
        "_clock",
        "_expires_at",
        "_secret_key",
        "_signed_at",
        "hint",
        "refresh_before",
        "skew",
        "ttl",
    )

    def __init__(
        self,
        access_key: Secret,
        secret_key: Secret,
        *,
        hint: str = "KLING_ACCESS_KEY/KLING_SECRET_KEY",
        ttl: int = 1800,
        skew: int = 5,
        refresh_before: int = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(access_key, Secret) or not isinstance(secret_key, Secret):
            raise TypeError("JwtSigner takes Secret keys (use Secret.from_raw)")
        if ttl <= refresh_before:
            raise ValueError("ttl must be longer than refresh_before, or every call re-signs")
        self._access_key = access_key
        self._secret_key = secret_key
        self.hint = hint
        self.ttl = ttl
        self.skew = skew
        self.refresh_before = refresh_before
        self._clock = clock
        self._cached: Secret | None = None
        self._expires_at = 0
        self._signed_at = 0

    def bearer(self) -> Secret:
        """A JWT valid for at least ``refresh_before`` more seconds."""
        now = int(self._clock())
        cached = self._cached
        if cached is None or self._expires_at - now < self.refresh_before or now < self._signed_at:
            cached = self._sign(now)
            self._cached = cached
            self._expires_at = now + self.ttl
            self._signed_at = now
        return cached

    def secrets(self) -> tuple[Secret, ...]:
        """The keys and the current JWT: what the fetcher redacts from server text."""
        keys = (self._access_key, self._secret_key)
        return keys if self._cached is None else (*keys, self._cached)

    def _sign(self, now: int) -> Secret:
        claims = {
            "iss": self._access_key.reveal(),
            "exp": now + self.ttl,
            "nbf": now - self.skew,
        }
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{_JWT_HEADER}.{payload}".encode("ascii")
        signature = hmac.new(
            self._secret_key.reveal().encode(), signing_input, hashlib.sha256
        ).digest()
        return Secret(f"{_JWT_HEADER}.{payload}.{_b64url(signature)}")

    def __repr__(self) -> str:
        return f"JwtSigner(hint={self.hint!r}, ttl={self.ttl})"

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        _refuse_pickle(self)
