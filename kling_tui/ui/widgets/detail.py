"""The detail pane: everything known about the selected task, and its raw answer on demand.

Built as one ``rich.text.Text`` from plain strings (labels styled, values never parsed), so
a server message such as ``[@click=app.quit]x[/]`` is shown as those characters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from kling_tui.expiry import EXPIRING_WITHIN, downloaded, expires_at, fmt_left, seconds_left
from kling_tui.gateway.sanitize import clean_text
from kling_tui.gateway.urls import check_open_url
from kling_tui.kinds import Media, kind_spec
from kling_tui.models import Status, WatchEntry
from kling_tui.polling.eta import stuck_after
from kling_tui.store.ids import other_ids
from kling_tui.ui.download_state import DownloadBoard
from kling_tui.ui.format import (
    DASH,
    clip,
    fmt_ago,
    fmt_bytes,
    fmt_progress,
    fmt_span,
    fmt_time,
    fmt_video_duration,
)
from kling_tui.ui.rawjson import render_json
from kling_tui.ui.view import EtaEstimator, elapsed_seconds, is_stale, row_state
from kling_tui.ui.widgets.badge import render_badge
from kling_tui.ui.widgets.palette import Palette

RAW_DISPLAY_LIMIT = 64 * 1024
"""The raw answer is capped by the normaliser; cap again so a wrapping Static stays fast."""


_Field = Callable[..., None]
"""``field(name, value, *, style="")``: one ``name<TAB>value`` line of the body."""


class DetailPane(VerticalScroll):
    """Shows one task. ``show(entry)`` redraws; ``show_raw`` toggles the raw JSON."""

    DEFAULT_CSS = """
    DetailPane {
        height: 1fr;
        min-height: 6;
        border-top: solid $primary 50%;
        padding: 0 1;
        background: $surface;
    }
    DetailPane > #detail-body {
        width: 1fr;
    }
    DetailPane > #detail-raw {
        width: 1fr;
        margin-top: 1;
        color: $text-muted;
    }
    """

    can_focus = True

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        eta: EtaEstimator,
        palette: Palette,
        origins: Mapping[str, str],
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._now = now
        self._eta = eta
        self.palette = palette
        self._origins = dict(origins)
        self.entry: WatchEntry | None = None
        self.show_raw = False
        self._last_body: str | None = None
        self._last_raw: Text | None = None
        self._raw_cache: tuple[str, Palette, Text] | None = None
        self.plain_text = ""
        """Plain text of what is shown (name<TAB>value lines), for tests and copying."""
        self.downloads = DownloadBoard()
        """This session's downloads (the app hands in the table's board)."""

    def compose(self) -> ComposeResult:
        yield Static(Text("No task selected.", style="italic"), id="detail-body")
        yield Static(Text(""), id="detail-raw")

    def show(self, entry: WatchEntry | None) -> None:
        """Show ``entry``; another task starts at the top (its title and status in view).

        The same task shown again (every poll and tick) keeps the operator's scroll offset.
        """
        previous = self.entry
        self.entry = entry
        self.redraw()
        if (previous.key if previous else None) != (entry.key if entry else None):
            self.scroll_home(animate=False, immediate=True)

    def set_palette(self, palette: Palette) -> None:
        self.palette = palette
        self.redraw(force=True)

    def toggle_raw(self) -> bool:
        self.show_raw = not self.show_raw
        self.redraw(force=True)
        return self.show_raw

    def redraw(self, *, force: bool = False) -> None:
        body = self.render_body(self.entry)
        signature = body.markup
        if force or signature != self._last_body:
            self._last_body = signature
            self.plain_text = body.plain
            self.query_one("#detail-body", Static).update(self._layout(body))
            raw = self.render_raw(self.entry)
            if force or raw is not self._last_raw:
                self._last_raw = raw
                self.query_one("#detail-raw", Static).update(raw)

    @staticmethod
    def _layout(body: Text) -> RenderableType:
        """Lay ``name<TAB>value`` lines out as a grid so long values wrap under themselves."""
        lines = body.split("\n")
        if not lines:
            return body
        grid = Table.grid(padding=(0, 2))
        grid.add_column(justify="right", no_wrap=True)
        grid.add_column(overflow="fold")
        parts: list[RenderableType] = [lines[0]]
        for line in lines[1:]:
            name, sep, _ = line.plain.partition("\t")
            if sep:
                grid.add_row(line[: len(name)], line[len(name) + 1 :])
            else:
                grid.add_row(Text(""), line)
        parts.append(grid)
        return Group(*parts)

    # -- content -------------------------------------------------------------------------

    def render_raw(self, entry: WatchEntry | None) -> Text:
        """The raw answer, indented and highlighted (keys in the order received)."""
        if entry is None:
            return Text("")
        raw = entry.snapshot.raw if entry.snapshot is not None else None
        if not self.show_raw:
            return Text("raw answer hidden — press j to show it", style=Style(italic=True))
        if not raw:
            return Text("no raw answer stored for this task", style=Style(italic=True))
        cached = self._raw_cache
        if cached is not None and cached[0] is raw and cached[1] is self.palette:
            return cached[2]  # lexing 64 KB takes ~60 ms: not on every clock tick
        text = Text()
        text.append("raw answer:\n", style=Style(bold=True))
        text.append_text(render_json(raw[:RAW_DISPLAY_LIMIT], self.palette))
        if len(raw) > RAW_DISPLAY_LIMIT:
            text.append(
                f"\n… {len(raw) - RAW_DISPLAY_LIMIT} more characters not shown", style="italic"
            )
        self._raw_cache = (raw, self.palette, text)
        return text

    def render_body(self, entry: WatchEntry | None) -> Text:
        """The selected task as ``name<TAB>value`` lines: what an operator needs first
        (state, progress, why it failed, the videos), then identity and times."""
        if entry is None:
            return Text("No task selected.", style=Style(italic=True))
        now = self._now()
        palette = self.palette
        label_style = Style(color=palette.muted)
        text = Text()

        def field(name: str, value: str | Text, *, style: Style | str = "") -> None:
            text.append(name, style=label_style)
            text.append("\t")
            if isinstance(value, Text):
                text.append_text(value)
            else:
                text.append(value, style=style)
            text.append("\n")

        title = Text()
        title.append_text(render_badge(row_state(entry), is_stale(entry), palette))
        title.append("  ")
        name = entry.label or entry.task_id
        title.append(clip(name, 300), style=Style(bold=True))
        text.append_text(title)
        text.append("\n")

        # What an operator needs first: state, progress, why it failed, the videos.
        self._state_fields(field, entry, now)
        self._error_fields(field, entry, now)
        self._video_fields(field, entry, label_style)
        self._download_fields(field, entry, now)
        self._identity_fields(field, entry, now)
        text.rstrip()
        return text

    def _state_fields(self, field: _Field, entry: WatchEntry, now: datetime) -> None:
        """Status (with the server's own word), progress, elapsed, ETA, message."""
        snap = entry.snapshot
        if snap is not None:
            status = snap.status_label
            if snap.status_raw and snap.status_raw != snap.status.value:
                status += f"  (server: {snap.status_raw})"
            field("status", status)
            eta = self._eta.eta_seconds(entry, now)
            done = snap.status is Status.SUCCEEDED and snap.progress is None
            progress = "100%" if done else fmt_progress(snap.progress)
            progress += f"   elapsed {fmt_span(elapsed_seconds(entry, now))}"
            if eta is not None:
                progress += f"   eta ~{fmt_span(eta)}"
            if snap.progress_synthetic and eta is not None:
                progress += " (from learned render times: the relay's % is synthetic)"
            field("progress", progress)
            if entry.stuck and entry.state_since is not None:
                limit = stuck_after(self._eta.times, entry.kind, snap.model, snap.status)
                still = fmt_span((now - entry.state_since).total_seconds())
                field("stuck", f"no change for {still} (stuck after {fmt_span(limit)}); polled on")
            if snap.message:
                field("message", snap.message)
        else:
            field("status", "not checked yet" if entry.last_error is None else "no answer yet")

    def _error_fields(self, field: _Field, entry: WatchEntry, now: datetime) -> None:
        """The last failed fetch: type, HTTP status, code, when, text, Retry-After."""
        snap = entry.snapshot
        palette = self.palette
        error = entry.last_error
        if error is not None:
            colour = palette.badge_color("stale" if snap is not None else "error")
            err = Text()
            err.append(error.type.value.replace("_", " "), style=Style(color=colour, bold=True))
            extra = []
            if error.status_code is not None:
                extra.append(f"HTTP {error.status_code}")
            if error.code:
                extra.append(f"code {clip(error.code, 80)}")
            if extra:
                err.append(" (" + ", ".join(extra) + ")")
            err.append(f" at {fmt_time(error.at)} ({fmt_ago(error.at, now)})")
            if snap is not None:
                err.append(" — showing the last good answer", style=Style(color=colour))
            field("last error", err)
            field("error text", clip(error.message, 2000), style=Style(color=colour))
            if error.retry_after is not None:
                field("retry after", fmt_span(error.retry_after))

    def _video_fields(self, field: _Field, entry: WatchEntry, label_style: Style) -> None:
        """The results: one line per video (duration, URL and why it will not open, id) or
        image (index, URL), each watermarked copy, the parent video, the cost."""
        snap = entry.snapshot
        videos = snap.videos if snap is not None else ()
        images = snap.images if snap is not None else ()
        if not videos and not images:
            spec = kind_spec(entry.kind)
            field("images" if spec is not None and spec.media is Media.IMAGE else "videos", DASH)
        for index, video in enumerate(videos, start=1):
            line = Text(f"{fmt_video_duration(video.duration)}  ")
            self._url(line, video.url, label_style)
            if video.id:
                line.append(f"  id {video.id}", style=label_style)
            field("video" if len(videos) == 1 else f"video {index}", line)
            if video.watermark_url:
                field("  watermark", self._url(Text(), video.watermark_url, label_style))
        for index, image in enumerate(images, start=1):
            line = Text(f"#{image.index}  " if image.index is not None else "")
            self._url(line, image.url, label_style)
            field("image" if len(images) == 1 else f"image {index}", line)
            if image.watermark_url:
                field("  watermark", self._url(Text(), image.watermark_url, label_style))
        if snap is not None and snap.parent_video is not None:
            parent = snap.parent_video
            line = Text(f"{fmt_video_duration(parent.duration)}  ")
            self._url(line, parent.url, label_style)
            if parent.id:
                line.append(f"  id {parent.id}", style=label_style)
            field("parent video", line)
        if snap is not None and snap.final_unit_deduction is not None:
            field("cost", f"{snap.final_unit_deduction:g} units")

    def _download_fields(self, field: _Field, entry: WatchEntry, now: datetime) -> None:
        """When the result expires, where it was saved, how its download goes."""
        snap = entry.snapshot
        left = seconds_left(snap, now)
        palette = self.palette
        if snap is not None and left is not None:
            when = expires_at(snap)
            source = "the gateway's date" if snap.expires_at else "30 days from the finish"
            state = "expired" if left <= 0 else f"{fmt_left(left)} left"
            line = Text(f"{fmt_time(when)}  ({state}; {source})")
            if 0 < left < EXPIRING_WITHIN.total_seconds() and not downloaded(entry):
                line.stylize(Style(color=palette.badge_color("stale"), bold=True))
            field("expires", line)
        for n, local in enumerate(getattr(entry, "local_files", ()), start=1):
            line = Text(clean_text(str(local.path), limit=1000))
            line.append(f"  {fmt_bytes(local.size)}", style=Style(color=palette.muted))
            field("saved" if n == 1 else f"saved {n}", line)
        live = self.downloads.get(str(entry.key))
        if live is not None and live.state != "done":
            if live.state == "failed":
                text = Text("failed: " + clip(live.message or "download failed", 500))
                text.stylize(Style(color=palette.badge_color("failed")))
            elif live.state == "queued":
                text = Text("queued")
            else:
                fraction = live.fraction
                pct = f"{fraction * 100:.0f}%  " if fraction is not None else ""
                text = Text(f"downloading {pct}{fmt_bytes(live.bytes_done)}")
            field("download", text)
            for n, path in enumerate(live.paths, start=1):
                field("to" if n == 1 else f"to {n}", clean_text(path, limit=1000))
        elif live is None and getattr(entry, "download_error", None):
            text = Text("failed: " + clip(entry.download_error, 500))  # type: ignore[attr-defined]
            text.stylize(Style(color=palette.badge_color("failed")))
            field("download", text)

    def _url(self, line: Text, url: str | None, label_style: Style) -> Text:
        """``url`` appended to ``line`` (and why it will not open), or ``no url``."""
        if url:
            line.append(url)
            reason = check_open_url(url)
            if reason:
                line.append(f"  — will not open: {reason}", style=Style(color=self.palette.warning))
        else:
            line.append("no url", style=label_style)
        return line

    def _identity_fields(self, field: _Field, entry: WatchEntry, now: datetime) -> None:
        """Task id, kind, gateway and its origin, label, external id, times."""
        snap = entry.snapshot
        field("task id", clip(entry.task_id, 300) + ("  (external id)" if entry.external else ""))
        for role, other in other_ids(entry):  # Kling's id inside a relay's answer...
            field(role, clip(other, 300))
        field("kind", clip(entry.kind, 60))
        if snap is not None and snap.model:
            field("model", clip(snap.model, 100))
        origin = self._origins.get(entry.gateway)
        gateway = clip(entry.gateway, 80)
        if entry.base_url:
            gateway += f" ({clip(entry.base_url, 300)})"
        elif origin:
            gateway += f" ({clean_text(origin, limit=300)})"
        field("gateway", gateway)
        field("label", clip(entry.label, 500) if entry.label else DASH)
        if snap is not None:
            field("external id", snap.external_task_id or DASH)
            field("created", fmt_time(snap.created_at))
            field("updated", fmt_time(snap.updated_at))
        field("added", fmt_time(entry.added_at))
        checked = "never"
        if entry.last_checked is not None:
            checked = f"{fmt_time(entry.last_checked)}  ({fmt_ago(entry.last_checked, now)})"
        field("last checked", checked)
        if snap is not None:
            field("last answer", f"{fmt_time(snap.fetched_at)}  ({fmt_ago(snap.fetched_at, now)})")

    def set_origins(self, origins: Mapping[str, str]) -> None:
        """Gateway name -> origin, shown beside a task's gateway (a gateway set up live)."""
        self._origins = dict(origins)
        self.redraw(force=True)
