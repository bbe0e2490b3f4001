"""``check_open_url``: only plain http(s) links with a host reach the browser."""

from __future__ import annotations

import pytest

from kling_tui.gateway.urls import MAX_URL_LENGTH, check_open_url


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.com/video/abc.mp4",
        "http://example.com",
        "HTTPS://EXAMPLE.COM/a?b=c&d=%20e#frag",
        "https://127.0.0.1:8443/v.mp4",
        "https://[::1]:8080/v.mp4",
        "https://example.com/" + "a" * (MAX_URL_LENGTH - 20),
    ],
)
def test_safe_urls_pass(url: str) -> None:
    assert check_open_url(url) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("", "no URL"),
        ("file:///etc/passwd", "scheme is 'file'"),
        ("javascript:alert(1)", "scheme is 'javascript'"),
        ("ftp://example.com/x", "scheme is 'ftp'"),
        ("data:text/html,hi", "scheme is 'data'"),
        ("-remote=evil", "starts with '-'"),
        ("--new-window https://x.example", "whitespace"),
        ("example.com/video.mp4", "no scheme"),
        ("https:example.com", "no '//'"),
        ("https:///path-only", "no host"),
        ("https://user:pw@evil.example/", "user name or password"),
        ("https://bank.example@evil.example/", "user name or password"),
        ("https://exa mple.com/", "whitespace"),
        (" https://example.com/", "whitespace"),
        ("https://example.com/\n", "whitespace"),
        ("https://example.com/\x1b]52;c;x\x07", "control character"),
        ("https://example.com/\x9b", "control character"),
        ("https://example.com\\@evil.example/", "backslash"),
        ("https://exämple.com/", "non-ASCII"),
        ("https://example.com/\u202e", "non-ASCII"),
        ("https://example.com:99999/", "not a valid URL"),
        ("https://example.com:0/", "port is 0"),
        ("https://example.com/" + "a" * MAX_URL_LENGTH, "longer than"),
    ],
)
def test_unsafe_urls_are_refused_with_a_reason(url: str, why: str) -> None:
    reason = check_open_url(url)
    assert reason is not None
    assert why in reason


def test_not_a_string_is_refused() -> None:
    assert check_open_url(None) is not None  # type: ignore[arg-type]


def test_check_is_on_the_raw_string() -> None:
    # Percent-encoding is fine (it is what the browser receives); a raw space is not.
    assert check_open_url("https://example.com/a%20b") is None
    assert check_open_url("https://example.com/a b") is not None
