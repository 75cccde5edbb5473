"""The dashboard screen: providers, jobs and the detail pane, and their keys.

Panes are numbered in their titles (1 providers, 2 jobs, 3 detail). The
screen is composed of parts it owns and hands its keys to: ``PaneLayout``
(``jobtui.tui.widgets.panes``) arranges the panes by width and moves the
focus between them, ``JobActions`` (``jobtui.tui.screens.jobactions``)
refreshes, adds, removes, cancels and copies jobs, ``DetailFollower``
(``jobtui.tui.screens.detailfollow``) keeps the detail pane on the cursor's
job, ``ListFilter`` (``jobtui.tui.screens.listfilter``) applies the filter
bar's text. This module composes the widgets, routes messages and keys,
titles the panes and sorts.
What the screen needs from the app is ``jobtui.tui.host.DashboardHost``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, TextArea

from jobtui.model import HealthState, ProviderHealth
from jobtui.tui.feed.enginelink import TickChanges
from jobtui.tui.host import DashboardHost
from jobtui.tui.joblist.model import SORT_COLUMNS, JobKey, JobListModel
from jobtui.tui.keys import KEY_SPECS, bindings_for
from jobtui.tui.messages import (
    FilterClosed,
    JobOpened,
    MarksChanged,
    ProviderSelected,
)
from jobtui.tui.screens.detailfollow import DetailFollower
from jobtui.tui.screens.failurewatch import FailureWatch
from jobtui.tui.screens.help import HelpScreen
from jobtui.tui.screens.jobactions import JobActions
from jobtui.tui.screens.listfilter import ListFilter
from jobtui.tui.screens.reports import Reports
from jobtui.tui.screens.saveview import SavedViews
from jobtui.tui.terminal.safe_text import safe
from jobtui.tui.widgets.detail import DetailPane
from jobtui.tui.widgets.filterbar import FilterBar
from jobtui.tui.widgets.joblist import JobList
from jobtui.tui.widgets.jsonview import JsonView
from jobtui.tui.widgets.panes import Pane, PaneLayout
from jobtui.tui.widgets.preview import PreviewView
from jobtui.tui.widgets.sidebar import Sidebar
from jobtui.tui.widgets.statusbar import StatusBar

__all__ = ["COUNTS_SECONDS", "DashboardScreen"]

COUNTS_SECONDS = 1.0
"""The providers pane's counts are redrawn at most this often while jobs change.

