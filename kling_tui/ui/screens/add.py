"""The add dialog: one id or a pasted pile of them, the kind, the gateway, a label.

Every id is validated before anything is added. Invalid ones are listed inline with the
reason, and nothing is added until they are fixed or dropped ("Drop invalid"), so a paste
with one typo never half-adds a batch. Ids of no known Kling or relay form (``12``, a
32-digit number) get a warning as they are typed but are kept: external ids are free text.
An id already watched as another kind or on another gateway is added only after a question:
that is far more often a wrong kind than a wish to watch it twice. The "external ids" box
watches tasks by the caller's own ``external_task_id`` (``add --external``): no id-form
warning then, since external ids are free text. A task already watched under another of its
ids is refused by the watch list (the toast says which task it is).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from kling_tui.config import TOKEN_ENV
from kling_tui.gateway.ids import (
    ID_FORMS_HINT,
    InvalidTaskId,
    classify_id,
    split_ids,
    validate_task_id,
)
from kling_tui.gateway.sanitize import clean_text
from kling_tui.models import Kind
from kling_tui.ui.format import clip
from kling_tui.ui.screens.confirm import ConfirmScreen


class IdsArea(TextArea):
    """The ids box: Enter adds while the box holds one line (one id, or several on one
    line); once it holds several lines (a pasted list), Enter is a new line as usual and
    ctrl+s adds."""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter" and "\n" not in self.text.strip():
            event.stop()
            event.prevent_default()
            screen = self.screen
            if isinstance(screen, AddTasksScreen):
                screen.action_submit()
            return
        await super()._on_key(event)


@dataclass(frozen=True, slots=True)
class AddRequest:
    """What the dialog returns: validated, de-duplicated ids and where they live."""

    ids: tuple[str, ...]
    kind: str
    gateway: str
    label: str | None
    external: bool = False
    """The ids are the caller's own external ids (the dialog's "external ids" box)."""


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


def unknown_forms(ids: Sequence[str]) -> list[str]:
    """The ids that match no known Kling or relay id form (a warning, not an error)."""
    return [task_id for task_id in ids if classify_id(task_id) is None]


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def form_warning(unknown: Sequence[str]) -> Text:
    """One warning line for ids of no known form; empty when there are none."""
    if not unknown:
        return Text("")
    text = Text()
    text.append(
        "⚠ " + _plural(len(unknown), "id matches", "ids match") + " no Kling or relay id form: ",
        style=Style(bold=True),
    )
    text.append(", ".join(clean_text(i, limit=40) for i in unknown[:5]))
    if len(unknown) > 5:
        text.append(f" and {len(unknown) - 5} more")
    text.append(f". {ID_FORMS_HINT}; other ids (your own external ids) are added as typed.")
    return text


def watched_elsewhere(
    ids: Sequence[str], watched: Mapping[str, Sequence[tuple[str, str]]], kind: str, gateway: str
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Ids watched already, but as another kind or on another gateway: (id, [(kind, gw)]).

    An id watched under exactly this kind and gateway is a plain duplicate (the watch list
    skips it and says so); it is not listed here.
    """
    found = []
    for task_id in ids:
        where = list(watched.get(task_id, ()))
        if where and (kind, gateway) not in where:
            found.append((task_id, where))
    return found


