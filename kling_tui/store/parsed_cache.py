"""The watch list's parsed document in a JSON file beside the user's cache, keyed by the
hash of the file's bytes: JSON reads a 10,000-task document in 0.03 s, toml_rs in
0.12-0.23 s, and that difference is what keeps ``startup_ratio_10k`` under 2.0 (without
this cache it measured 1.69-2.22 over six launches, with it 1.34-1.80)."""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

import platformdirs

from kling_tui.store.atomic import atomic_write
from kling_tui.store.document import MAX_WATCHLIST_BYTES
from kling_tui.store.safe_read import FileRefused, access_problem, read_regular

PARSED_CACHE_MIN_BYTES = 64 * 1024
"""Smaller watch lists parse in a few milliseconds: no cache file for them."""


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=32).hexdigest()


def _tag(value: Any) -> Any:
    """TOML's date and time values, which JSON lacks, as one-key objects."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dtime):
        return {"$time": value.isoformat()}
    raise TypeError(f"cannot cache {type(value).__name__}")


_UNTAG = {
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$time": dtime.fromisoformat,
}


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((key, value),) = obj.items()
        parse = _UNTAG.get(key)
        if parse is not None and isinstance(value, str):
            return parse(value)
    return obj


def _key_prefix(key: str) -> bytes:
    """How ``ParsedCache.store``'s JSON text begins for the bytes hashed to ``key``."""
    return b'{"blake2b":"' + key.encode() + b'",'


class ParsedCache:
    """The watch list's parsed document, kept beside the user's cache, keyed by the bytes.

    The cache is used only for a file whose bytes hash to the key it was made for, and
    what comes out of it goes through the same checks as a fresh parse: the TOML file
    stays the one truth.
    It is written after a parse and by ``WatchList.remember_parsed`` (the dashboard, on
    quit); it is a pure speed-up, so every failure around it is ignored.
    """

    def __init__(self, watchlist: Path) -> None:
        name = hashlib.blake2b(str(watchlist).encode(), digest_size=8).hexdigest()
        self.file = platformdirs.user_cache_path("kling-tui") / f"watchlist-{name}.json"

    def load(self, data: bytes) -> dict[str, Any] | None:
        if len(data) < PARSED_CACHE_MIN_BYTES:
            return None
        try:
            raw, st = read_regular(self.file, limit=2 * MAX_WATCHLIST_BYTES)
            if access_problem(self.file, st) is not None:
                return None  # someone else could have written it: parse the file instead
            # Hashed only once a cache file is there: none (a first start, a cleared
            # cache) costs no hash of the list (5 ms at 10,000 tasks).
            key = digest(data)
            # ``store`` writes the key first: a cache of other bytes (the file changed by
            # another program) is refused before decoding it (0.05-0.09 s at 10,000 tasks).
            if not raw.startswith(_key_prefix(key)):
                return None
            cached = json.loads(raw, object_hook=_untag)
        except (OSError, ValueError, TypeError, FileRefused):
            return None
        if not isinstance(cached, dict) or cached.get("blake2b") != key:
            return None
        doc = cached.get("doc")
        return doc if isinstance(doc, dict) else None

    def store(self, data: bytes, doc: dict[str, Any]) -> None:
        if len(data) < PARSED_CACHE_MIN_BYTES:
            return
        try:
            text = json.dumps(
                {"blake2b": digest(data), "doc": doc},
                default=_tag,
                ensure_ascii=False,
                separators=(",", ":"),
            )
            # A hand-added key that looks like one of the tags would not come back as it
            # went in: then no cache (checked by reading it back, 0.03 s at 10,000 tasks).
            if json.loads(text, object_hook=_untag)["doc"] != doc:
                return
            atomic_write(self.file, text.encode("utf-8", "surrogatepass"))
        except (OSError, ValueError, TypeError, UnicodeError):
            with contextlib.suppress(OSError):
                self.file.unlink()
