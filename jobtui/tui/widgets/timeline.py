"""The Timeline tab: a job's state transitions with their times and durations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual.color import Color, ColorParseError
from textual.widgets import DataTable

from jobtui.model import JobState
from jobtui.store import Transition
from jobtui.tui.joblist.glyphs import glyph
from jobtui.tui.results.nodes import format_duration, format_time
from jobtui.tui.terminal.safe_text import safe_text
from jobtui.tui.themes import STATE_DEFAULTS

__all__ = ["Timeline", "TimelineRow", "timeline_rows"]

TimelineRow = tuple[str, JobState, str, str, str]
"""(time, state, raw status, time since the previous change, time spent in the state)."""


def timeline_rows(transitions: Sequence[Transition], now: datetime) -> list[TimelineRow]:
    """One row per transition, oldest first, with the durations between them.

    The last state's duration runs to ``now`` ("3m so far") unless it is terminal.
    """
    ordered = sorted(transitions, key=lambda t: t.at)
    rows: list[TimelineRow] = []
    for index, transition in enumerate(ordered):
        previous = ordered[index - 1] if index else None
        after = (
            f"+{format_duration((transition.at - previous.at).total_seconds())}"
            if previous is not None
            else "first seen"
        )
        if index + 1 < len(ordered):
            lasted = format_duration((ordered[index + 1].at - transition.at).total_seconds())
        elif transition.to_state.terminal:
            lasted = "final"
        else:
            lasted = f"{format_duration((now - transition.at).total_seconds())} so far"
        rows.append(
            (
                format_time(transition.at),
                transition.to_state,
                transition.raw_status or "",
                after,
                lasted,
            )
        )
    return rows


class Timeline(DataTable[Text]):
    """A read-only table of state changes; every cell is literal ``Text``."""

    DEFAULT_CSS = """
    Timeline { background: $surface; height: 1fr; }
    """

    def __init__(
        self, *, ascii_only: bool = False, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(
            id=id, classes=classes, cursor_type="row", zebra_stripes=False, show_cursor=True
        )
        self.ascii_only = ascii_only

    def on_mount(self) -> None:
        self.add_columns("time (UTC)", "state", "provider status", "after", "lasted")

    def _state_style(self, state: JobState) -> Style:
        name = f"state-{state.value}"
        value = self.app.theme_variables.get(name, STATE_DEFAULTS[name])
        try:
            return Style(color=Color.parse(value).rich_color, bold=True)
        except ColorParseError:
            return Style(bold=True)

    def show_transitions(self, transitions: Sequence[Transition], now: datetime) -> None:
        """Replace the rows with ``transitions`` (any order), timed against ``now``."""
        self.clear()
        rows = timeline_rows(transitions, now)
        if not rows:
            self.add_row(
                Text("no state recorded yet", style="italic"),
                Text(""),
                Text(""),
                Text(""),
                Text(""),
            )
            return
        for moment, state, raw, after, lasted in rows:
            state_cell = Text(end="", no_wrap=True)
            state_cell.append(glyph(state, ascii_only=self.ascii_only), self._state_style(state))
            state_cell.append(" ")
            state_cell.append(state.value, self._state_style(state))
            self.add_row(Text(moment), state_cell, safe_text(raw), Text(after), Text(lasted))
