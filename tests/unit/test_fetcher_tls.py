"""A plain-http gateway's client skips loading the CA bundle (~20 ms of every import and
start) and still cannot speak TLS unverified; an https gateway keeps httpx's default."""

from __future__ import annotations

import ssl

from kling_tui.config import GatewayConfig
from kling_tui.gateway.transport import tls_for


def test_an_http_gateway_gets_a_verifying_context_that_trusts_no_ca() -> None:
    tls = tls_for(GatewayConfig("local", "http://127.0.0.1:8000", "/v1", None))
    assert isinstance(tls, ssl.SSLContext)
    assert tls.verify_mode is ssl.CERT_REQUIRED and tls.check_hostname
    assert tls.cert_store_stats()["x509_ca"] == 0


def test_an_https_gateway_verifies_with_the_system_bundle() -> None:
    assert tls_for(GatewayConfig("cloud", "https://api.example.com", "/v1", None)) is True
