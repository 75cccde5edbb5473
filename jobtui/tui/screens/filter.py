"""The filter bar under the job list: type a query, see its errors."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from jobtui.tui.messages import FilterChanged, FilterClosed

__all__ = ["FilterBar", "FilterInput"]


class FilterInput(Input):
    """The query input: escape clears it and gives focus back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close(True)", "Clear the filter", show=False),
    ]

    def action_close(self, clear: bool) -> None:
        """Leave the bar; ``clear`` empties the query first."""
        if clear:
            self.value = ""
        self.post_message(FilterClosed(cleared=clear))


class FilterBar(Vertical):
    """A query input and the reason the query is wrong, if it is."""

    DEFAULT_CSS = """
    FilterBar { height: auto; display: none; }
    FilterBar.-active { display: block; }
    FilterBar #filter-error { height: auto; display: none; padding: 0 1; }
    FilterBar.-error #filter-error { display: block; }
    """

    def compose(self) -> ComposeResult:
        yield FilterInput(
            placeholder='state:failed provider:deepo "a phrase" !label:test',
            id="filter-input",
            select_on_focus=False,
        )
        yield Static("", id="filter-error", markup=False)

    @property
    def input(self) -> FilterInput:
        """The query input."""
        return self.query_one(FilterInput)

    @property
    def value(self) -> str:
        """The query as typed."""
        return self.input.value

    def open(self, text: str | None = None) -> None:
        """Show the bar and focus the input (optionally with ``text``)."""
        if text is not None:
            self.input.value = text
        self.add_class("-active")
        # Focus now, not after a refresh: keys typed right after "/" belong to the query.
        self.screen.set_focus(self.input)
        self.input.cursor_position = len(self.input.value)

    def set_value(self, text: str) -> None:
        """Set the query without focusing; the bar stays visible while it is not empty."""
        self.input.value = text
        self.set_class(bool(text), "-active")

    def show_error(self, message: str | None) -> None:
        """Show why the query cannot be used (None: it is fine)."""
        self.query_one("#filter-error", Static).update(Text(message or ""))
        self.set_class(message is not None, "-error")

    @on(Input.Changed, "#filter-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(FilterChanged(event.value))

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(FilterClosed(cleared=False))
