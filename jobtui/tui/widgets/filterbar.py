"""The filter bar under the job list: type a query, see its errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from jobtui.tui.messages import FilterClosed
from jobtui.tui.widgets.steady import SteadyInput

__all__ = ["SYNTAX_HINT", "FilterBar", "FilterInput"]

SYNTAX_HINT = (
    'enter keeps · esc clears · !term negates · "a phrase" · '
    "fields: state provider kind id label summary error"
)
"""Shown under the input while typing a query that is fine."""


class FilterInput(SteadyInput):
    """The query input: escape clears it and gives focus back.

    ``on_change`` is called with the text each time it changes (typed or set),
    synchronously: the list filters in the frame that shows the keystroke, where
    ``Input.Changed`` would reach the screen through every container a frame later.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close(True)", "Clear the filter", show=False),
    ]

    def __init__(self, on_change: Callable[[str], None], **options: Any) -> None:
        super().__init__(**options)
        self._on_change = on_change

    def watch_value(self, value: str) -> None:
        self._on_change(value)

    def action_close(self, clear: bool) -> None:
        """Leave the bar; ``clear`` empties the query first."""
        if clear:
            self.value = ""
        self.post_message(FilterClosed(cleared=clear))


class FilterBar(Vertical):
    """A query input and the reason the query is wrong, if it is.

    ``on_change`` is called with the query text on every change (see ``FilterInput``).
    """

    DEFAULT_CSS = """
    FilterBar { height: auto; display: none; }
    FilterBar.-active { display: block; }
    FilterBar #filter-error {
        height: 1; display: none; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(
        self, on_change: Callable[[str], None], *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self._on_change = on_change
        self._error: str | None = None

    def compose(self) -> ComposeResult:
        yield FilterInput(
            self._on_change,
            placeholder='state:failed provider:deepo "a phrase" !label:test',
            id="filter-input",
            select_on_focus=False,
        )
        yield Static(Content.styled(SYNTAX_HINT, "$text-muted"), id="filter-error")

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
        """Show why the query cannot be used (None: it is fine, the syntax hint shows)."""
        if message == self._error:
            return
        self._error = message
        line = self.query_one("#filter-error", Static)
        if message is None:
            line.update(Content.styled(SYNTAX_HINT, "$text-muted"))
        else:
            line.update(Content.styled(message, "$text-error"))
        self._show_message_line()

    def _show_message_line(self) -> None:
        # One line of fixed height under the input while typing (errors come and go
        # without moving the list) and while a query is wrong. Its own display style,
        # not a class on the bar: a class restyles after the next frame.
        self.query_one("#filter-error").display = (
            self._error is not None or self.input.has_focus
        )

    def on_descendant_focus(self) -> None:
        self._show_message_line()

    def on_descendant_blur(self) -> None:
        self._show_message_line()

    @on(Input.Changed, "#filter-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()  # handled through on_change already

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(FilterClosed(cleared=False))
