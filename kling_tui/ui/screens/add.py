"""The add dialog: one id or a pasted pile of them, the kind, the gateway, a label.

Every id is validated before anything is added. Invalid ones are listed inline with the
reason, and nothing is added until they are fixed or dropped ("Drop invalid"), so a paste
with one typo never half-adds a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from kling_tui.ids import InvalidTaskId, split_ids, validate_task_id
from kling_tui.models import Kind
from kling_tui.sanitize import clean_text


@dataclass(frozen=True, slots=True)
class AddRequest:
    """What the dialog returns: validated, de-duplicated ids and where they live."""

    ids: tuple[str, ...]
    kind: str
    gateway: str
    label: str | None


@dataclass(frozen=True, slots=True)
class IdProblem:
    raw: str
    reason: str


def check_ids(text: str) -> tuple[list[str], list[IdProblem]]:
    """Split and validate pasted ids: (valid ids in order without repeats, problems)."""
    valid: list[str] = []
    problems: list[IdProblem] = []
    seen: set[str] = set()
    for raw in split_ids(text):
        try:
            task_id = validate_task_id(raw)
        except InvalidTaskId as exc:
            problems.append(IdProblem(raw, getattr(exc, "reason", None) or str(exc)))
            continue
        if task_id not in seen:
            seen.add(task_id)
            valid.append(task_id)
    return valid, problems


class AddTasksScreen(ModalScreen[AddRequest | None]):
    """Modal dialog returning an ``AddRequest`` or None when cancelled."""

    DEFAULT_CSS = """
    AddTasksScreen {
        align: center middle;
    }
    AddTasksScreen > #add-dialog {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    AddTasksScreen #add-title {
        text-style: bold;
        width: 1fr;
    }
    AddTasksScreen #add-ids {
        height: 5;
    }
    AddTasksScreen .add-row {
        height: auto;
    }
    AddTasksScreen .add-row > Select {
        width: 1fr;
    }
    AddTasksScreen #add-errors {
        color: $error;
        height: auto;
        max-height: 6;
        display: none;
    }
    AddTasksScreen #add-errors.-show {
        display: block;
    }
    AddTasksScreen #add-buttons {
        height: auto;
        align-horizontal: right;
    }
    AddTasksScreen #add-buttons Button {
        margin-left: 1;
        min-width: 10;
    }
    AddTasksScreen #add-drop {
        display: none;
    }
    AddTasksScreen #add-drop.-show {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="add-cancel"),
        Binding("ctrl+s", "submit", "Add", id="add-submit"),
    ]

    def __init__(
        self,
        gateways: Sequence[str],
        default_gateway: str | None,
        *,
        kinds: Sequence[str] | None = None,
        default_kind: str = Kind.TEXT2VIDEO.value,
        initial_ids: str = "",
    ) -> None:
        super().__init__()
        self._gateways = list(gateways)
        self._default_gateway = default_gateway if default_gateway in self._gateways else None
        self._kinds = list(kinds or [k.value for k in Kind])
        self._default_kind = default_kind if default_kind in self._kinds else self._kinds[0]
        self._initial_ids = initial_ids
        self.problems: list[IdProblem] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="add-dialog"):
            title = Text("Watch tasks")
            title.append("   ctrl+s adds · Esc cancels", style=Style(dim=True, bold=False))
            yield Static(title, id="add-title")
            yield Label(Text("Task ids (one or many: spaces, commas or new lines)"))
            yield TextArea(self._initial_ids, id="add-ids", soft_wrap=True, show_line_numbers=False)
            with Horizontal(classes="add-row"):
                yield Select(
                    [(Text(k), k) for k in self._kinds],
                    value=self._default_kind,
                    allow_blank=False,
                    id="add-kind",
                )
                gateway_options = [(Text(clean_text(g, limit=60)), g) for g in self._gateways]
                if gateway_options:
                    yield Select(
                        gateway_options,
                        value=self._default_gateway or self._gateways[0],
                        allow_blank=False,
                        id="add-gateway",
                    )
                else:
                    yield Select([], prompt="no gateway configured", id="add-gateway")
            yield Input(placeholder="label (optional)", id="add-label", max_length=200)
            yield Static(Text(""), id="add-errors")
            with Horizontal(id="add-buttons"):
                yield Button("Drop invalid", id="add-drop", variant="warning")
                yield Button("Cancel", id="add-cancel")
                yield Button("Add", id="add-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#add-ids", TextArea).focus()

    # -- actions -------------------------------------------------------------------------

    def _show_errors(self, lines: list[Text]) -> None:
        errors = self.query_one("#add-errors", Static)
        if lines:
            body = Text()
            for index, line in enumerate(lines):
                if index:
                    body.append("\n")
                body.append_text(line)
            errors.update(body)
            errors.add_class("-show")
        else:
            errors.update(Text(""))
            errors.remove_class("-show")
        self.query_one("#add-drop", Button).set_class(bool(self.problems), "-show")

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        ids_text = self.query_one("#add-ids", TextArea).text
        valid, problems = check_ids(ids_text)
        self.problems = problems
        gateway = self.query_one("#add-gateway", Select).value
        kind = self.query_one("#add-kind", Select).value
        lines: list[Text] = []
        if problems:
            noun = "id is" if len(problems) == 1 else "ids are"
            lines.append(
                Text(f"{len(problems)} {noun} not valid; fix or drop them:", style=Style(bold=True))
            )
            for problem in problems[:20]:
                line = Text("• ")
                line.append(clean_text(problem.raw, limit=60), style=Style(bold=True))
                line.append(": " + clean_text(problem.reason, limit=200))
                lines.append(line)
            if len(problems) > 20:
                lines.append(Text(f"… and {len(problems) - 20} more"))
        elif not valid:
            lines.append(Text("Enter at least one task id."))
        if not isinstance(gateway, str):
            lines.append(Text("No gateway is configured: add one to the config file first."))
        self._show_errors(lines)
        if lines:
            return
        label = self.query_one("#add-label", Input).value.strip() or None
        assert isinstance(gateway, str)
        self.dismiss(AddRequest(tuple(valid), str(kind), gateway, label))

    def action_drop_invalid(self) -> None:
        """Keep only the valid ids, one per line, and clear the error list."""
        area = self.query_one("#add-ids", TextArea)
        valid, _ = check_ids(area.text)
        area.text = "\n".join(valid)
        self.problems = []
        self._show_errors([] if valid else [Text("No valid id left: enter at least one.")])
        area.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "add-ok":
            self.action_submit()
        elif event.button.id == "add-cancel":
            self.action_cancel()
        elif event.button.id == "add-drop":
            self.action_drop_invalid()
