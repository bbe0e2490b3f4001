"""What the dashboard was showing when it closed: the filter, the ``h`` toggle, the sort.

Kept in the state directory (``platformdirs.user_state_dir``), not in the config file: it
changes with every ``/`` and ``s``, and the config file is the user's to edit. The file is
read as hostile input (another program, or a hand, may have written it): regular file only,
a size cap, every field type- and range-checked; anything wrong is dropped for its default,
never an error that keeps the dashboard from starting. It is written through
``atomic_write`` (mode 0600).
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import platformdirs

from kling_tui.gateway.sanitize import clean_text
from kling_tui.store.atomic import atomic_write
from kling_tui.store.safe_read import read_regular

MAX_STATE_BYTES = 16 * 1024
"""The file is a few hundred bytes; anything bigger is not ours."""
MAX_FILTER_TEXT = 500
"""As long as the filter bar keeps (``view.MAX_FILTER_CHARS``)."""
STATE_ENV = "KLING_TUI_VIEW_STATE"
"""Where the file is, instead of the state directory (tests, several setups)."""


@dataclass(frozen=True, slots=True)
class ViewState:
    """The dashboard's view, as remembered: plain data, checked on load."""

    filter_text: str = ""
    hide_finished: bool = False
    sort: str = "added"
    sort_reverse: bool = False


def view_state_path(env: Mapping[str, str] | None = None) -> Path:
    """``$KLING_TUI_VIEW_STATE``, else ``<user state dir>/kling-tui/view.json``."""
    env = os.environ if env is None else env
    flag = env.get(STATE_ENV)
    if flag:
        return Path(flag).expanduser()
    return platformdirs.user_state_path("kling-tui") / "view.json"


def load_view_state(path: Path, sorts: Collection[str]) -> tuple[ViewState, str | None]:
    """The remembered view and a note when the file had to be ignored (or part of it).

    ``sorts`` are the sort names the dashboard knows (the store does not know the UI's).
    A missing file is the default view with no note.
    """
    try:
        data, _ = read_regular(path, limit=MAX_STATE_BYTES)
    except FileNotFoundError:
        return ViewState(), None
    except Exception as exc:  # FileRefused, permissions, a directory: the default view
        return ViewState(), f"view state {path} ignored: {type(exc).__name__}"
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return ViewState(), f"view state {path} ignored: not JSON"
    if not isinstance(raw, dict):
        return ViewState(), f"view state {path} ignored: not a JSON object"
    return _checked(raw, sorts, path)


def _checked(
    raw: dict[str, object], sorts: Collection[str], path: Path
) -> tuple[ViewState, str | None]:
    """Each field of its type and range, or its default (named in the note)."""
    default = ViewState()
    bad: list[str] = []
    text = raw.get("filter_text", default.filter_text)
    if not isinstance(text, str) or len(text) > MAX_FILTER_TEXT:
        bad.append("filter_text")
        text = default.filter_text
    hide = raw.get("hide_finished", default.hide_finished)
    if not isinstance(hide, bool):
        bad.append("hide_finished")
        hide = default.hide_finished
    sort = raw.get("sort", default.sort)
    if not isinstance(sort, str) or sort not in sorts:
        bad.append("sort")
        sort = default.sort
    reverse = raw.get("sort_reverse", default.sort_reverse)
    if not isinstance(reverse, bool):
        bad.append("sort_reverse")
        reverse = default.sort_reverse
    # What was typed comes back as text to parse, never with a control character in it.
    state = ViewState(clean_text(text, limit=MAX_FILTER_TEXT), hide, sort, reverse)
    note = f"view state {path}: ignored {', '.join(bad)}" if bad else None
    return state, note


def save_view_state(path: Path, state: ViewState) -> None:
    """Replace the file atomically (its directory made if needed, mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = json.dumps(asdict(state), ensure_ascii=True, indent=1) + "\n"
    atomic_write(path, data.encode("ascii"))
