"""Fitting a one-line header into its width by dropping parts in a fixed order.

A header cut with an ellipsis lost whatever happened to be last ("filter 1/16  so…"), and
one that dropped its title only when a guess said so showed it at 80 and 200 columns but
not at 120. Here each part lists its variants, longest first, and a fixed list of steps
says which part gives way next; the first state that fits wins. Nothing is ever cut
mid-word: the last resort drops whole parts, then whole words.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

ELLIPSIS = "…"


def join_parts(parts: Sequence[Text], sep: Text, lead: str = "") -> Text:
    """The non-empty parts, separated by ``sep``, after ``lead``."""
    line = Text(lead)
    first = True
    for part in parts:
        if not part.plain:
            continue
        if not first:
            line.append_text(sep)
        line.append_text(part)
        first = False
    return line


def cut_at_word(text: Text, width: int) -> Text:
    """``text`` in ``width`` cells, cut after a whole word (with ``…``) when too long."""
    if text.cell_len <= width:
        return text
    plain = text.plain
    cut = plain.rfind(" ", 0, max(0, width - len(ELLIPSIS)) + 1)
    while cut > 0 and plain[cut - 1] == " ":
        cut -= 1
    if cut <= 0:
        return Text(ELLIPSIS[:width])
    short = text[:cut]
    short.append(ELLIPSIS)
    return short


def fit_parts(
    variants: Sequence[Sequence[Text]],
    steps: Sequence[int],
    width: int,
    sep: Text,
    lead: str = "",
) -> Text:
    """Join the parts at their longest variants; while too wide, apply the next step.

    ``variants[i]`` are part *i*'s forms, longest first (an empty ``Text`` drops it);
    each entry of ``steps`` moves one part to its next form. When every step is spent,
    whole parts go from the end, then whole words of what is left. The result depends
    only on the parts and the width, so a width always shows the same parts.
    """
    chosen = [0] * len(variants)

    def line() -> Text:
        return join_parts([v[c] for v, c in zip(variants, chosen, strict=True)], sep, lead)

    current = line()
    applied: list[int] = []
    for index in steps:
        if current.cell_len <= width:
            break
        if chosen[index] + 1 < len(variants[index]):
            chosen[index] += 1
            applied.append(index)
            current = line()
    if current.cell_len <= width:
        # A later step may have freed enough room for an earlier one to be undone (a
        # long reason dropped makes room for the sort again): most important first.
        for index in reversed(applied[:-1]):
            chosen[index] -= 1
            wider = line()
            if wider.cell_len <= width:
                current = wider
            else:
                chosen[index] += 1
        return current
    parts = [v[c] for v, c in zip(variants, chosen, strict=True) if v[c].plain]
    while current.cell_len > width and len(parts) > 1:
        parts.pop()
        current = join_parts(parts, sep, lead)
    return cut_at_word(current, width)
