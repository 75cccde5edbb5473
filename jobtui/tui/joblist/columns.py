"""The job list's columns: which fit in a width, and how each cell reads.

Pure functions over ``JobRow`` and a time, so they are tested without a
screen and the widget only arranges their output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size

from jobtui.model import format_age
from jobtui.tui.joblist.glyphs import glyph, waiting_glyph
from jobtui.tui.joblist.model import JobRow
from jobtui.tui.terminal.safe_text import safe

__all__ = [
    "COLUMNS",
    "DEFAULT_COLUMNS",
    "Column",
    "cell_text",
    "fit",
    "human_age",
    "layout_columns",
    "progress_text",
    "shorten_middle",
]


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the job list."""

    name: str
    """Its id, used in prefs and as a sort column."""
    title: str
    """The header text."""
    width: int
    """Preferred width in cells (the summary column takes what is left)."""
    min_width: int
    """Below this the column is dropped rather than squeezed."""
    drop_rank: int
    """When space runs out, higher ranks go first."""


COLUMNS: dict[str, Column] = {
    column.name: column
    for column in (
        Column("state", "state", 11, 11, 0),
        Column("provider", "provider", 12, 8, 3),
        Column("id", "id", 12, 9, 1),
        Column("label", "label", 12, 8, 6),
        Column("progress", "progress", 10, 10, 5),
        Column("summary", "summary", 0, 16, 2),
        Column("age", "age", 4, 4, 4),
        Column("updated", "updated", 8, 7, 7),
    )
}
"""Every column, in display order."""

DEFAULT_COLUMNS: tuple[str, ...] = tuple(COLUMNS)
"""Columns shown unless the prefs say otherwise."""

_GAP = 1
_ROOMY_SUMMARY = 48
_LABEL_GROWTH = 12


_SQUEEZE_BELOW_RANK = 3
"""Columns this essential (the provider, the id, the state) are squeezed, not dropped."""
_WIDE_LIST = 96
"""From this width the id may grow (narrower, the summary needs every cell)."""
_ID_ROOM_SUMMARY = 20
"""Ids grow while the summary keeps this many cells: a whole id is worth more."""
_ID_GROWTH = 28
"""At most this many cells more for ids on a wide screen (a UUID is 36 cells)."""
_READABLE_ID = 19
"""An id this long is whole when numeric (Tensor.Art's 19 digits); "updated" gives way for it."""


def layout_columns(
    width: int, names: Sequence[str], *, provider_width: int = 12, id_width: int = 12
) -> list[tuple[Column, int, int]]:
    """Place ``names`` in ``width`` cells: (column, x, width) for each one shown.

    Fixed columns keep their preferred width; the summary takes the rest.
    When the summary would fall under its minimum, columns are dropped by rank
    (updated first, then label, progress, age); before the provider or a more
    essential column would go, columns give up cells down to their own minimum
    (a squeezed id beats a missing provider). A wide
    screen gives ids up to ``id_width`` cells (the longest id), then the label more.
    """
    chosen = [COLUMNS[name] for name in COLUMNS if name in names]

    def wanted(column: Column) -> int:
        if column.name == "provider":
            return max(column.min_width, min(provider_width, 16))
        return column.width

    while True:
        widths = {c.name: wanted(c) for c in chosen}
        fixed = sum(w for name, w in widths.items() if name != "summary")
        gaps = _GAP * max(0, len(chosen) - 1)
        rest = width - fixed - gaps
        has_summary = any(c.name == "summary" for c in chosen)
        needed = COLUMNS["summary"].min_width if has_summary else 0
        if rest >= needed or len(chosen) <= 1:
            break
        victim = max(chosen, key=lambda c: c.drop_rank)
        short = needed - rest
        give = [] if victim.drop_rank > _SQUEEZE_BELOW_RANK else sorted(
            (c for c in chosen if c.name != "summary" and widths[c.name] > c.min_width),
            key=lambda c: -c.drop_rank,
        )
        if sum(widths[c.name] - c.min_width for c in give) >= short:
            for column in give:
                taken = min(short, widths[column.name] - column.min_width)
                widths[column.name] -= taken
                short -= taken
            rest = needed
            break
        chosen.remove(victim)
    # A wide screen shows whole ids first (Tensor.Art's share their first 12
    # characters), then gives the label some of the summary's room.
    id_extra = 0
    if "id" in widths and width >= _WIDE_LIST and rest > _ID_ROOM_SUMMARY:
        id_extra = min(max(0, min(id_width, widths["id"] + _ID_GROWTH) - widths["id"]),
                       rest - _ID_ROOM_SUMMARY)  # fmt: skip
        widths["id"] += id_extra
        rest -= id_extra
    # Long enough for a Tensor.Art id (19 digits, all sharing their first 12): below
    # that, "updated" (the first column to give way) makes room for it.
    readable_id = min(id_width, _READABLE_ID)
    if "id" in widths and "updated" in widths and width >= _WIDE_LIST and (
        widths["id"] < readable_id
    ):
        without = layout_columns(
            width, [n for n in names if n != "updated"],
            provider_width=provider_width, id_width=id_width,
        )  # fmt: skip
        if next(w for c, _, w in without if c.name == "id") >= readable_id:
            return without
    label_extra = 0
    if "label" in widths and rest > _ROOMY_SUMMARY:
        label_extra = min(_LABEL_GROWTH, rest - _ROOMY_SUMMARY)
        widths["label"] += label_extra
        rest -= label_extra
    placed: list[tuple[Column, int, int]] = []
    x = 0
    for column in chosen:
        column_width = max(rest, 0) if column.name == "summary" else widths[column.name]
        placed.append((column, x, column_width))
        x += column_width + _GAP
    return placed


