"""What the simulator sends when it misbehaves: hostile text, HTML pages, bombs and paddings.

The big payloads (a gzip bomb, a 20 MB padding) are built once and cached: ``inject`` builds
them on the caller's thread so a request never waits for one.
"""

from __future__ import annotations

import json
import threading
import zlib
from typing import Any

DRIP_INTERVAL = 0.3
"""Seconds between two bytes of a dripping body: each read succeeds, the whole never ends."""
GZIP_BOMB_SIZE = 50 * 1024 * 1024
HUGE_SIZE = 20 * 1024 * 1024

HOSTILE_REASON = "[bold]x[/] [@click=app.quit]q[/] \x1b[31mred"
"""Markup- and escape-laden server text: the UI must show it literally, never interpret it."""
CJK_REASON = "内容审核未通过：图片包含敏感信息，请修改后重试"
HOSTILE_TEXT = (
    "osc52 \x1b]52;c;cHduZWQ=\x07 csi \x1b[2J bel \x07 c1 \x9b2J \x9d52;c;eA==\x9c "
    "bidi \u202egnp.exe\u202c\u2066 zero-width a\u200bb\u200dc\ufeffd\u2060e "
    "tag \U000e0041\U000e007f del \x7f nul \x00 [bold]x[/]"
)
"""Every kind of character that must never reach a terminal raw (``hostile`` faults)."""

# A minimal ISO-BMFF ``ftyp`` box: enough for a content sniffer to call it MP4.
TINY_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"

# The PNG signature and an IHDR chunk's start: enough for a content sniffer to call it PNG.
TINY_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"

NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
DASHBOARD_HTML = (
    b'<!doctype html><html lang="zh"><head><meta charset="utf-8"/>'
    b'<meta name="viewport" content="width=device-width,initial-scale=1"/>'
    b"<title>New API</title>"
    b'<script type="module" crossorigin src="/assets/index-Bq3xk2Vd.js"></script>'
    b'<link rel="stylesheet" href="/assets/index-C9fJ2aWm.css"></head>'
    b"<body><noscript>You need to enable JavaScript to run this app.</noscript>"
    b'<div id="root"></div></body></html>'
)

JSON_RELAY = "application/json; charset=utf-8"
JSON_NATIVE = "application/json"
HTML = "text/html; charset=utf-8"


_cache_lock = threading.Lock()
_gzip_bomb: bytes | None = None
_huge_pad: bytes | None = None


def gzip_bomb_body() -> bytes:
    """~50 KB of gzip that inflates to ~50 MB of JSON; built once (it takes ~0.1-0.3 s)."""
    global _gzip_bomb
    with _cache_lock:
        if _gzip_bomb is None:
            packer = zlib.compressobj(9, zlib.DEFLATED, 31)
            parts = [packer.compress(b'{"code":0,"message":"')]
            chunk = b"0" * (1024 * 1024)
            for _ in range(GZIP_BOMB_SIZE // len(chunk)):
                parts.append(packer.compress(chunk))
            parts.append(packer.compress(b'"}'))
            parts.append(packer.flush())
            _gzip_bomb = b"".join(parts)
        return _gzip_bomb


def huge_padding() -> bytes:
    global _huge_pad
    with _cache_lock:
        if _huge_pad is None:
            _huge_pad = b"x" * HUGE_SIZE
        return _huge_pad


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, CJK unescaped like real servers send it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
