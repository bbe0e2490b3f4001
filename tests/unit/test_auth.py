"""Secrets stay hidden; tokens are cleaned or refused; JWTs are standard HS256 and refresh."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import pickle

import pytest

from kling_tui.gateway.auth import Credential, CredentialError, JwtSigner, Secret, StaticToken
from tests.support.clock import FakeClock

TOKEN = "sk-VerySecretToken1234567890"
ACCESS = "ak-AccessKeyABCDEF"
SECRET = "sk-SigningSecretXYZ987"


NOW = 1_700_000_000.0  # JWT claims are epoch seconds


def b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def decode(jwt: str, key: str) -> tuple[dict, dict]:  # type: ignore[type-arg]
    """A minimal standard HS256 verifier, independent of the code under test."""
    header_b64, payload_b64, signature_b64 = jwt.split(".")
    for segment in (header_b64, payload_b64, signature_b64):
        assert "=" not in segment and "+" not in segment and "/" not in segment
    expected = hmac.new(
        key.encode(), f"{header_b64}.{payload_b64}".encode(), hashlib.sha256
    ).digest()
    assert hmac.compare_digest(b64decode(signature_b64), expected), "bad signature"
    return json.loads(b64decode(header_b64)), json.loads(b64decode(payload_b64))


# -- Secret ---------------------------------------------------------------------------------


def test_secret_hides_its_value_everywhere() -> None:
    s = Secret(TOKEN)
    renderings = [repr(s), str(s), f"{s}", f"{s!r}", f"{s!s}", f"{s:>40}", format(s, "")]
    renderings += ["%s" % (s,), "%r" % (s,)]  # noqa: UP031 (old-style formatting, on purpose)
    for text in renderings:
        assert TOKEN not in text
    assert repr(s) == str(s) == "Secret('***')"
    assert TOKEN not in repr([s, {"k": s}])
    assert s.reveal() == TOKEN


def test_secret_has_no_dict_and_is_immutable() -> None:
    s = Secret(TOKEN)
    with pytest.raises(TypeError):
        vars(s)
    with pytest.raises(AttributeError):
        s._value = "other"  # type: ignore[misc]
    assert s.reveal() == TOKEN


def test_secret_equality_and_hash() -> None:
    assert Secret(TOKEN) == Secret(TOKEN)
    assert Secret(TOKEN) != Secret(TOKEN + "x")
    assert Secret(TOKEN) != TOKEN  # never equal to the plain text
    assert hash(Secret(TOKEN)) == hash(Secret(TOKEN))
    assert len({Secret(TOKEN), Secret(TOKEN), Secret("other")}) == 2


def test_secret_refuses_pickle_but_copies_as_itself() -> None:
    s = Secret(TOKEN)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="plain text"):
            pickle.dumps(s, protocol=protocol)
    with pytest.raises(TypeError):
        pickle.dumps({"nested": [s]})
    assert copy.copy(s) is s
    assert copy.deepcopy({"s": s})["s"] is s


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (TOKEN, TOKEN),
        (TOKEN + "\n", TOKEN),
        ("  " + TOKEN + " \r\n", TOKEN),
        ("\t" + TOKEN, TOKEN),
    ],
)
def test_from_raw_strips_surrounding_whitespace(raw: str, clean: str) -> None:
    assert Secret.from_raw(raw, "KLING_API_KEY").reveal() == clean


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("sk-abc\ndef", "whitespace"),
        ("sk-abc def", "whitespace"),
        ("sk-abc\tdef", "whitespace"),
        ("sk-abc\x00def", "control"),
        ("sk-abc\x1bdef", "control"),
        ("sk-abc\x7fdef", "control"),
        ("sk-abc\u0085def", "whitespace"),  # NEL: C1 and whitespace
        ("sk-abc\u009bdef", "control"),
        ("sk-abcédef", "non-ASCII"),
        ("sk-abc\u202edef", "non-ASCII"),
        ("sk-abc\u00a0def", "whitespace"),
    ],
)
def test_from_raw_refuses_bad_tokens_naming_the_source_not_the_value(raw: str, reason: str) -> None:
    with pytest.raises(CredentialError) as info:
        Secret.from_raw(raw, "KLING_API_KEY")
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert message.startswith("KLING_API_KEY: ")
    assert reason in message
    assert "sk-abc" not in message and "def" not in message


def test_from_raw_refuses_non_strings() -> None:
    with pytest.raises(CredentialError, match="KLING_API_KEY"):
        Secret.from_raw(b"bytes-token", "KLING_API_KEY")  # type: ignore[arg-type]


# -- StaticToken ----------------------------------------------------------------------------


def test_static_token_is_a_credential_that_hides_its_token() -> None:
    cred = StaticToken(Secret.from_raw(TOKEN, "KLING_API_KEY"), hint="KLING_API_KEY")
    assert isinstance(cred, Credential)
    assert cred.bearer().reveal() == TOKEN
    assert cred.hint == "KLING_API_KEY"
    assert TOKEN not in repr(cred) and TOKEN not in str(cred)
    with pytest.raises(TypeError):
        pickle.dumps(cred)


def test_static_token_requires_a_secret() -> None:
    with pytest.raises(TypeError):
        StaticToken(TOKEN)  # type: ignore[arg-type]


# -- JwtSigner ------------------------------------------------------------------------------


def signer(clock: FakeClock) -> JwtSigner:
    return JwtSigner(Secret(ACCESS), Secret(SECRET), clock=clock)


def test_jwt_is_standard_hs256_with_the_documented_claims() -> None:
    clock = FakeClock(1_700_000_000.7)
    token = signer(clock).bearer()
    assert isinstance(token, Secret)
    header, claims = decode(token.reveal(), SECRET)
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert claims == {"iss": ACCESS, "exp": 1_700_000_000 + 1800, "nbf": 1_700_000_000 - 5}
    assert all(isinstance(v, int) for k, v in claims.items() if k != "iss")


def test_jwt_signed_with_another_key_does_not_verify() -> None:
    token = signer(FakeClock(NOW)).bearer().reveal()
    with pytest.raises(AssertionError, match="bad signature"):
        decode(token, SECRET + "x")


def test_jwt_is_cached_then_resigned_before_expiry() -> None:
    clock = FakeClock(1_000_000.0)
    cred = signer(clock)
    first = cred.bearer()
    clock.now += 1800 - 300  # exactly 300 s left: still good enough
    assert cred.bearer() is first
    clock.now += 1  # 299 s left: re-sign
    second = cred.bearer()
    assert second != first
    _, claims = decode(second.reveal(), SECRET)
    assert claims["exp"] == int(clock.now) + 1800
    assert claims["nbf"] == int(clock.now) - 5
    assert cred.bearer() is second


def test_jwt_is_resigned_when_the_clock_goes_back() -> None:
    clock = FakeClock(1_000_000.0)
    cred = signer(clock)
    first = cred.bearer()
    clock.now -= 3600
    second = cred.bearer()
    assert second != first
    assert decode(second.reveal(), SECRET)[1]["nbf"] == 1_000_000 - 3600 - 5


def test_jwt_signer_hides_keys_and_tokens() -> None:
    cred = signer(FakeClock(NOW))
    token = cred.bearer().reveal()
    assert isinstance(cred, Credential)
    assert cred.hint == "KLING_ACCESS_KEY/KLING_SECRET_KEY"
    for text in (repr(cred), str(cred), f"{cred}"):
        assert SECRET not in text and ACCESS not in text and token not in text
    with pytest.raises(TypeError):
        pickle.dumps(cred)


def test_jwt_signer_validates_its_arguments() -> None:
    with pytest.raises(TypeError):
        JwtSigner(ACCESS, SECRET)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        JwtSigner(Secret(ACCESS), Secret(SECRET), ttl=300, refresh_before=300)
