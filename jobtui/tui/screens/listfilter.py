"""The job list's filter: the filter bar's text parsed and applied to the list.

A part of the dashboard screen. Short lists filter on every keystroke; from
``DEBOUNCE_ABOVE`` jobs the filter waits for a pause in typing. A text that
does not parse leaves the list as it was and says why under the bar.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.screen import Screen
from textual.timer import Timer

from jobtui.tui.joblist.model import JobListModel
from jobtui.tui.joblist.query import QueryError, parse_query
from jobtui.tui.widgets.filterbar import FilterBar
from jobtui.tui.widgets.joblist import JobList

__all__ = ["DEBOUNCE_ABOVE", "ListFilter"]

DEBOUNCE_ABOVE = 20_000
"""Lists at least this long filter after a pause in typing."""
_FILTER_DEBOUNCE = 0.15


class ListFilter:
    """Applies filter texts to the screen's job list, debounced on big lists."""

    def __init__(
        self, screen: Screen[Any], model: JobListModel, *, update_titles: Callable[[], None]
    ) -> None:
        self._screen = screen
        self.model = model
        self._update_titles = update_titles
        self._timer: Timer | None = None
        self._applied = ""

    def apply(self, text: str) -> None:
        """Filter the list by ``text`` now (a debounced filter still waiting is dropped)."""
        if self._timer is not None:  # a debounced filter is now moot
            self._timer.stop()
            self._timer = None
        if text == self._applied:
            return
        self._applied = text
        filter_bar = self._screen.query_one(FilterBar)
        try:
            query = parse_query(text)
        except QueryError as exc:
            filter_bar.show_error(str(exc))
            return
        filter_bar.show_error(None)
        self.model.set_query(query)
        # The title first: its pane asks for a repaint before the list does, so both
        # reach the screen in time for one frame.
        self._update_titles()
        # A new filter shows its first row (the newest match), not the old cursor's job.
        self._screen.query_one(JobList).show_from_top()

    def text_changed(self, text: str) -> None:
        """The filter bar's text is now ``text``: filter now, or once typing pauses."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.model.total < DEBOUNCE_ABOVE:
            self.apply(text)
            return
        # A big list is filtered once typing pauses, not on every keystroke.
        self._timer = self._screen.set_timer(_FILTER_DEBOUNCE, partial(self.apply, text))
