"""Choosing one of several results (videos or images), and what to do when no browser starts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kling_tui.gateway.urls import check_open_url
from kling_tui.models import Image, Video
from kling_tui.ui.format import fmt_video_duration
from kling_tui.ui.screens.confirm import ChoiceScreen


class VideoChooserScreen(ModalScreen[int | None]):
    """Pick a result by number (1-9) or with the cursor; returns its index or None.

    Videos show their duration, images their index (``task_result.images[].index``)."""

    DEFAULT_CSS = """
    VideoChooserScreen {
        align: center middle;
    }
    VideoChooserScreen > Vertical {
        width: 90%;
        max-width: 120;
        height: auto;
        max-height: 80%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    VideoChooserScreen OptionList {
        height: auto;
        max-height: 16;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="videos-cancel"),
        *(Binding(str(n), f"pick({n - 1})", show=False) for n in range(1, 10)),
    ]

    def __init__(self, videos: Sequence[Video | Image], *, purpose: str) -> None:
        super().__init__()
        self._videos = list(videos)
        self._purpose = purpose

    def compose(self) -> ComposeResult:
        options: list[Option] = []
        for index, video in enumerate(self._videos, start=1):
            if isinstance(video, Image):
                shown = f"#{video.index}" if video.index is not None else "image"
            else:
                shown = fmt_video_duration(video.duration)
            prompt = Text(f"{index}. {shown:>6}  ")
            prompt.append(video.url or "no url")
            reason = check_open_url(video.url) if video.url else "no url"
            if reason and self._purpose == "open":
                prompt.append(f"\n    will not open: {reason}", style=Style(italic=True))
            options.append(Option(prompt, id=str(index - 1)))
        with Vertical():
            noun = "image" if all(isinstance(v, Image) for v in self._videos) else "video"
            yield Static(
                Text(f"Choose the {noun} to {self._purpose} (1-{len(self._videos)}, Esc cancels)")
            )
            yield OptionList(*options, id="video-options")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_pick(self, index: int) -> None:
        if 0 <= index < len(self._videos):
            self.dismiss(index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_index)


class OpenFailedScreen(ChoiceScreen):
    """No browser could be started: say why and offer to copy the URL (returns True)."""

    DEFAULT_CSS = """
    OpenFailedScreen > Vertical {
        width: 80;
        border: thick $error;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "answer(True)", "Copy URL", id="open-failed-copy"),
        Binding("escape", "answer(False)", "Close", id="open-failed-close"),
    ]

    def __init__(self, url: str, reason: str) -> None:
        message = Text("Could not open a browser", style=Style(bold=True))
        message.append(f": {reason}\n\n")
        message.append(url)
        super().__init__(message, yes="Copy URL", no="Close", yes_variant="primary")
