"""File names for downloaded results: the operator's template, made safe whatever a label,
an id or a model name holds.

The template is ``str.format`` syntax with named fields only (``DEFAULT_TEMPLATE``:
``{label}-{task_id}-{n}.{ext}``); ``{created:%Y%m%d}`` takes a ``strftime`` format, ``{n}``
an integer format (``{n:02d}``). It is checked when the config is loaded
(:func:`check_template`), so a typo is a config error, not a failed download.

Every field's text is data from a server, a file or argv: each is made safe on its own
(no ``/`` or ``\\``, no control, bidi or zero-width character, no ``: * ? " < > |``), then
the whole name (no leading dot or blank, no ``..``, no reserved Windows device name such as
``CON`` or ``lpt1.txt``, at most :data:`NAME_BYTES` bytes of UTF-8 with the extension
kept). Two files never share a name: :func:`unique_name` adds a tag made from the task's
key when the name is already taken.
"""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata
from dataclasses import dataclass
from datetime import datetime

DEFAULT_TEMPLATE = "{label}-{task_id}-{n}.{ext}"
FIELDS = (
    "label",
    "task_id",
    "n",
    "ext",
    "kind",
    "external_task_id",
    "created",
    "model",
    "role",
)
"""The template's fields (README, "Downloads")."""
TEMPLATE_LIMIT = 200
"""``[download] name`` / ``--name``: at most this many characters."""
NAME_BYTES = 180
"""A file name's cap in UTF-8 bytes: NAME_MAX is 255 on every common filesystem, and the
``.part`` suffix and a uniqueness tag must still fit."""
FIELD_CHARS = 120
"""One field's text is cut to this many characters before the whole name is capped."""
FALLBACK = "kling"
"""The name when nothing safe is left (a label of dots and slashes)."""

_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"com{i}" for i in "123456789¹²³"}
    | {f"lpt{i}" for i in "123456789¹²³"}
)
"""Windows device names: ``CON``, ``con.mp4`` and ``Con .txt`` all open the device."""
_UNSAFE = re.compile(r'[/\\:*?"<>|]+')
_DOTS = re.compile(r"\.{2,}")
_BLANKS = re.compile(r"\s+")


class TemplateError(ValueError):
    """A template that names an unknown field, uses positions, conversions or indexing."""


@dataclass(frozen=True, slots=True)
class NameFields:
    """What a template may show for one file (already known; made safe when rendered)."""

    label: str | None
    task_id: str
    n: int
    ext: str
    kind: str
    external_task_id: str | None
    created: datetime | None
    model: str | None
    role: str


def check_template(template: str) -> str:
    """``template`` if it is usable, else :class:`TemplateError` saying what is wrong.

    Only the named fields of :data:`FIELDS`, no ``!r`` conversions, no ``{x.attr}`` /
    ``{x[0]}``; at most :data:`TEMPLATE_LIMIT` characters; it must name ``{ext}`` (a file
    without its type opens nowhere) and render with sample values.
    """
    if not isinstance(template, str) or not template.strip():
        raise TemplateError("a template such as " + DEFAULT_TEMPLATE)
    if len(template) > TEMPLATE_LIMIT:
        raise TemplateError(f"a template of at most {TEMPLATE_LIMIT} characters")
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"a valid template ({exc})") from None
    named: set[str] = set()
    for _text, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in FIELDS:
            raise TemplateError(
                f"fields from {', '.join('{' + f + '}' for f in FIELDS)}; "
                f"{{{name[:40]}}} is not one"
            )
        if conversion is not None:
            raise TemplateError(f"no conversion such as !{conversion} on {{{name}}}")
        if spec and ("{" in spec or "}" in spec):
            raise TemplateError(f"no nested field in the format of {{{name}}}")
        named.add(name)
    if "ext" not in named:
        raise TemplateError("a template that names {ext} (the file's type)")
    sample = NameFields("label", "123", 0, "mp4", "text2video", "ext", None, "model", "video")
    try:
        render(template, sample)
    except (ValueError, TypeError) as exc:
        raise TemplateError(f"a template that renders ({exc})") from None
    return template


