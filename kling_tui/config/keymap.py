"""The ``[keys]`` table: binding ids to keys, checked without Textual.

Grammar of one value (README "Key map")::

    value    := key ("," key)*              at most MAX_KEYS_PER_BINDING keys, MAX_VALUE_CHARS
    key      := (modifier "+")* name         spaces around a key are ignored
    modifier := ctrl | shift | alt | meta | super | hyper
    name     := one printable ASCII character other than space and ","   (x, X, ?, /, $;
                shift+x alone is X, the key a terminal sends)
              | a named key: enter escape tab space backspace delete insert home end
                pageup pagedown up down left right f1 … f24, or a character's long
                name as Textual spells it (question_mark, slash, dollar_sign, comma)

Two steps, because the second needs the dashboard's binding table: :func:`read_keymap`
(at config load: the table's shape, the grammar, lengths; bad entries become problems,
never a load failure) and :func:`resolve_keymap` (at app start, given every binding's id
and default keys: unknown ids and keys that collide with another binding are problems,
and those entries keep their default keys). The app starts either way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kling_tui.gateway.sanitize import clean_text

MAX_KEYMAP_ENTRIES = 64
"""``[keys]`` holds at most this many entries (the dashboard has about 20 bindings)."""
MAX_KEYS_PER_BINDING = 4
MAX_VALUE_CHARS = 100
MAX_SHOWN = 40
"""An id or value quoted in a problem message is cut to this many characters."""

MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
_NAMED = {
    "enter",
    "escape",
    "tab",
    "space",
    "backspace",
    "delete",
    "insert",
    "home",
    "end",
    "pageup",
    "pagedown",
    "up",
    "down",
    "left",
    "right",
    *(f"f{n}" for n in range(1, 25)),
}
_REPLACEMENTS = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}
"""Textual's short names for a few characters (``textual.keys.KEY_NAME_REPLACEMENTS``)."""


def char_key(char: str) -> str:
    """A single character's key name as Textual spells it (``?`` -> ``question_mark``):
    the form both sides of a collision check are compared in (``textual.keys``'s rule,
    pinned by a test against it)."""
    if char.isalnum():
        return char
    name = unicodedata.name(char).lower().replace("-", "_").replace(" ", "_")
    return _REPLACEMENTS.get(name, name)


_PRINTABLE = [chr(c) for c in range(0x21, 0x7F) if chr(c) != ","]
_LONG_NAMES = {char_key(c) for c in _PRINTABLE if not c.isalnum()} | {"comma"}
NAMED_KEYS = frozenset(_NAMED | _LONG_NAMES)
_ID_RE = re.compile(r"[a-z][a-z0-9-]{0,39}")


def _shown(value: object) -> str:
    return repr(clean_text(str(value), MAX_SHOWN))


def normalize_key(text: str) -> str | None:
    """One key in Textual's long form (``ctrl+question_mark``), or None when it is not in
    the grammar above."""
    text = text.strip()
    if not text or len(text) > 40:
        return None
    if text == "+":
        mods, name = [], "+"
    elif text.endswith("++"):  # ctrl++ : the plus key with a modifier
        mods, name = text[:-2].split("+"), "+"
    else:
        *mods, name = text.split("+")
    if any(m not in MODIFIERS for m in mods) or len(set(mods)) != len(mods):
        return None
    if len(name) == 1:
        if name not in _PRINTABLE:
            return None
        if mods == ["shift"] and name.isalpha():  # a terminal sends shift+d as "D":
            mods, name = [], name.upper()  # "shift+d" would never fire, nor collide with D
        name = char_key(name)
    elif name not in NAMED_KEYS:
        return None
    return "+".join([*mods, name])


