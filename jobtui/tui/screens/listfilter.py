"""The job list's filter: the filter bar's text parsed and applied to the list.

A part of the dashboard screen. Short lists filter on every keystroke; from
``DEBOUNCE_ABOVE`` jobs the filter waits for a pause in typing. A text that
does not parse shows the filter confirmed last (never the part of the text
that parsed) and says why under the bar.

Enter on a text that does not parse applies nothing of it (as k9s refuses a
command it cannot read and keeps the view): the list goes back to the filter
confirmed before, the bar stays open with the text to fix and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import partial
from typing import Any

from textual.screen import Screen
from textual.timer import Timer

from jobtui.tui.joblist.model import JobListModel
from jobtui.tui.joblist.query import Query, QueryError, parse_query
from jobtui.tui.widgets.filterbar import FilterBar
from jobtui.tui.widgets.joblist import JobList

__all__ = ["DEBOUNCE_ABOVE", "ListFilter"]

DEBOUNCE_ABOVE = 20_000
"""Lists at least this long filter after a pause in typing."""
_FILTER_DEBOUNCE = 0.15


class ListFilter:
    """Applies filter texts to the screen's job list, debounced on big lists."""

    def __init__(
        self,
        screen: Screen[Any],
        model: JobListModel,
        *,
        update_titles: Callable[[], None],
        providers: Callable[[], Collection[str]] = lambda: (),
    ) -> None:
        """``providers``: the provider names there are (a typo in ``provider:`` is an error)."""
        self._screen = screen
        self.model = model
        self._update_titles = update_titles
        self._providers = providers
        self._timer: Timer | None = None
        self._pending: str | None = None
        self._applied = ""
        self._error: str | None = None
        self._confirmed = ""
        """The text of the last filter the user confirmed (enter, a view, at start)."""

    def apply(self, text: str, *, typed: bool = False) -> None:
        """Filter the list by ``text`` now (a debounced filter still waiting is dropped).

        ``typed``: a keystroke's text, shown but not yet confirmed with enter.
        """
        if self._timer is not None:  # a debounced filter is now moot
            self._timer.stop()
            self._timer = None
            self._pending = None
        if text == self._applied:
            if not typed and self._error is None:
                self._confirmed = text
            return
        self._applied = text
        filter_bar = self._screen.query_one(FilterBar)
        try:
            query = parse_query(text, providers=self._providers())
        except QueryError as exc:
            self._error = str(exc)
            filter_bar.show_error(self._error)
            # Never half of the text ("state" of "state:faild" matches nothing): the
            # list shows the confirmed filter until the text parses again.
            self._show_confirmed()
            return
        self._error = None
        if not typed:
            self._confirmed = text
        filter_bar.show_error(None)
        self._show(query)

    def confirm(self) -> bool:
        """Enter in the filter bar: keep the text's filter; False when it does not parse.

        Then nothing of the text is applied: the list shows the filter confirmed
        before again (not the last prefix that parsed) and the bar says why.
        """
        if self._pending is not None:
            self.apply(self._pending, typed=True)
        if self._error is None:
            self._confirmed = self._applied
            return True
        self._show_confirmed()
        kept = f"kept {self._confirmed!r}" if self._confirmed else "no filter applied"
        self._screen.query_one(FilterBar).show_error(
            # The refusal first: the line is cut at the pane's width.
            f"not applied ({kept}); fix it or esc clears · {self._error}"
        )
        return False

    def _show_confirmed(self) -> None:
        """Show the filter confirmed last again, unless it is what the list shows."""
        try:
            previous = parse_query(self._confirmed, providers=self._providers())
        except QueryError:  # it parsed when confirmed; the providers changed since
            previous = None
        shown = self.model.query.text if self.model.query else ""
        if shown != (previous.text if previous else ""):
            self._show(previous)

    def _show(self, query: Query | None) -> None:
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
            self.apply(text, typed=True)
            return
        # A big list is filtered once typing pauses, not on every keystroke.
        self._pending = text
        self._timer = self._screen.set_timer(
            _FILTER_DEBOUNCE, partial(self.apply, text, typed=True)
        )
