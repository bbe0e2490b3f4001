"""File names from the template: hostile labels and ids never escape the folder or the
terminal, Windows device names are defused, lengths are capped, and two tasks never share
a name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kling_tui.downloads.names import (
    DEFAULT_TEMPLATE,
    NAME_BYTES,
    NameFields,
    TemplateError,
    check_template,
    render,
    safe_name,
    unique_name,
)


def fields(label: str | None = "clip", task_id: str = "860000000000000001", **kw) -> NameFields:
    base = {
        "label": label,
        "task_id": task_id,
        "n": 0,
        "ext": "mp4",
        "kind": "text2video",
        "external_task_id": "ext-1",
        "created": datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        "model": "kling-v2-1",
        "role": "video",
    }
    base.update(kw)
    return NameFields(**base)  # type: ignore[arg-type]


def test_default_template() -> None:
    assert render(DEFAULT_TEMPLATE, fields()) == "clip-860000000000000001-0.mp4"
    assert render(DEFAULT_TEMPLATE, fields(label=None)) == "860000000000000001-0.mp4"


def test_every_field() -> None:
    template = "{created:%Y%m%d}_{kind}_{model}_{external_task_id}_{role}_{n:02d}.{ext}"
    assert render(check_template(template), fields(n=3)) == (
        "20261130_text2video_kling-v2-1_ext-1_video_03.mp4"
    )
    assert render(template, fields(created=None)).startswith("text2video_")


@pytest.mark.parametrize(
    "label",
    ["../x", "../../etc/passwd", "a/b\\c", "..", ".", "/", "....//....//"],
)
def test_no_separator_or_dot_dot_survives(label: str) -> None:
    name = render("{label}.{ext}", fields(label=label))
    assert "/" not in name and "\\" not in name and ".." not in name
    assert not name.startswith(".") and name.endswith(".mp4")


@pytest.mark.parametrize("label", ["CON", "con", "Nul", "lpt1", "COM9", "aux.txt", "CON "])
def test_windows_device_names_are_defused(label: str) -> None:
    name = render("{label}.{ext}", fields(label=label))
    assert name.startswith("_"), name


def test_control_bidi_and_zero_width_characters_are_gone() -> None:
    hostile = "a\x1b]52;c;x\x07b\x9b2J\u202egnp\u200bz\x00\x7f\n\t"
    name = render("{label}-{task_id}.{ext}", fields(label=hostile, task_id="t\x1b[2J1"))
    assert name.isprintable()
    assert all(ch not in name for ch in "\x1b\x07\x9b\u202e\u200b\x00\x7f\n\t")
    assert name.endswith(".mp4")


def test_thousand_characters_are_capped_with_the_extension_kept() -> None:
    for label in ("x" * 1000, "字" * 1000, "😀" * 1000):
        name = render(DEFAULT_TEMPLATE, fields(label=label))
        assert len(name.encode()) <= NAME_BYTES
        assert name.endswith(".mp4")
        assert (name + ".part").encode().__len__() <= 255


def test_nothing_safe_left_falls_back() -> None:
    assert safe_name("../...mp4", ext="mp4") == "kling.mp4"
    assert render("{label}.{ext}", fields(label="../..")) == "kling.mp4"
    assert safe_name("\x00/\x1b") == "kling"


def test_unique_name_tags_a_taken_name_stably() -> None:
    taken = {"video.mp4"}
    a = unique_name("video.mp4", taken, "gw:t2v:1|video|0")
    b = unique_name("VIDEO.mp4", taken, "gw:t2v:2|video|0")
    assert a != "video.mp4" and b != a and a.endswith(".mp4")
    assert unique_name("video.mp4", taken, "gw:t2v:1|video|0") == a  # same task, same name
    assert unique_name("other.mp4", taken, "x") == "other.mp4"


@pytest.mark.parametrize(
    "template",
    [
        "",
        "{label}",  # no {ext}
        "{nope}.{ext}",
        "{0}.{ext}",
        "{label!r}.{ext}",
        "{label.__class__}.{ext}",
        "{label[0]}.{ext}",
        "{label:{n}}.{ext}",
        "{label.{ext}",
        "x" * 201 + "{ext}",
    ],
)
def test_bad_templates_are_refused(template: str) -> None:
    with pytest.raises(TemplateError):
        check_template(template)
