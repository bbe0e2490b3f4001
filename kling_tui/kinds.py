"""Every Kling task kind: its stored name, its short label, its path, what it makes.

Kling has one create / get / list endpoint per product (``/v1/videos/text2video``,
``/v1/images/generations``, ``/v1/audio/text-to-audio``, ...; see the API README, section
"Listing, results, cost and capacity"). A task can only be queried under the kind it was
created with on the native API, so the kind is part of a task's identity and of its URL.
This table is the one place that knows the kinds: the fetcher builds paths from it, the
table shows its short labels, the filter, the CLI and the watch-list loader read kind names
through :func:`parse_kind`, and the simulator serves exactly these kinds.

The stored name (the ``Kind`` value) never changes once released: watch lists hold it. It is
the path's last segments with ``/`` turned into ``-`` where the path has more than one
(``avatar/image2video`` is stored as ``avatar-image2video``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "KIND_ALIASES",
    "KIND_SPECS",
    "Kind",
    "KindSpec",
    "Media",
    "kind_spec",
    "parse_kind",
]


class Kind(StrEnum):
    """Task kinds, by the name the watch list stores."""

    TEXT2VIDEO = "text2video"
    IMAGE2VIDEO = "image2video"
    MULTI_IMAGE2VIDEO = "multi-image2video"
    OMNI_VIDEO = "omni-video"
    VIDEO_EXTEND = "video-extend"
    LIP_SYNC = "advanced-lip-sync"
    EFFECTS = "effects"
    MOTION_CONTROL = "motion-control"
    AVATAR = "avatar-image2video"
    MULTI_ELEMENTS = "multi-elements"
    IMAGE = "image-generations"
    OMNI_IMAGE = "omni-image"
    MULTI_IMAGE2IMAGE = "multi-image2image"
    EXPAND = "image-expand"
    TRY_ON = "kolors-virtual-try-on"
    TEXT2AUDIO = "text-to-audio"
    VIDEO2AUDIO = "video-to-audio"


class Media(StrEnum):
    """What a kind's task produces (``task_result.videos`` or ``images``; audio comes as
    ``videos``-like items with a URL)."""

    VIDEO = "video"
    IMAGE = "image"
    AUDIO = "audio"


@dataclass(frozen=True, slots=True)
class KindSpec:
    """One row of the kind table."""

    kind: Kind
    short: str
    """The label in the table and the short form accepted wherever a kind is typed."""
    path: str
    """Under the gateway's prefix (``/v1`` native, ``/kling/v1`` relay), before ``/{id}``;
    also the list endpoint (``GET {prefix}/{path}?pageNum=&pageSize=``)."""
    media: Media
    title: str
    """For people: help text, error messages (``this gateway does not serve lip sync``)."""
    stock_relay: bool = False
    """Served by the stock open-source relay (new-api): only text2video and image2video."""
    has_parent: bool = False
    """Works on an earlier video (extend, lip sync): the answer carries ``parent_video``."""


KIND_SPECS: dict[Kind, KindSpec] = {
    s.kind: s
    for s in (
        KindSpec(Kind.TEXT2VIDEO, "t2v", "videos/text2video", Media.VIDEO, "text to video", True),
        KindSpec(
            Kind.IMAGE2VIDEO, "i2v", "videos/image2video", Media.VIDEO, "image to video", True
        ),
        KindSpec(
            Kind.MULTI_IMAGE2VIDEO,
            "mi2v",
            "videos/multi-image2video",
            Media.VIDEO,
            "multi-image to video",
        ),
        KindSpec(Kind.OMNI_VIDEO, "omni", "videos/omni-video", Media.VIDEO, "omni video"),
        KindSpec(
            Kind.VIDEO_EXTEND,
            "ext",
            "videos/video-extend",
            Media.VIDEO,
            "video extend",
            has_parent=True,
        ),
        KindSpec(
            Kind.LIP_SYNC,
            "lip",
            "videos/advanced-lip-sync",
            Media.VIDEO,
            "lip sync",
            has_parent=True,
        ),
        KindSpec(Kind.EFFECTS, "fx", "videos/effects", Media.VIDEO, "video effects"),
        KindSpec(Kind.MOTION_CONTROL, "mc", "videos/motion-control", Media.VIDEO, "motion control"),
        KindSpec(Kind.AVATAR, "avatar", "videos/avatar/image2video", Media.VIDEO, "avatar"),
        KindSpec(
            Kind.MULTI_ELEMENTS, "elem", "videos/multi-elements", Media.VIDEO, "multi-elements"
        ),
        KindSpec(Kind.IMAGE, "img", "images/generations", Media.IMAGE, "image generation"),
        KindSpec(Kind.OMNI_IMAGE, "omni-img", "images/omni-image", Media.IMAGE, "omni image"),
        KindSpec(
            Kind.MULTI_IMAGE2IMAGE,
            "mi2i",
            "images/multi-image2image",
            Media.IMAGE,
            "multi-image to image",
        ),
        KindSpec(Kind.EXPAND, "expand", "images/editing/expand", Media.IMAGE, "image expand"),
        KindSpec(
            Kind.TRY_ON, "tryon", "images/kolors-virtual-try-on", Media.IMAGE, "virtual try-on"
        ),
        KindSpec(Kind.TEXT2AUDIO, "t2a", "audio/text-to-audio", Media.AUDIO, "text to audio"),
        KindSpec(Kind.VIDEO2AUDIO, "v2a", "audio/video-to-audio", Media.AUDIO, "video to audio"),
    )
}
"""Every kind, in the order help texts and menus list them."""


def _aliases() -> dict[str, Kind]:
    out: dict[str, Kind] = {}
    for spec in KIND_SPECS.values():
        tail = spec.path.split("/", 1)[1]  # "avatar/image2video", "editing/expand"
        for name in (spec.kind.value, spec.short, spec.path, tail, tail.replace("/", "-")):
            out.setdefault(name, spec.kind)
            out.setdefault(name.replace("-", "_"), spec.kind)
    # Earlier releases showed multi-image2video as "multi-i2v": keep accepting it.
    for old in ("multi-i2v", "multi_i2v"):
        out[old] = Kind.MULTI_IMAGE2VIDEO
    for word, kind in (("lip-sync", Kind.LIP_SYNC), ("try-on", Kind.TRY_ON)):
        out[word] = kind
    return out


KIND_ALIASES: dict[str, Kind] = _aliases()
"""Every spelling a person may type for a kind (lower case) -> the kind."""


def parse_kind(text: object) -> Kind | None:
    """The kind ``text`` names (stored name, short label or path; any case), or None."""
    if not isinstance(text, str):
        return None
    return KIND_ALIASES.get(text.strip().lower())


def kind_spec(kind: str) -> KindSpec | None:
    """The spec of a stored kind name, or None for a name this version does not know."""
    found = parse_kind(kind)
    return KIND_SPECS[found] if found is not None else None
