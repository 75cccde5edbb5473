"""The bottom line: key hints, the paused badge, the poll rate and staleness.

One line of fixed height, redrawn in place: changing it never lays the
screen out again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

__all__ = ["StatusBar"]

_HINT_RANK: dict[str, int] = {
    label: rank
    for rank, label in enumerate(
        ("theme", "pause", "add", "sort", "copy", "cancel", "refresh", "filter", "quit", "help")
    )
}
"""Which hints stay longest on a narrow screen (higher stays)."""


class StatusBar(Widget):
    """Key hints on the left; state badges and "as of HH:MM:SS" on the right."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "statusbar--key",
        "statusbar--paused",
        "statusbar--note",
    }

    DEFAULT_CSS = """
    StatusBar { height: 1; dock: bottom; }
    """

    paused: reactive[bool] = reactive(False)
    """Polling is paused (shows a PAUSED badge)."""
    interval_scale: reactive[float] = reactive(1.0)
    """The poll-interval multiplier set with + and -."""
    as_of: reactive[str] = reactive("")
    """When the newest data shown was polled, as text (HH:MM:SS; empty: never)."""
    note: reactive[str] = reactive("")
    """A short status note (marks, engine state)."""

    def __init__(
        self,
        hints: Sequence[tuple[str, str]] = (),
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._hints = list(hints)

    def set_hints(self, hints: Sequence[tuple[str, str]]) -> None:
        """Show ``hints``: (key as displayed, what it does) pairs."""
        hints = list(hints)
        if hints != self._hints:
            self._hints = hints
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("statusbar--key")
        right = Text(no_wrap=True, end="")
        if self.note:
            right.append(self.note, style=self.get_component_rich_style("statusbar--note"))
            right.append("  ")
        if self.paused:
            right.append(" PAUSED ", style=self.get_component_rich_style("statusbar--paused"))
            right.append("  ")
        if self.interval_scale != 1.0:
            right.append(f"intervals x{self.interval_scale:g}  ")
        if self.as_of:
            right.append(f"as of {self.as_of} ")
        width = self.size.width
        room = max(0, width - right.cell_len)
        # Whole hints only (a hint cut in half reads as a different key); when they do
        # not all fit, the least useful go first, help and quit last.
        shown = list(self._hints)
        while shown and 1 + sum(len(k) + len(v) + 3 for k, v in shown) > room:
            shown.remove(min(shown, key=lambda hint: _HINT_RANK.get(hint[1], 0)))
        left = Text(" ", no_wrap=True, end="")
        for key, label in shown:
            left.append(key, style=key_style)
            left.append(f" {label}  ")
        left.truncate(room, pad=True)
        return Text.assemble(left, right, no_wrap=True, end="")