Drawing its entries is the costliest part of a batch of changes; while a poller
sweeps thousands of jobs the counts change with every batch, faster than anyone
reads them. A change after a quiet spell shows at once; a health change always does.
"""


class DashboardScreen(Screen[None]):
    """The one main screen."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_for("screen")
    ALLOW_IN_MAXIMIZED_VIEW: ClassVar[str | None] = "StatusBar"

    def __init__(self, model: JobListModel, host: DashboardHost) -> None:
        super().__init__(id="dashboard")
        self.model = model
        self.jobtui = host
        """The app, as the screen uses it."""
        self.panes = PaneLayout(self)
        """Which panes show, how they sit, where the focus is."""
        self.job_actions = JobActions(
            self, host, model, update_titles=self.update_titles, refresh_hints=self.refresh_hints
        )
        """Refresh, pause, add, remove, cancel, copy, open."""
        self.detail_follower = DetailFollower(self, host, model)
        """The detail pane on the cursor's job."""
        self.list_filter = ListFilter(
            self, model, update_titles=self.update_titles, providers=host.provider_names
        )
        """The filter bar's text applied to the list."""
        self.failure_watch = FailureWatch(
            self, host, model, self.job_actions,
            apply_changes=self.apply_changes, add_term=self._add_filter_term,
        )  # fmt: skip
        """The failures view (F), kept live, and bulk actions on a group."""
        self.reports = Reports(self, host, model)
        """The stats pane (I) and the export of what the filter shows (w)."""
        self.saved_views = SavedViews(self, host, model)
        """The filter saved as a view in the config (V)."""
        self._before_views: tuple[str, bool, tuple[str, ...]] | None = None
        self._counts_shown_at = -COUNTS_SECONDS
        self._counts_due = False

    # ---------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        app = self.jobtui
        with Horizontal(id="main"):
            sidebar_pane = Pane(id="sidebar-pane", classes="pane")
            sidebar_pane.border_title = "1 Providers"
            with sidebar_pane:
                yield Sidebar(
                    app.provider_names(),
                    local_time=app.local_time_text,
                    ascii_only=app.ascii_only,
                    id="sidebar",
                )
            with Vertical(id="work"):
                jobs_pane = Pane(id="jobs-pane", classes="pane")
                jobs_pane.border_title = "2 Jobs"
                with jobs_pane:
                    yield JobList(
                        self.model,
                        now=app.now_timestamp,
                        ascii_only=app.ascii_only,
                        columns=app.prefs.columns,
                        # Called, not messaged: the detail changes in the frame that
                        # moves the cursor (a message bubbles a frame or two later).
                        on_highlight=self._cursor_rests_on,
                        after_whole_list=app.after_whole_list,
                        id="jobs",
                    )
                    yield FilterBar(self.list_filter.text_changed, id="filter")
                detail_pane = Pane(id="detail-pane", classes="pane")
                detail_pane.border_title = "3 Detail"
                with detail_pane:
                    yield DetailPane(
                        now=app.clock.now,
                        ascii_only=app.ascii_only,
                        preview=PreviewView(
                            setting=app.config.ui.images,
                            ascii_only=app.ascii_only,
                            providers=lambda: app.config.providers,
                            now=app.clock.now,
                            graphics=app.graphics,
                            graphics_line=app.graphics_line,
                            id="preview-view",
                        ),
                        id="detail",
                    )
        yield StatusBar(id="status")

    def on_mount(self) -> None:
        self.job_list.focus()
        if self.jobtui.prefs.filter:
            self.filter_bar.set_value(self.jobtui.prefs.filter)
            self.list_filter.apply(self.jobtui.prefs.filter)
        self.status_bar.paused = self.jobtui.paused
        self.refresh_hints()
        self.update_titles()
        self.jobtui.dashboard_ready()

    async def _on_idle(self, event: events.Idle) -> None:
        # Runs before Screen._on_idle, which would wait for the next 60 Hz tick to draw.
        if self.detail_follower.take_undrawn() and self.is_current and not self.app._batch_count:
            self._on_timer_update()  # draws what is due now (Textual is pinned)

    def on_resize(self, event: events.Resize) -> None:
        self.panes.arrange(event.size.width)
        # The list's own width is known after this layout: then the title can tell
        # whether the sort column still fits.
        self.call_after_refresh(self.update_titles)

    # ----------------------------------------------------------------- parts

    @property
    def job_list(self) -> JobList:
        """The job list widget."""
        return self.query_one(JobList)

    @property
    def sidebar(self) -> Sidebar:
        """The providers pane's content."""
        return self.query_one(Sidebar)

    @property
    def detail(self) -> DetailPane:
        """The detail pane."""
        return self.query_one(DetailPane)

    @property
    def filter_bar(self) -> FilterBar:
        """The filter bar under the job list."""
        return self.query_one(FilterBar)

    @property
    def status_bar(self) -> StatusBar:
        """The bottom line."""
        return self.query_one(StatusBar)

    def update_titles(self) -> None:
        """Put counts, filter and mode in the jobs pane's title."""
        model = self.model
        shown = f"{len(model):,}"
        if model.filtering:
            shown = f"{len(model):,} of {model.total:,}"
        parts = [shown]
        loading = self.jobtui.loading_total
        if loading is not None:
            # Only the first page is in: the count is every job's, the rest is coming.
            parts = [f"{loading:,}", "loading..." if self.jobtui.ascii_only else "loading…"]
        if model.scope is not None:
            parts.append(f"provider {safe(model.scope)}")
        if model.query is not None:
            parts.append(f"filter: {model.query.text}")
        if model.problems_only:
            parts.append("problems only")
        marks = len(self.job_list.marks)
        if marks:
            parts.append(f"{marks} marked")
        if self.job_list.size.width and model.sort_column not in self.job_list.shown_columns():
            # The header's arrow is off screen: say what the order is.
            arrow = self._sort_arrow(model.sort_reverse)
            parts.append(f"sorted by {model.sort_column} {arrow}")
        title = f"2 Jobs ({' · '.join(parts)})"
        pane = self.query_one("#jobs-pane")
        if str(pane.border_title) != title:
            # A Text, so a query or name with brackets is never read as markup.
            pane.border_title = Text(title)

    def _sort_arrow(self, reverse: bool) -> str:
        if self.jobtui.ascii_only:
            return "v" if reverse else "^"
        return "▼" if reverse else "▲"

    def refresh_hints(self) -> None:
        """Show the key hints that apply now (cancel only where it is supported)."""
        keys = self.jobtui.keys
        hints: list[tuple[str, str]] = []
        for spec in KEY_SPECS:
            if spec.hint is None or not self.check_action(spec.action, ()):
                continue
            first = keys[spec.id].split(",")[0]
            hint = "resume" if spec.id == "pause" and self.jobtui.paused else spec.hint
            hints.append((self.jobtui.key_display(first), hint))
        self.status_bar.set_hints(hints)

    # -------------------------------------------------------------- changes

    def apply_changes(self, changes: TickChanges) -> None:
        """Apply one tick of changes to the model and redraw what changed."""
        job_list = self.job_list
        if changes.health:
            self.jobtui.health.update(changes.health)
            if self.model.set_unhealthy(
                name for name, h in self.jobtui.health.items() if h.state is not HealthState.OK
            ):
                job_list.sync(order_changed=True)
        if changes.jobs:
            # The engine announces the jobs it loaded at start, which are the very
            # objects the list was built from: applying them again would cost a
            # whole rebuild for nothing.
            changes.jobs = {
                key: job for key, job in changes.jobs.items() if not self.model.holds(job)
            }
        if changes.jobs or changes.removed:
            job_list.marks -= changes.removed
            moved = self.model.apply(list(changes.jobs.values()), changes.removed)
            job_list.sync(order_changed=moved, changed=changes.jobs.keys())
            self.update_titles()
            shown = self.detail_follower.key
            if shown is not None and shown in changes.jobs:
                self.show_detail(shown)
            self.refresh_hints()  # e.g. cancel goes once the selected job has finished
        self._show_counts(changes.health or None)
        self.stamp_as_of()
        self.failure_watch.changes_applied(changes)  # the failures view follows the store

    def _show_counts(self, health: Mapping[str, ProviderHealth] | None) -> None:
        wait = self._counts_shown_at + COUNTS_SECONDS - time.monotonic()
        if health is None and wait > 0:
            if not self._counts_due:
                self._counts_due = True
                self.set_timer(wait, self.flush_counts, name="counts")
            return
        self._draw_counts(health)

    def flush_counts(self) -> None:
        """Show the counts held back by :data:`COUNTS_SECONDS`, if any."""
        if self._counts_due:
            self._draw_counts(None)

    def _draw_counts(self, health: Mapping[str, ProviderHealth] | None) -> None:
        self._counts_due = False
        self._counts_shown_at = time.monotonic()
        self.sidebar.update_counts(self.model.counts, health, self.model.fresh_at)

    def stamp_as_of(self) -> None:
        """Show how fresh the data is: the newest successful poll, as "as of HH:MM:SS"."""
        newest = self.model.newest_data
        self.status_bar.as_of = "" if newest is None else self.jobtui.local_time_text(newest)

    def show_detail(self, key: JobKey | None) -> None:
        """Show ``key``'s job in the detail pane."""
        self.detail_follower.show(key)

    def _cursor_rests_on(self, key: JobKey | None) -> None:
        """The job list's cursor moved to ``key``: follow it in the detail pane and hints."""
        self.refresh_hints()
        self.detail_follower.cursor_rests_on(key)

    @on(JobOpened)
    def _opened(self, message: JobOpened) -> None:
        self.show_detail(message.key)
        self.action_focus_pane("detail")

    @on(events.DescendantFocus)
    def _focus_moved(self) -> None:
        # Which keys apply depends on the focus ("/" is a character inside a text field).
        self.refresh_hints()

    @on(MarksChanged)
    def _marks_changed(self) -> None:
        self.update_titles()
        self.refresh_hints()

    @on(ProviderSelected)
    def _provider_selected(self, message: ProviderSelected) -> None:
        if self.jobtui.after_whole_list(lambda: self._provider_selected(message)):
            return  # one provider's jobs among the first page alone would be a partial list
        if message.provider != self.model.scope:
            self.model.set_scope(message.provider)
            self.job_list.show_from_top()
            self.update_titles()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Whether a key's action applies now (hidden from hints and palette if not)."""
        if action == "filter":
            # "/" is a priority key: inside a text field it must stay a character.
            return not isinstance(self.focused, Input | TextArea)
        return self.job_actions.check(action)

    # ---------------------------------------------------------------- filter

    @on(FilterClosed)
    def _filter_closed(self, message: FilterClosed) -> None:
        text = self.filter_bar.value
        if message.cleared or not text:
            self.filter_bar.set_value("")
            self.filter_bar.show_error(None)
        if not self.list_filter.confirm():
            return  # nothing of a text that does not parse is applied: the bar stays open
        self.jobtui.save_prefs(filter=self.filter_bar.value)
        self.job_list.focus()

    def action_filter(self) -> None:
        """Open the filter bar, or the JSON tab's search when the keyboard is in that tab."""
        # "/" is a priority key (it must beat the list), so the JSON tab's own "/"
        # never sees it: hand it over here.
        focused = self.focused
        if focused is not None and self.detail.active_tab == "json" and self.detail in (
            focused.ancestors
        ):
            self.detail.query_one(JsonView).action_focus_search()
            return
        if self.jobtui.after_whole_list(self.filter_bar.open):
            return  # a filter over the first page alone would hide jobs it never saw
        self.filter_bar.open()

    def action_back(self) -> None:
        """Escape: clear the filter first, then leave maximized view, then return to the list."""
        if self.filter_bar.value or self.model.query is not None:
            self.filter_bar.set_value("")
            self.filter_bar.show_error(None)
            self.list_filter.apply("")
            self.jobtui.save_prefs(filter="")
            self.job_list.focus()
        elif self.maximized is not None:
            self.minimize()
        elif not self.job_list.has_focus:
            self.job_list.focus()
        elif self.job_list.marks:
            self.job_list.clear_marks()
            self.update_titles()
        elif self.model.problems_only:
            self.action_problems()

    def action_problems(self) -> None:
        """Show only problems, or everything again."""
        if self.jobtui.after_whole_list(self.action_problems):
            return
        self.model.set_problems_only(not self.model.problems_only)
        self.job_list.show_from_top()
        self.update_titles()

    def action_failures(self) -> None:
        """Open the failures view; a group picked there joins the filter (``sig:`` term)."""
        self.failure_watch.open()

    def _add_filter_term(self, term: str) -> None:
        """Filter by ``term`` too (a ``sig:`` term replaces the one there was)."""
        kept = [t for t in self.filter_bar.value.split() if not t.startswith("sig:")]
        text = " ".join([*kept, term])
        self.filter_bar.set_value(text)
        self.list_filter.apply(text)
        self.jobtui.save_prefs(filter=text)

    def action_mark_all(self) -> None:
        """Mark every job the filter matches, on screen or not; if all are marked, unmark."""
        self.job_actions.mark_all()

    def action_stats(self) -> None:
        """Open the stats pane (I)."""
        self.reports.open_stats()

    def action_export(self) -> None:
        """Ask for a file name, then write the jobs the filter shows to it (CSV or JSON lines)."""
        self.reports.export()

    def action_save_view(self) -> None:
        """Save the filter applied now as a view in the config file (V)."""
        self.saved_views.save()

    def action_views(self) -> None:
        """Apply the next saved view: its query, and its sort and columns when it has them.

        After the last view: no filter again, and the sort and columns the user had.
        """
        names = list(self.jobtui.config.views)
        if not names:
            self.app.notify("No saved views: add [views.NAME] query = \"…\" to the config",
                            timeout=4, markup=False)  # fmt: skip
            return
        current = next(
            (i for i, n in enumerate(names)
             if self.jobtui.config.views[n].query == self.filter_bar.value),
            None,
        )  # fmt: skip
        index = 0 if current is None else current + 1
        if current is None or self._before_views is None:
            # Leaving the user's own list: remember how it was sorted and which columns showed.
            self._before_views = (
                self.model.sort_column, self.model.sort_reverse, self.job_list.columns
            )  # fmt: skip
        column, reverse, columns = self._before_views
        if index >= len(names):
            text, shown = "", "all jobs"
        else:
            view = self.jobtui.config.views[names[index]]
            text, shown = view.query, f"view {names[index]}"
            if view.sort and view.sort.lstrip("-") in SORT_COLUMNS:
                column, reverse = view.sort.lstrip("-"), view.sort.startswith("-")
            columns = view.columns or columns
        self.filter_bar.set_value(text)
        self.list_filter.apply(text)
        self.jobtui.save_prefs(filter=text)
        # A view's sort and columns are the view's: the remembered preferences stay the user's.
        if tuple(columns) != self.job_list.columns:
            self.job_list.set_columns(columns)
        if (column, reverse) != (self.model.sort_column, self.model.sort_reverse):
            self.model.set_sort(column, reverse)
            self.job_list.show_from_top()
            self.job_list.refresh()
        self.update_titles()
        self.app.notify(f"Showing {shown}", timeout=2, markup=False)

    # ------------------------------------------------------------------ sort

    def action_sort(self) -> None:
        """Sort by the next column."""
        if self.jobtui.after_whole_list(self.action_sort):
            return
        # Only onto columns shown at this width: a sort by a hidden column looks random.
        shown = set(self.job_list.shown_columns())
        index = SORT_COLUMNS.index(self.model.sort_column)
        after = SORT_COLUMNS[index + 1 :] + SORT_COLUMNS[: index + 1]
        column = next((c for c in after if c in shown), after[0])
        self._sort(column, self.model.sort_reverse)

    def action_sort_reverse(self) -> None:
        """Reverse the sort order."""
        if self.jobtui.after_whole_list(self.action_sort_reverse):
            return
        self._sort(self.model.sort_column, not self.model.sort_reverse)

    def _sort(self, column: str, reverse: bool) -> None:
        self.model.set_sort(column, reverse)
        self.job_list.show_from_top()
        self.job_list.refresh()
        self.update_titles()
        self.jobtui.save_prefs(sort_column=column, sort_reverse=reverse)

    def action_help(self) -> None:
        """Show every key."""
        self.app.push_screen(
            HelpScreen(
                self.jobtui.keys,
                self.jobtui.key_display,
                ascii_only=self.jobtui.ascii_only,
                read_only=self.jobtui.read_only,
            )
        )

    def action_theme(self) -> None:
        """Switch to the next theme."""
        self.jobtui.cycle_theme()

    def action_quit(self) -> None:
        """Leave the dashboard."""
        self.app.exit(0)

    # ----------------------------------------------------------------- panes

    def action_focus_pane(self, name: str) -> None:
        """Focus pane ``name`` (sidebar, jobs, detail)."""
        self.panes.focus_pane(name)

    def action_show_preview(self) -> None:
        """The selected job's pictures: the detail pane's Preview tab."""
        if "preview" not in self.detail.offered_tabs:
            self.notify("This job names no images: no Preview tab.", timeout=4, markup=False)
            return
        if self.maximized is not None and self.maximized is not self.detail:
            self.minimize()
        # The tab first: focusing the pane first would land on the Result tree, and its
        # focus would switch the tabs back to Result.
        self.detail.select_tab("preview")
        self.detail.focus_body()

    def action_next_pane(self) -> None:
        """Focus the next visible pane."""
        self.panes.next_pane()

    def action_toggle_sidebar(self) -> None:
        """Show or hide the providers pane."""
        self.panes.toggle_sidebar()

    def action_maximize(self) -> None:
        """Maximize the focused pane, or restore it."""
        self.panes.maximize()

    # ------------------------------------------------------------------ jobs

    def _refused(self) -> bool:
        """True (and says so) when this dashboard is read-only: nothing is written."""
        if self.jobtui.read_only:
            self.notify(
                "Read-only dashboard (--read-only): it changes nothing",
                severity="warning",
                timeout=3,
                markup=False,
            )
        return self.jobtui.read_only

    def action_refresh(self) -> None:
        """Poll the selected jobs now; on a provider in the sidebar, retry that provider."""
        if not self._refused():
            self.job_actions.refresh()

    def action_refresh_all(self) -> None:
        """Poll every job now, finished ones included."""
        if not self._refused():
            self.job_actions.refresh_all()

    def action_pause(self) -> None:
        """Pause or resume polling."""
        if not self._refused():
            self.job_actions.pause()

    def action_interval(self, factor: float) -> None:
        """Poll less (factor > 1) or more (factor < 1) often."""
        if not self._refused():
            self.job_actions.interval(factor)

    def action_add(self) -> None:
        """Ask for jobs to watch."""
        if not self._refused():
            self.job_actions.add()

    def action_remove(self) -> None:
        """Stop watching the selected jobs, after a confirmation."""
        if not self._refused():
            self.job_actions.remove()

    def action_cancel(self) -> None:
        """Cancel the selected jobs at their provider, after a confirmation."""
        if not self._refused():
            self.job_actions.cancel()

    def action_copy_id(self) -> None:
        """Copy the selected job ids; in the detail pane, its selected line."""
        self.job_actions.copy_id()

    def action_copy_json(self) -> None:
        """Copy the job's JSON."""
        self.job_actions.copy_json()

    def action_open_json(self) -> None:
        """Open the job's JSON in $PAGER (or $EDITOR), the dashboard suspended."""
        self.job_actions.open_json()