def shorten_middle(text: str, width: int, *, ascii_only: bool = False) -> str:
    """Fit ``text`` in ``width`` cells, eliding the middle (ids keep both ends)."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    mark = "~" if ascii_only else "…"
    tail = (width - 1) // 2
    head = width - 1 - tail
    return f"{text[:head]}{mark}{text[len(text) - tail :] if tail else ''}"


def fit(text: str, width: int, *, ascii_only: bool = False) -> str:
    """Fit ``text`` in exactly ``width`` cells, eliding the end when too long."""
    if cell_len(text) > width and width > 1:
        text = set_cell_size(text, width - 1) + ("~" if ascii_only else "…")
    return set_cell_size(text, width)


def human_age(seconds: float) -> str:
    """A short age: ``now`` (under 5 s), then as ``kubectl`` tells it (``format_age``).

    ``95s``, ``42m``, ``20h``, ``12d``: the detail pane's elapsed time uses the
    same wording.
    """
    if seconds < 5:
        return "now"
    return format_age(seconds)


def progress_text(row: JobRow, width: int, *, ascii_only: bool = False) -> str:
    """A bar with a percentage, ``queue 3/17`` while waiting, or nothing."""
    if row.progress is not None and not row.state.terminal:
        # Floored like every summary line (a job shows 100 % only when done), so the
        # list and the detail pane never disagree by one point.
        percent = f"{math.floor(row.progress * 100 + 1e-9):>3d}%"
        bar_width = max(0, width - len(percent) - 1)
        full, empty = ("#", "-") if ascii_only else ("█", "░")
        filled = round(row.progress * bar_width)
        return f"{full * filled}{empty * (bar_width - filled)} {percent}"
    if row.queue_position is not None:
        if row.queue_length is not None:
            return f"queue {row.queue_position}/{row.queue_length}"
        return f"queue {row.queue_position}"
    return ""


def awaiting_first_poll(row: JobRow) -> bool:
    """Whether the job was added and never polled (no snapshot, no attempt yet)."""
    return row.watched.awaiting_first_poll


def cell_text(column: str, row: JobRow, width: int, now: float, *, ascii_only: bool) -> str:
    """The text of one cell, safe to draw, not yet padded."""
    if column == "state":
        if awaiting_first_poll(row):
            # Not "? unknown", which reads as an error: nothing has been asked yet.
            return f"{waiting_glyph(ascii_only=ascii_only)} waiting"
        return f"{glyph(row.state, ascii_only=ascii_only)} {row.state.value}"
    if column == "provider":
        return safe(row.provider)
    if column == "id":
        return shorten_middle(safe(row.id), width, ascii_only=ascii_only)
    if column == "label":
        return safe(row.label)
    if column == "progress":
        return progress_text(row, width, ascii_only=ascii_only)
    if column == "summary":
        if awaiting_first_poll(row):
            return "waiting for its first poll"
        if row.poll_error:
            return safe(f"⚠ {row.poll_error}" if not ascii_only else f"! {row.poll_error}")
        return safe(row.summary or row.error or row.raw_status)
    if column == "age":
        return human_age(max(0.0, now - row.created))
    if column == "updated":
        if row.updated is None:
            return "never"
        age = human_age(max(0.0, now - row.updated))
        return age if age == "now" else f"{age} ago"
    raise KeyError(column)