def elsewhere_question(
    found: Sequence[tuple[str, Sequence[tuple[str, str]]]], kind: str, gateway: str
) -> Text:
    """The confirm text: "X is already watched as image2video on relay: add as …too?"."""

    def places(where: Sequence[tuple[str, str]]) -> str:
        # kind and gateway of watched entries: clean already, only capped here
        return " and ".join(f"{clip(k, 40)} on {clip(g, 40)}" for k, g in where)

    target = f"{clean_text(kind, limit=40)} on {clean_text(gateway, limit=40)}"
    if len(found) == 1:
        task_id, where = found[0]
        text = Text()
        text.append(clean_text(task_id, limit=80), style=Style(bold=True))
        text.append(f" is already watched as {places(where)}.\nAdd it as {target} too?")
        return text
    text = Text(f"{len(found)} ids are already watched as another kind or on another gateway:")
    for task_id, where in found[:5]:
        text.append("\n• ")
        text.append(clean_text(task_id, limit=60), style=Style(bold=True))
        text.append(f": {places(where)}")
    if len(found) > 5:
        text.append(f"\n… and {len(found) - 5} more")
    text.append(f"\nAdd them as {target} too?")
    return text


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
        overflow-y: auto;
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
    AddTasksScreen #add-external {
        border: none;
        padding: 0;
        height: 1;
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
    AddTasksScreen #add-hints {
        color: $warning;
        height: auto;
        max-height: 4;
        display: none;
    }
    AddTasksScreen #add-hints.-show, AddTasksScreen #add-nogw.-show {
        display: block;
    }
    AddTasksScreen #add-nogw {
        color: $text-warning;
        height: auto;
        display: none;
    }
    AddTasksScreen #add-setup {
        display: none;
    }
    AddTasksScreen #add-setup.-show {
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
        Binding("ctrl+g", "setup", "Set up a gateway", id="add-setup-gateway"),
    ]

    def __init__(
        self,
        gateways: Sequence[str],
        default_gateway: str | None,
        *,
        kinds: Sequence[str] | None = None,
        default_kind: str = Kind.TEXT2VIDEO.value,
        initial_ids: str = "",
        watched: Mapping[str, Sequence[tuple[str, str]]] | None = None,
        config_file: Path | None = None,
        on_setup: Callable[[], None] | None = None,
    ) -> None:
        """
        Args:
            watched: task id -> (kind, gateway) pairs it is watched under already, so that
                the same id under another kind or gateway asks first.
            config_file: the config file the app reads, named when no gateway exists.
            on_setup: opens the gateway setup (offered when no gateway exists); the app
                calls :meth:`set_gateways` once one is saved.
        """
        super().__init__()
        self._gateways = list(gateways)
        self._default_gateway = default_gateway if default_gateway in self._gateways else None
        self._kinds = list(kinds or [k.value for k in Kind])
        self._default_kind = default_kind if default_kind in self._kinds else self._kinds[0]
        self._initial_ids = initial_ids
        self._watched: Mapping[str, Sequence[tuple[str, str]]] = watched or {}
        self._config_file = config_file
        self._on_setup = on_setup
        self.problems: list[IdProblem] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="add-dialog"):
            title = Text("Watch tasks")
            title.append(
                "   Enter adds · a pasted list: ctrl+s · Esc cancels",
                style=Style(dim=True, bold=False),
            )
            yield Static(title, id="add-title")
            yield Label(Text("Task ids (one or many: spaces, commas or new lines)"))
            yield IdsArea(self._initial_ids, id="add-ids", soft_wrap=True, show_line_numbers=False)
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
            yield Checkbox(
                Text("external ids: my own external_task_id values, not Kling or relay ids"),
                id="add-external",
            )
            yield Static(self._no_gateway_text(), id="add-nogw")
            yield Static(Text(""), id="add-errors")
            with Horizontal(id="add-buttons"):
                yield Button("Set up gateway", id="add-setup", variant="success")
                yield Button("Drop invalid", id="add-drop", variant="warning")
                yield Button("Cancel", id="add-cancel")
                yield Button("Add", id="add-ok", variant="primary")
            # Below the buttons: it comes and goes as ids are typed, and must not move them.
            yield Static(Text(""), id="add-hints")

    def on_mount(self) -> None:
        self.query_one("#add-ids", TextArea).focus()
        self._show_no_gateway(not self._gateways)
        self._show_hints()

    def _no_gateway_text(self) -> Text:
        text = Text("No gateway is configured yet", style=Style(bold=True))
        if self._config_file is not None:
            text.append(" (config file: ")
            text.append(clean_text(str(self._config_file), limit=200))
            text.append(")")
        text.append(
            ". ctrl+g sets one up here; or restart with kling-tui --base-url URL "
            f"(token in ${TOKEN_ENV}); kling-tui --demo just to look."
        )
        return text

    def _show_no_gateway(self, missing: bool) -> None:
        self.query_one("#add-nogw", Static).set_class(missing, "-show")
        self.query_one("#add-setup", Button).set_class(missing and bool(self._on_setup), "-show")

    def set_gateways(self, gateways: Sequence[str], default_gateway: str | None) -> None:
        """Offer gateways set up while the dialog is open; what was typed stays."""
        self._gateways = list(gateways)
        if not self._gateways:
            return
        default = default_gateway if default_gateway in self._gateways else self._gateways[0]
        select = self.query_one("#add-gateway", Select)
        select.set_options([(Text(clean_text(g, limit=60)), g) for g in self._gateways])
        select.value = default
        self._show_no_gateway(False)
        self.problems = []
        self._show_errors([])
        self.query_one("#add-ids", TextArea).focus()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._show_hints()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._show_hints()

    @property
    def external(self) -> bool:
        return self.query_one("#add-external", Checkbox).value

    def _show_hints(self) -> None:
        """Warn, as the ids are typed, about those of no known form (they stay addable);
        external ids are free text, so the warning is off for them."""
        valid, _ = check_ids(self.query_one("#add-ids", TextArea).text)
        warning = form_warning([] if self.external else unknown_forms(valid))
        hints = self.query_one("#add-hints", Static)
        hints.update(warning)
        hints.set_class(bool(warning.plain), "-show")

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
            head = _plural(len(problems), "id is", "ids are") + " not valid; fix or drop "
            head += "it:" if len(problems) == 1 else "them:"
            lines.append(Text(head, style=Style(bold=True)))
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
            lines.append(Text("No gateway to add them to: set one up first (ctrl+g)."))
        self._show_errors(lines)
        if lines:
            return
        # A label is typed (or pasted) text entering the list: cleaned here, once, like
        # server text in normalize; the table and the detail pane show it as it is.
        label = clean_text(self.query_one("#add-label", Input).value.strip(), limit=200) or None
        assert isinstance(gateway, str)
        request = AddRequest(tuple(valid), str(kind), gateway, label, self.external)
        found = watched_elsewhere(valid, self._watched, request.kind, gateway)
        if not found:
            self.dismiss(request)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(request)
                return
            self._show_errors(
                [Text("Nothing added yet: change the kind or gateway, or drop those ids.")]
            )
            self.query_one("#add-kind", Select).focus()

        question = elsewhere_question(found, request.kind, gateway)
        self.app.push_screen(ConfirmScreen(question, yes="Add too", no="Go back"), answered)

    def action_setup(self) -> None:
        if self._on_setup is not None:
            self._on_setup()

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
        elif event.button.id == "add-setup":
            self.action_setup()