def _clean(value: str) -> str:
    """Text without separators, control or invisible characters, blanks collapsed."""
    out = []
    for ch in value:
        cat = unicodedata.category(ch)
        if cat[0] == "C" or cat in ("Zl", "Zp"):  # Cc, Cf (bidi, zero-width), Co, Cs, Cn
            out.append("" if cat == "Cf" else "_")
        else:
            out.append(ch)
    text = _UNSAFE.sub("_", "".join(out))
    return _BLANKS.sub(" ", text).strip()


def _field_text(value: str) -> str:
    """One field's text, safe on its own and cut to :data:`FIELD_CHARS`."""
    return _clean(value[: FIELD_CHARS * 2])[:FIELD_CHARS]


def _values(fields: NameFields) -> dict[str, object]:
    safe = _field_text
    return {
        "label": safe(fields.label) if fields.label else "",
        "task_id": safe(fields.task_id),
        "n": fields.n,
        "ext": safe(fields.ext) or "bin",
        "kind": safe(fields.kind),
        "external_task_id": safe(fields.external_task_id or ""),
        "created": fields.created,
        "model": safe(fields.model or ""),
        "role": safe(fields.role),
    }


class _Created:
    """``{created:%Y%m%d}``: strftime of the task's creation, empty when not known."""

    def __init__(self, when: datetime | None) -> None:
        self.when = when

    def __format__(self, spec: str) -> str:
        if self.when is None:
            return ""
        return _field_text(self.when.strftime(spec or "%Y%m%d"))


def render(template: str, fields: NameFields) -> str:
    """The safe file name ``template`` gives for ``fields`` (see the module docstring)."""
    values = _values(fields)
    values["created"] = _Created(fields.created)
    raw = template.format_map(values)
    return safe_name(raw, ext=str(values["ext"]))


def safe_name(raw: str, *, ext: str = "") -> str:
    """A whole name made safe: the rules of the module docstring, the extension kept."""
    suffix = f".{ext}" if ext and raw.endswith(f".{ext}") else ""
    stem = _clean(raw[: len(raw) - len(suffix)] if suffix else raw)
    stem = _DOTS.sub(".", stem)
    stem = re.sub(r"[-_ ]{2,}", lambda m: m.group(0)[0], stem)
    stem = stem.strip(" .-_") or FALLBACK
    if stem.split(".", 1)[0].rstrip(" ").lower() in _RESERVED:
        stem = "_" + stem
    return _cap(stem + suffix, ext if suffix else "")


def _cap(name: str, ext: str) -> str:
    """At most :data:`NAME_BYTES` bytes of UTF-8, cut at a character, the extension kept."""
    if len(name.encode()) <= NAME_BYTES:
        return name
    suffix = f".{ext}" if ext and name.endswith(f".{ext}") else ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    room = NAME_BYTES - len(suffix.encode())
    cut = stem.encode()[:room].decode(errors="ignore").rstrip(" .-_") or FALLBACK
    return cut + suffix


def unique_name(name: str, taken: set[str], tag_source: str) -> str:
    """``name``, or ``name`` with a tag from ``tag_source`` (the task's key, the file's
    number and role) before its extension when ``taken`` holds it already (compared
    case-blind: two names one case-insensitive disk calls the same are the same)."""
    if name.lower() not in taken:
        return name
    tag = hashlib.sha256(tag_source.encode()).hexdigest()[:10]
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem.encode()[: NAME_BYTES - 12 - len(ext.encode())].decode(errors="ignore")
    candidate = f"{stem}-{tag}" + (f".{ext}" if ext else "")
    counter = 2
    while candidate.lower() in taken:
        candidate = f"{stem}-{tag}-{counter}" + (f".{ext}" if ext else "")
        counter += 1
    return candidate
