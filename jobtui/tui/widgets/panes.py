"""The dashboard's panes: numbered, focused with 1/2/3 and tab, arranged by width.

Under ``NARROW_WIDTH`` columns the providers pane hides (``b`` shows it
again, ``1`` too); from ``SIDE_BY_SIDE_WIDTH`` the detail sits beside the
job list instead of under it; ``f`` maximizes the focused pane.
``PaneLayout`` is the part of the dashboard screen that does this; the
screen keeps the pane keys' ``action_*`` methods and hands them to it.
"""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Tabs

from jobtui.tui.widgets.detail import DetailPane
from jobtui.tui.widgets.joblist import JobList
from jobtui.tui.widgets.sidebar import Sidebar

__all__ = ["NARROW_WIDTH", "SIDE_BY_SIDE_WIDTH", "Pane", "PaneLayout"]

NARROW_WIDTH = 100
"""Below this many columns the providers pane hides."""
SIDE_BY_SIDE_WIDTH = 160
"""From this many columns the detail sits beside the job list."""

_PANES = ("sidebar", "jobs", "detail")


class Pane(Vertical):
    """A bordered, numbered pane that ``f`` can maximize."""

    ALLOW_MAXIMIZE = True


class PaneLayout:
    """Which of a screen's panes show, how they sit, and which has the keyboard.

    The screen holds three ``Pane``s, ``#sidebar-pane``, ``#jobs-pane`` and
    ``#detail-pane``, around the sidebar, the job list and the detail pane.
    """

    def __init__(self, screen: Screen[Any]) -> None:
        self._screen = screen
        self._sidebar_forced: bool | None = None
        """The user's choice (b, 1) over the width's; None: the width decides."""

    def arrange(self, width: int) -> None:
        """Lay the panes out for a screen ``width`` columns wide."""
        narrow = width < NARROW_WIDTH
        show_sidebar = self._sidebar_forced if self._sidebar_forced is not None else not narrow
        self._screen.query_one("#sidebar-pane").display = show_sidebar
        if not show_sidebar and self.current_pane() == "sidebar":
            self._screen.query_one(JobList).focus()  # focus must not stay in a pane that is gone
        self._screen.set_class(width >= SIDE_BY_SIDE_WIDTH, "-side-by-side")

    def _pane_target(self, name: str) -> Widget | None:
        if name == "sidebar":
            if not self._screen.query_one("#sidebar-pane").display:
                return None
            return self._screen.query_one(Sidebar).option_list
        if name == "jobs":
            return self._screen.query_one(JobList)
        detail = self._screen.query_one(DetailPane)
        if detail.focusable:
            return detail
        # The tab's content rather than the tab strip: that is where the keys are useful.
        focusable = [w for w in detail.query("*") if w.focusable and not isinstance(w, Tabs)]
        return focusable[0] if focusable else None

    def current_pane(self) -> str | None:
        """The pane holding the focus (sidebar, jobs, detail), if any."""
        focused = self._screen.focused
        for name in _PANES:
            pane = self._screen.query_one(f"#{name}-pane")
            if focused is not None and (focused is pane or pane in focused.ancestors):
                return name
        return None

    def focus_pane(self, name: str) -> None:
        """Focus pane ``name`` (sidebar, jobs, detail)."""
        if name == "sidebar" and not self._screen.query_one("#sidebar-pane").display:
            self._sidebar_forced = True
            self.arrange(self._screen.size.width)
        target = self._pane_target(name)
        if target is not None:
            if self._screen.maximized is not None:
                self._screen.minimize()
            target.focus()

    def next_pane(self) -> None:
        """Focus the next visible pane."""
        current = self.current_pane()
        start = _PANES.index(current) if current in _PANES else -1
        for step in range(1, len(_PANES) + 1):
            name = _PANES[(start + step) % len(_PANES)]
            target = self._pane_target(name)
            if target is not None:
                target.focus()
                return

    def toggle_sidebar(self) -> None:
        """Show or hide the providers pane."""
        pane = self._screen.query_one("#sidebar-pane")
        self._sidebar_forced = not pane.display
        self.arrange(self._screen.size.width)

    def maximize(self) -> None:
        """Maximize the focused pane, or restore it."""
        if self._screen.maximized is not None:
            self._screen.minimize()
            return
        name = self.current_pane() or "jobs"
        self._screen.maximized = self._screen.query_one(f"#{name}-pane")