def normalize_keys(value: str) -> str:
    """``"enter, o"`` -> ``"enter,o"`` in long form; ValueError saying what is wrong."""
    if len(value) > MAX_VALUE_CHARS:
        raise ValueError(f"at most {MAX_VALUE_CHARS} characters")
    parts = value.split(",")
    if len(parts) > MAX_KEYS_PER_BINDING:
        raise ValueError(f"at most {MAX_KEYS_PER_BINDING} keys")
    keys: list[str] = []
    for part in parts:
        key = normalize_key(part)
        if key is None:
            raise ValueError(
                f"{_shown(part.strip())} is not a key (one character such as x or ?, "
                "a named key such as enter or f2, with ctrl+ / shift+ / alt+ in front)"
            )
        if key not in keys:
            keys.append(key)
    return ",".join(keys)


@dataclass(frozen=True, slots=True)
class KeymapRead:
    """What ``[keys]`` asked for: entries in the grammar (long form, file order) and one
    message per entry that is not (``keys.ID: …``)."""

    keys: dict[str, str]
    problems: tuple[str, ...] = ()


def read_keymap(value: Any) -> KeymapRead:
    """The ``[keys]`` table as read from the file. Raises TypeError when it is not a table
    of at most :data:`MAX_KEYMAP_ENTRIES` entries (the shape is the loader's error)."""
    if not isinstance(value, dict):
        raise TypeError('a table of binding id = "keys" (such as remove = "x")')
    if len(value) > MAX_KEYMAP_ENTRIES:
        raise TypeError(f"at most {MAX_KEYMAP_ENTRIES} entries")
    keys: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, raw in value.items():
        if not _ID_RE.fullmatch(binding_id):
            problems.append(f"keys.{clean_text(binding_id, MAX_SHOWN)}: not a binding id")
            continue
        if not isinstance(raw, str):
            problems.append(f'keys.{binding_id}: expected a string such as "x" or "enter,o"')
            continue
        try:
            keys[binding_id] = normalize_keys(raw)
        except ValueError as exc:
            problems.append(f"keys.{binding_id}: {exc}")
    return KeymapRead(keys, tuple(problems))


def resolve_keymap(
    wanted: Mapping[str, str],
    defaults: Mapping[str, str],
    reserved: Mapping[str, str] | None = None,
    actions: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], list[str]]:
    """The keymap to apply and one message per entry left out.

    ``wanted``: :attr:`KeymapRead.keys`; ``defaults``: every binding id and its default keys
    (long form, comma separated); ``reserved``: keys the dashboard uses without an id
    (``down`` moves the cursor) and what for; ``actions``: each id's action (two bindings
    of one action, such as ``open`` and the table's ``open-enter``, may share a key).

    An entry naming an unknown id, or a key that ends up on another binding too (its default
    or its own rebinding), is left out, and that binding keeps its default keys.
    Entries left out can free keys, so it repeats until no collision is left (defaults
    never collide with each other: a test checks it).
    """
    reserved = reserved or {}
    actions = actions or {}
    problems: list[str] = []
    accepted: dict[str, str] = {}
    for binding_id, keys in wanted.items():
        if binding_id not in defaults:
            problems.append(
                f"keys.{binding_id}: unknown binding id (known: {', '.join(sorted(defaults))})"
            )
            continue
        clash = next((k for k in keys.split(",") if k in reserved), None)
        if clash is not None:
            problems.append(
                f"keys.{binding_id}: {clash} is already taken ({reserved[clash]}); "
                f"{binding_id} keeps {defaults[binding_id]}"
            )
            continue
        accepted[binding_id] = keys
    while True:
        owners: dict[str, list[str]] = {}
        for binding_id, default in defaults.items():
            for key in accepted.get(binding_id, default).split(","):
                owners.setdefault(key, []).append(binding_id)
        dropped = False
        for key, ids in owners.items():
            if len({actions.get(i, i) for i in ids}) < 2:
                continue
            for binding_id in [i for i in ids if i in accepted]:
                others = ", ".join(i for i in ids if i != binding_id)
                problems.append(
                    f"keys.{binding_id}: {key} is already the key of {others}; "
                    f"{binding_id} keeps {defaults[binding_id]}"
                )
                del accepted[binding_id]
                dropped = True
        if not dropped:
            return accepted, problems
