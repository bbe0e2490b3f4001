"""Reading an answer's body with a size cap, inflating gzip/deflate with a bounded
decompressor: a gzip bomb or an endless body must not fill the memory (the fetcher's caps,
``DEFAULT_MAX_BODY`` for a task, ``max_list_body`` for a list page)."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import httpx

__all__ = ["BodyTooLarge", "read_capped"]


class BodyTooLarge(Exception):
    """The answer is over the cap (declared or while reading)."""


async def read_capped(response: httpx.Response, max_body: int) -> bytes:
    """Read at most ``max_body`` bytes, inflating gzip/deflate with a bounded decompressor."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    declared = response.headers.get("content-length")
    if (
        declared
        and declared.isdigit()
        and int(declared) > max_body
        and encoding
        in (
            "identity",
            "",
        )
    ):
        raise BodyTooLarge
    chunks = response.aiter_raw()
    if encoding in ("identity", ""):
        return await _collect(chunks, max_body)
    if encoding in ("gzip", "x-gzip", "deflate"):
        return await _inflate(chunks, max_body, gzip=encoding != "deflate")
    raise ValueError(f"answer compressed with unsupported encoding {encoding[:40]!r}")


async def _collect(chunks: AsyncIterator[bytes], max_body: int) -> bytes:
    buf = bytearray()
    async for chunk in chunks:
        buf += chunk
        if len(buf) > max_body:
            raise BodyTooLarge
    return bytes(buf)


async def _inflate(chunks: AsyncIterator[bytes], max_body: int, *, gzip: bool) -> bytes:
    inflater = zlib.decompressobj(wbits=31 if gzip else 15)
    out = bytearray()
    async for chunk in chunks:
        data = chunk
        while data:
            room = max_body + 1 - len(out)
            out += inflater.decompress(data, room)
            if len(out) > max_body:
                raise BodyTooLarge
            data = inflater.unconsumed_tail
    out += inflater.flush()
    if len(out) > max_body:
        raise BodyTooLarge
    return bytes(out)
