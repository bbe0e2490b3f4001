"""The dashboard's keys and what each action does, in one table.

``APP_BINDINGS`` are the app-level key bindings (ids are the keymap's names);
``ACTION_HELP`` is the text the help screen and the command palette show for each action.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

ACTION_HELP: dict[str, str] = {
    # action -> what it does (help screen and command palette)
    "add_tasks": "Add tasks: paste one id or many, choose kind, gateway and label",
    "import_tasks": "Import tasks: watch every task the gateway lists",
    "setup_gateway": "Set up a gateway: base URL, prefix, token variable",
    "remove_task": "Remove the selected task from the watch list (asks first)",
    "undo_remove": "Undo the last removal",
    "open_video": "Open the selected task's video in the web browser",
    "download": "Download the selected task's results (or the marked ones)",
    "copy_url": "Copy the selected task's video URL (marked: all their URLs)",
    "copy_id": "Copy the selected task's id (marked: their ids, one a line)",
    "show_copied": "Show the copied text (to select and copy it by hand)",
    "refresh_task": "Refresh the selected task now (or the marked ones)",
    "refresh_all": "Refresh every task now (finished ones too)",
    "toggle_pause": "Pause or resume polling",
    "filter": "Filter by text or status (status:failed, !status:done, label:…)",
    "export_view": "Export the tasks shown (filter applied) to a CSV file",
    "toggle_hide": "Hide or show the tasks that succeeded (view.hide_finished_after)",
    "toggle_mark": "Mark or unmark the selected task (d r c y act on the marks)",
    "mark_all": "Mark every task the filter shows",
    "clear_view": "Clear the marks; with none, clear the filter",
    "cycle_sort": "Cycle the sort order: status, progress, added, label",
    "reverse_sort": "Reverse the sort order (the arrow in the column header)",
    "toggle_raw": "Show or hide the raw JSON of the last answer",
    "toggle_detail": "Show or hide the detail pane",
    "show_costs": "Costs: units spent today and this week, capacity, resource packs",
    "show_stats": "Stats: tasks per hour, queue and render times, failure rates",
    "help": "Show keys and filter syntax",
    "quit": "Quit (saves the watch list)",
}

APP_BINDINGS: list[BindingType] = [
    Binding("a", "add_tasks", "Add", id="add"),
    Binding("I", "import_tasks", "Import", id="import", show=False),
    Binding("n", "setup_gateway", "New gateway", id="setup-gateway", show=False),
    Binding("d", "remove_task", "Remove", id="remove"),
    Binding("u", "undo_remove", "Undo", id="undo", show=False),
    Binding("o", "open_video", "Open", id="open"),
    Binding("D", "download", "Download", id="download", show=False),
    Binding("c", "copy_url", "Copy URL", id="copy-url", show=False),
    Binding("y", "copy_id", "Copy ID", id="copy-id", show=False),
    Binding("Y", "show_copied", "Show copied", id="show-copied", show=False),
    Binding("r", "refresh_task", "Refresh", id="refresh"),
    Binding("R", "refresh_all", "Refresh all", id="refresh-all", show=False),
    Binding("p", "toggle_pause", "Pause", id="pause"),
    Binding("slash", "filter", "Filter", id="filter"),
    Binding("h", "toggle_hide", "Hide done", id="hide-finished", show=False),
    Binding("space", "toggle_mark", "Mark", id="mark", show=False),
    Binding("V", "mark_all", "Mark all", id="mark-all", show=False),
    Binding("escape", "clear_view", "Clear marks/filter", id="clear-view", show=False),
    Binding("s", "cycle_sort", "Sort", id="sort"),
    Binding("e", "export_view", "Export", id="export", show=False),
    Binding("S", "reverse_sort", "Reverse sort", id="reverse-sort", show=False),
    Binding("j", "toggle_raw", "Raw JSON", id="raw-json", show=False),
    Binding("i", "toggle_detail", "Details", id="details", show=False),
    Binding("dollar_sign", "show_costs", "Costs", id="costs", show=False),
    # "g" as issue 14 asks (the table's first row is Home; G still goes to the last row);
    # "%" kept beside it for the users of the first build.
    Binding("g,percent_sign", "show_stats", "Stats", id="stats", show=False),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("q", "quit", "Quit", id="quit"),
]
"""App-level keys: the binding ids are what a keymap file names."""


def command_title(help_text: str) -> tuple[str, str]:
    """Split an ``ACTION_HELP`` text into the palette's title and the rest of it.

    ``"Add tasks: paste one id…"`` -> ``("Add tasks", "paste one id…")``;
    ``"Remove … (asks first)"`` -> ``("Remove …", "asks first")``.
    """
    title = help_text.split(":")[0].split(" (")[0]
    rest = help_text[len(title) :].lstrip(":").strip()
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1]
    return title, rest
