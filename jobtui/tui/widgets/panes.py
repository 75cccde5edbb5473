"""The dashboard's panes: numbered, focused with 1/2/3 and tab, arranged by width.

Under ``NARROW_WIDTH`` columns the providers pane hides (``b`` shows it
again, ``1`` too); from ``SIDE_BY_SIDE_WIDTH`` the detail sits beside the
job list instead of under it; ``f`` maximizes the focused pane.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Tabs

from jobtui.tui.screens.jobactions import JobActionsScreen
from jobtui.tui.widgets.detail import DetailPane
from jobtui.tui.widgets.sidebar import Sidebar

__all__ = ["NARROW_WIDTH", "SIDE_BY_SIDE_WIDTH", "Pane", "PaneScreen"]

NARROW_WIDTH = 100
"""Below this many columns the providers pane hides."""
SIDE_BY_SIDE_WIDTH = 160
"""From this many columns the detail sits beside the job list."""

_PANES = ("sidebar", "jobs", "detail")


class Pane(Vertical):
    """A bordered, numbered pane that ``f`` can maximize."""

    ALLOW_MAXIMIZE = True


class PaneScreen(JobActionsScreen):
    """The pane arrangement and pane keys of the dashboard screen."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sidebar_forced: bool | None = None
        """The user's choice (b, 1) over the width's; None: the width decides."""

    def on_resize(self, event: events.Resize) -> None:
        self._arrange(event.size.width)
        # The list's own width is known after this layout: then the title can tell
        # whether the sort column still fits.
        self.call_after_refresh(self.update_titles)

    def _arrange(self, width: int) -> None:
        narrow = width < NARROW_WIDTH
        show_sidebar = self._sidebar_forced if self._sidebar_forced is not None else not narrow
        self.query_one("#sidebar-pane").display = show_sidebar
        if not show_sidebar and self._current_pane() == "sidebar":
            self.job_list.focus()  # focus must not stay in a pane that is gone
        self.set_class(width >= SIDE_BY_SIDE_WIDTH, "-side-by-side")

    @property
    def sidebar(self) -> Sidebar:
        """The providers pane's content."""
        return self.query_one(Sidebar)

    @property
    def detail(self) -> DetailPane:
        """The detail pane."""
        return self.query_one(DetailPane)

    def _pane_target(self, name: str) -> Widget | None:
        if name == "sidebar":
            if not self.query_one("#sidebar-pane").display:
                return None
            return self.sidebar.option_list
        if name == "jobs":
            return self.job_list
        if self.detail.focusable:
            return self.detail
        # The tab's content rather than the tab strip: that is where the keys are useful.
        focusable = [w for w in self.detail.query("*") if w.focusable and not isinstance(w, Tabs)]
        return focusable[0] if focusable else None

    def _current_pane(self) -> str | None:
        focused = self.focused
        for name in _PANES:
            pane = self.query_one(f"#{name}-pane")
            if focused is not None and (focused is pane or pane in focused.ancestors):
                return name
        return None

    def action_focus_pane(self, name: str) -> None:
        """Focus pane ``name`` (sidebar, jobs, detail)."""
        if name == "sidebar" and not self.query_one("#sidebar-pane").display:
            self._sidebar_forced = True
            self._arrange(self.size.width)
        target = self._pane_target(name)
        if target is not None:
            if self.maximized is not None:
                self.minimize()
            target.focus()

    def action_next_pane(self) -> None:
        """Focus the next visible pane."""
        current = self._current_pane()
        start = _PANES.index(current) if current in _PANES else -1
        for step in range(1, len(_PANES) + 1):
            name = _PANES[(start + step) % len(_PANES)]
            target = self._pane_target(name)
            if target is not None:
                target.focus()
                return

    def action_toggle_sidebar(self) -> None:
        """Show or hide the providers pane."""
        pane = self.query_one("#sidebar-pane")
        self._sidebar_forced = not pane.display
        self._arrange(self.size.width)

    def action_maximize(self) -> None:
        """Maximize the focused pane, or restore it."""
        if self.maximized is not None:
            self.minimize()
            return
        name = self._current_pane() or "jobs"
        self.maximized = self.query_one(f"#{name}-pane")
