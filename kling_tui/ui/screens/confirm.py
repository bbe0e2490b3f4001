"""Two-button questions: :class:`ChoiceScreen` (the shared modal) and :class:`ConfirmScreen`.

A choice is a message and two buttons that dismiss with True / False. The yes/no confirm
(e.g. before removing a task) and "no browser started: copy the URL?" (``videos.py``) are the
same modal with other words, keys and colours, so they share this one class.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

ButtonVariant = Literal["default", "primary", "success", "warning", "error"]


class ChoiceScreen(ModalScreen[bool]):
    """A message and two buttons; returns True for the yes button (focused first).

    Subclasses bind keys to ``answer(True)`` / ``answer(False)`` and may restyle
    ``<Subclass> > Vertical`` (width, border colour)."""

    DEFAULT_CSS = """
    ChoiceScreen {
        align: center middle;
    }
    ChoiceScreen > Vertical {
        width: 64;
        max-width: 100%;
        height: auto;
        border: thick $warning;
        background: $surface;
        padding: 1 2;
    }
    ChoiceScreen #confirm-buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    ChoiceScreen Button {
        margin-left: 1;
    }
    """

    def __init__(
        self, message: Text, *, yes: str, no: str, yes_variant: ButtonVariant = "error"
    ) -> None:
        super().__init__()
        self._question = message
        self._yes = yes
        self._no = no
        self._yes_variant: ButtonVariant = yes_variant

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._question, id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(self._no, id="confirm-no")
                yield Button(self._yes, id="confirm-yes", variant=self._yes_variant)

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")


class ConfirmScreen(ChoiceScreen):
    """Returns True for yes. ``y``/Enter confirm, ``n``/Escape decline."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm-no"),
    ]

    def __init__(self, question: Text, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(question, yes=yes, no=no)
