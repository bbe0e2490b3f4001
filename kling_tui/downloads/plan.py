"""Which files of which tasks a download fetches, and under which names.

A succeeded task's files are its videos (role ``video``), its images (``image``) and, when
asked, the watermarked copies (``watermark``), each numbered from 0 within its role. A file
already recorded on the task (``WatchEntry.local_files``: same role and number, the file
still on disk with its recorded size) is skipped. Names come from the template
(:mod:`.names`); a name another task holds (recorded, on disk, or earlier in this plan)
gets a tag from the task's key, so two tasks never share a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from kling_tui.downloads.names import NameFields, render, unique_name
from kling_tui.downloads.transfer import PART_SUFFIX
from kling_tui.gateway.urls import local_file_url
from kling_tui.models import LocalFile, Status, WatchEntry

_EXTS = frozenset({"mp4", "mov", "webm", "mkv", "png", "jpg", "jpeg", "webp", "gif"})
_DEFAULT_EXT = {"video": "mp4", "watermark": "mp4", "image": "png"}


@dataclass(frozen=True, slots=True)
class FileJob:
    """One file to bring home (or found done already: ``done`` is its record)."""

    entry: WatchEntry
    n: int
    role: str
    url: str
    path: Path
    done: LocalFile | None = None
    adopt: bool = False
    """``path`` exists, recorded by no task: maybe this very file, finished by a run killed
    before it could record it. The transfer checks its size with the server (``Range``
    from its end) and takes it, or gives it up to a tagged name (``"taken"``)."""


def result_files(entry: WatchEntry, *, watermark: bool) -> list[tuple[str, int, str]]:
    """(role, n, url) of each result of a succeeded task, in a stable order."""
    s = entry.snapshot
    if s is None or s.status is not Status.SUCCEEDED:
        return []
    found = [("video", n, v.url) for n, v in enumerate(s.videos) if v.url]
    found += [("image", n, i.url) for n, i in enumerate(s.images) if i.url]
    if watermark:
        found += [
            ("watermark", n, v.watermark_url) for n, v in enumerate(s.videos) if v.watermark_url
        ]
        found += [
            ("watermark", len(s.videos) + n, i.watermark_url)
            for n, i in enumerate(s.images)
            if i.watermark_url
        ]
    return found


def recorded(entry: WatchEntry, role: str, n: int, folder: Path) -> LocalFile | None:
    """The task's record of this file when the file is still on disk with its size, in
    ``folder``. The record is data from a file a hand may have edited: a path outside the
    download folder (or a link inside it to elsewhere: ``urls.local_file_url``, the rule
    ``o`` opens by) is no proof the result is home, and is downloaded again."""
    for f in entry.local_files:
        if f.role == role and f.n == n:
            if local_file_url(f.path, folder)[1] is not None:
                return None
            try:
                if os.stat(f.path).st_size == f.size:
                    return f
            except (OSError, ValueError):
                return None
    return None


def _ext(url: str, role: str) -> str:
    try:
        path = urlsplit(url).path
    except ValueError:
        path = ""
    ext = path.rpartition("/")[2].rpartition(".")[2].lower() if "." in path else ""
    return ext if ext in _EXTS else _DEFAULT_EXT[role]


def _fields(entry: WatchEntry, role: str, n: int, ext: str) -> NameFields:
    s = entry.snapshot
    return NameFields(
        label=entry.label,
        task_id=entry.task_id,
        n=n,
        ext=ext,
        kind=entry.kind,
        external_task_id=s.external_task_id if s else None,
        created=s.created_at if s else None,
        model=s.model if s else None,
        role=role,
    )


def _names(folder: Path, entries: Iterable[WatchEntry]) -> tuple[set[str], set[str]]:
    """Names in ``folder`` held on disk (final names), and names recorded by any task."""
    on_disk: set[str] = set()
    try:
        with os.scandir(folder) as it:
            on_disk.update(e.name.lower() for e in it if not e.name.endswith(PART_SUFFIX))
    except OSError:
        pass
    taken: set[str] = set()
    for entry in entries:
        for f in entry.local_files:
            p = Path(f.path)
            if p.parent == folder:
                taken.add(p.name.lower())
    return on_disk, taken


def plan(
    entries: Sequence[WatchEntry],
    folder: Path,
    template: str,
    *,
    watermark: bool = False,
    known: Sequence[WatchEntry] = (),
) -> list[FileJob]:
    """The files of ``entries``; ``known``: every watched task (whose recorded names are
    taken). A recorded file still on disk comes back as a job with ``done`` set."""
    on_disk, recorded_names = _names(folder, [*known, *entries])
    taken = on_disk | recorded_names
    jobs: list[FileJob] = []
    for entry in entries:
        for role, n, url in result_files(entry, watermark=watermark):
            done = recorded(entry, role, n, folder)
            if done is not None:
                jobs.append(FileJob(entry, n, role, url, Path(done.path), done))
                continue
            name = render(template, _fields(entry, role, n, _ext(url, role)))
            if role == "watermark" and "{role}" not in template:
                stem, dot, ext = name.rpartition(".")
                name = f"{stem}-wm.{ext}" if dot else f"{name}-wm"
            low = name.lower()
            adopt = low in on_disk and low not in recorded_names
            if not adopt:
                name = unique_name(name, taken, f"{entry.key}|{role}|{n}")
            taken.add(name.lower())
            recorded_names.add(name.lower())  # a second task of that name: a tagged one
            jobs.append(FileJob(entry, n, role, url, folder / name, adopt=adopt))
    return jobs
