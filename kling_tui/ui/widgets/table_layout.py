"""The task table's columns: which show, in what order and how wide, by table width.

Pure (no Textual): the widths change only on a resize, here, never on an update, so a poll
costs the same at any width. The widget (``task_table.py``) picks a layout with
``layout_for_width`` and the cell renderers (``table_cells.py``) cut cells to its widths.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

COLUMN_LABELS: dict[str, str] = {
    "status": "Status",
    "progress": "Progress",
    "duration": "Video",
    "label": "Label",
    "id": "Task ID",
    "kind": "Kind",
    "gateway": "Gateway",
    "elapsed": "Elapsed",
    "eta": "ETA",
    "checked": "Checked",
}
TIME_COLUMNS = ("elapsed", "eta", "checked")
MIN_WIDTHS: dict[str, int] = {"elapsed": len("999d23h"), "eta": len("~23h59m")}
"""Time columns as wide as their widest value from the start: an ETA going from ``~9s``
to ``~1m05s`` shifted every column right of it (the Checked column jumped)."""


@dataclass(frozen=True, slots=True)
class TableLayout:
    """Which columns show and how wide the squeezable ones may get, for one width band.

    ``label_width`` / ``id_width`` are the widths at ``design_width``; a wider table gives
    its extra columns to them (see ``layout_for_width``).
    """

    name: str
    columns: tuple[str, ...]
    label_width: int
    id_width: int
    bar_width: int
    compact_badge: bool
    short_kind: bool
    checked_detail: bool
    design_width: int = 0
    """The table width the other columns were fitted to at their widest."""


LAYOUTS: tuple[tuple[int, TableLayout], ...] = (
    # (minimum table width, layout): the first that fits wins
    (
        # The widest cells (" stale " badges, "multi-image2video", a gateway name and
        # "21d08h ago ⚠ bad response") rarely meet in one screen; 40/40 here let a table
        # of 150 scroll sideways by 40 columns when they did. A 16-character label and a
        # whole id at 150, more label as the table widens.
        150,
        TableLayout(
            "wide",
            (
                "status",
                "progress",
                "duration",
                "label",
                "id",
                "kind",
                "gateway",
                "elapsed",
                "eta",
                "checked",
            ),
            16,
            19,
            12,
            False,
            True,  # kinds by their short labels (t2v, omni-img...) at every width, as issue
            # 12 asks: 17 kinds make long names ("multi-image-to-image") the norm; the
            # detail pane gives the full name
            True,
            design_width=150,
        ),
    ),
    (
        110,
        TableLayout(
            "normal",
            ("status", "progress", "duration", "label", "id", "kind", "elapsed", "eta", "checked"),
            # At 120 columns every cell at its widest must fit, stale rows (badge + marker)
            # and "21d08h ago ⚠" included: a " stale " word and 6 more columns of label
            # and id pushed the Checked column off screen. Hence ⚠ and 20/14 here.
            20,
            14,
            10,
            True,
            True,
            False,
            design_width=120,
        ),
    ),
    (
        0,
        TableLayout(
            "narrow",
            ("status", "progress", "label", "id", "elapsed", "eta"),
            16,
            12,
            6,
            True,
            True,
            False,
            design_width=80,
        ),
    ),
)

ID_WHOLE = 19
"""A Kling task id is 18 or 19 digits: spare width goes first to showing it whole."""
LABEL_MAX = 60
ID_MAX = 40
WIDTH_STEP = 5
"""Spare width is handed out in steps: a resize by a column or two does not rebuild."""


GATEWAY_COLUMN = 18
"""The Gateway column's width (16 and padding): spare width when it is hidden."""


def layout_for_width(width: int, *, gateway: bool = True) -> TableLayout:
    """The layout for a table this wide, its spare columns given to the id and the label.

    ``gateway``: whether the Gateway column shows (only with several gateways); when
    the layout has one but it is hidden, its width is spare too.

    Widths change only here (on a resize), never on an update: the cells are cut to them
    once when rendered, so a poll costs the same at any width.
    """
    layout = next((lay for minimum, lay in LAYOUTS if width >= minimum), LAYOUTS[-1][1])
    spare = width - layout.design_width
    if not gateway and "gateway" in layout.columns:
        spare += GATEWAY_COLUMN
    spare = max(0, spare) // WIDTH_STEP * WIDTH_STEP
    id_width, label_width = layout.id_width, layout.label_width
    for cap, is_id in ((ID_WHOLE, True), (LABEL_MAX, False), (ID_MAX, True)):
        if is_id:
            grow = min(spare, max(0, cap - id_width))
            id_width += grow
        else:
            grow = min(spare, max(0, cap - label_width))
            label_width += grow
        spare -= grow
    if (id_width, label_width) == (layout.id_width, layout.label_width):
        return layout
    return replace(layout, label_width=label_width, id_width=id_width)
