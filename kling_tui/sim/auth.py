"""How the simulator checks a bearer: a static token, or an HS256 JWT as the native API signs it.

Its own verifier, stdlib only: it must not share code (or bugs) with the client's signer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterable

from kling_tui.sim.payloads import dumps


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign_jwt(
    access_key: str, secret_key: str, *, now: float | None = None, ttl: float = 1800
) -> str:
    """The native API's token: HS256, ``iss`` = access key, ``exp`` = now + ttl, ``nbf`` = now - 5.

    Used by ``python -m kling_tui.sim.simulator`` to print a ready-to-paste token; the tests sign
    their own tokens so that a bug here cannot hide a bug in the verifier.
    """
    now = time.time() if now is None else now
    header = _b64url_encode(dumps({"alg": "HS256", "typ": "JWT"}))
    claims = _b64url_encode(dumps({"iss": access_key, "exp": int(now + ttl), "nbf": int(now - 5)}))
    signing_input = f"{header}.{claims}".encode()
    signature = hmac.new(secret_key.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{claims}.{_b64url_encode(signature)}"


def check_jwt(token: str, access_key: str, secret_key: str, now: float) -> int:
    """0 when valid, else the native error code (1000 bad, 1002 invalid, 1003 nbf, 1004 exp)."""
    parts = token.split(".")
    if len(parts) != 3:
        return 1002
    try:
        header = json.loads(_b64url_decode(parts[0]))
        signature = _b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError):
        return 1002
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        return 1002  # refuses "none" and every algorithm we do not verify
    expected = hmac.new(secret_key.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.digest(), signature):
        return 1000
    try:
        claims = json.loads(_b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return 1002
    if not isinstance(claims, dict):
        return 1002
    iss = claims.get("iss")
    if not isinstance(iss, str) or not hmac.compare_digest(iss.encode(), access_key.encode()):
        return 1000
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return 1002
    if not isinstance(nbf, int | float) or isinstance(nbf, bool):
        return 1002
    if exp <= now:
        return 1004
    if nbf > now:
        return 1003
    return 0


NATIVE_AUTH_MESSAGES = {
    1000: "Authentication failed",
    1001: "Authorization is empty",
    1002: "Authorization is invalid",
    1003: "Authorization is not yet valid",
    1004: "authorization is expired",
}


def bearer_refusal(
    header: str | None,
    tokens: Iterable[str],
    access_key: str | None,
    secret_key: str | None,
    now: float,
) -> int:
    """0 when the bearer is accepted, else the native code explaining why not."""
    if not header:
        return 1001
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return 1002
    encoded = token.encode()
    if any(hmac.compare_digest(encoded, known.encode()) for known in tokens):
        return 0
    if access_key is None or secret_key is None or token.count(".") != 2:
        return 1002
    return check_jwt(token, access_key, secret_key, now)
