"""The body read straight from the socket (``transfer._stream_raw``): taken for a plain
body over http and https, byte-exact with the right sha256, the connection never reused
half-read, TLS still verified; and the httpx path (``iter_raw``) still works without it."""

from __future__ import annotations

import asyncio
import hashlib
import http.server
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kling_tui.downloads import transfer
from kling_tui.downloads.transfer import Transfer, TransferError
from kling_tui.sim.simulator import SimTask, Simulator

BODY = bytes(range(256)) * 12_289  # a little over 3 MiB, not a multiple of the buffer


def _fetch(client: httpx.Client, url: str, final: Path) -> transfer.Transferred:
    job = Transfer(client, url, final, auth_for=lambda _: None, max_bytes=1 << 30)
    return asyncio.run(job.run())


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records, per body, whether the raw path was taken."""
    taken: list[bool] = []
    real = transfer._raw_body

    def spy(response: httpx.Response):
        raw = real(response)
        taken.append(raw is not None)
        return raw

    monkeypatch.setattr(transfer, "_raw_body", spy)
    return taken


def test_plain_body_is_read_from_the_socket_and_the_connection_closed(
    sim: Simulator, done_task: SimTask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = _spy(monkeypatch)
    url = f"{sim.base_url}/files/{done_task.task_id}.mp4"
    whole = sim.files.content(f"{done_task.task_id}.mp4")
    with httpx.Client() as client:
        got = _fetch(client, url, tmp_path / "a.mp4")
        again = client.get(url)  # the pool holds no half-read connection: a fresh one
    assert taken == [True]
    assert (tmp_path / "a.mp4").read_bytes() == whole and got.size == len(whole)
    assert got.sha256 == hashlib.sha256(whole).hexdigest() and got.fetched == len(whole)
    assert again.status_code == 200 and again.content == whole


def test_without_the_raw_path_httpx_reads_the_same_bytes(
    sim: Simulator, done_task: SimTask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer, "_raw_body", lambda response: None)
    url = f"{sim.base_url}/files/{done_task.task_id}.mp4"
    whole = sim.files.content(f"{done_task.task_id}.mp4")
    with httpx.Client() as client:
        got = _fetch(client, url, tmp_path / "a.mp4")
    assert (tmp_path / "a.mp4").read_bytes() == whole
    assert got.sha256 == hashlib.sha256(whole).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An https server on 127.0.0.1 with a self-signed certificate; (base URL, cert)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_https_body_is_read_from_the_tls_socket(
    tls_server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, cert = tls_server
    taken = _spy(monkeypatch)
    with httpx.Client(verify=ssl.create_default_context(cafile=str(cert))) as client:
        got = _fetch(client, f"{base}/v.mp4", tmp_path / "v.mp4")
    assert taken == [True]
    assert (tmp_path / "v.mp4").read_bytes() == BODY
    assert got.sha256 == hashlib.sha256(BODY).hexdigest()


def test_https_with_an_untrusted_certificate_is_refused(
    tls_server: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ = tls_server
    with httpx.Client() as client, pytest.raises(TransferError) as caught:
        _fetch(client, f"{base}/v.mp4", tmp_path / "v.mp4")
    assert caught.value.kind == "network"
    assert not (tmp_path / "v.mp4").exists()
