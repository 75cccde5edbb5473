"""The dashboard screen: providers, jobs and the detail pane, and their keys.

Panes are numbered in their titles (1 providers, 2 jobs, 3 detail); how
they are arranged by width and moved between lives in
``jobtui.tui.widgets.panes``, job actions (refresh, add, remove, cancel,
copy) in ``jobtui.tui.screens.jobactions``; this module composes and routes.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer

from jobtui.model import HealthState, Job
from jobtui.store import WatchedJob
from jobtui.tui.feed.enginelink import TickChanges, collect_changes
from jobtui.tui.feed.payloads import PayloadCache
from jobtui.tui.joblist.model import SORT_COLUMNS, JobKey, JobListModel
from jobtui.tui.joblist.query import QueryError, parse_query
from jobtui.tui.keys import KEY_SPECS, bindings_for
from jobtui.tui.messages import (
    EngineEvents,
    FilterClosed,
    JobOpened,
    MarksChanged,
    ProviderSelected,
)
from jobtui.tui.screens.help import HelpScreen
from jobtui.tui.terminal.safe_text import safe
from jobtui.tui.widgets.detail import DetailPane
from jobtui.tui.widgets.filterbar import FilterBar
from jobtui.tui.widgets.joblist import JobList
from jobtui.tui.widgets.jsonview import JsonView
from jobtui.tui.widgets.panes import NARROW_WIDTH, SIDE_BY_SIDE_WIDTH, Pane, PaneScreen
from jobtui.tui.widgets.preview import PreviewView
from jobtui.tui.widgets.sidebar import Sidebar
from jobtui.tui.widgets.statusbar import StatusBar

__all__ = ["NARROW_WIDTH", "SIDE_BY_SIDE_WIDTH", "DashboardScreen", "Pane"]

PAYLOAD_READ_AT_ONCE = 256 * 1024
"""Payloads up to this many characters are read on the event loop (about 2 ms);
bigger ones in a thread, the job's other fields shown meanwhile."""

_DEBOUNCE_ABOVE = 20_000
"""Lists at least this long filter after a pause in typing."""
_FILTER_DEBOUNCE = 0.15


class DashboardScreen(PaneScreen):
    """The one main screen."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_for("screen")
    ALLOW_IN_MAXIMIZED_VIEW: ClassVar[str | None] = "StatusBar"

    def __init__(self, model: JobListModel) -> None:
        super().__init__(id="dashboard")
        self.model = model
        self._detail_key: JobKey | None = None
        self._filter_timer: Timer | None = None
        self._filter_applied = ""
        self._payloads = PayloadCache()
        self._fetching: tuple[JobKey, Job] | None = None
        self._detail_unpainted = False

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
                        id="jobs",
                    )
                    yield FilterBar(self._filter_text_changed, id="filter")
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
                            id="preview-view",
                        ),
                        id="detail",
                    )
        yield StatusBar(id="status")

    def on_mount(self) -> None:
        self.job_list.focus()
        if self.jobtui.prefs.filter:
            self.filter_bar.set_value(self.jobtui.prefs.filter)
            self._apply_filter(self.jobtui.prefs.filter)
        self.status_bar.paused = self.jobtui.paused
        self.refresh_hints()
        self.update_titles()
        self.jobtui.dashboard_ready()

    # ----------------------------------------------------------------- parts

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
            if self._detail_key is not None and self._detail_key in changes.jobs:
                self.show_detail(self._detail_key)
            self.refresh_hints()  # e.g. cancel goes once the selected job has finished
        self.sidebar.update_counts(self.model.counts, changes.health or None, self.model.fresh_at)
        self.stamp_as_of()

    def stamp_as_of(self) -> None:
        """Show how fresh the data is: the newest successful poll, as "as of HH:MM:SS"."""
        newest = self.model.newest_data
        self.status_bar.as_of = "" if newest is None else self.jobtui.local_time_text(newest)

    @on(EngineEvents)
    def _engine_events(self, message: EngineEvents) -> None:
        changes = collect_changes(message.events)
        self.apply_changes(changes)
        self.jobtui.announce(changes)

    def show_detail(self, key: JobKey | None) -> None:
        """Show ``key``'s job in the detail pane."""
        self._detail_key = key
        row = self.model.row(key) if key is not None else None
        pane = self.query_one("#detail-pane")
        if row is None:
            pane.border_title = "3 Detail"
            self.detail.show(None, [])
            return
        title = f"3 Detail · {safe(row.provider)} {safe(row.id)}"
        if str(pane.border_title) != title:
            pane.border_title = Text(title)
        watched = self._payloads.complete(row.watched) or self._read_small_payload(row.watched)
        if watched is None:
            # Listed without its payload: show the rest now, the payload when it is read.
            watched = row.watched
            self._fetch_payload(row.key, watched)
        self.detail.show(watched, self.jobtui.transitions(row.key))

    def _read_small_payload(self, listed: WatchedJob) -> WatchedJob | None:
        """``listed`` completed from the store at once if its payload is small, else None.

        One frame with the whole job instead of two (the fields, then the payload
        from a thread), and no tree built twice.
        """
        stripped = listed.job
        assert stripped is not None
        key = (listed.provider, listed.id)
        try:
            found = self.jobtui.watchlist.whole_job(key, raw_limit=PAYLOAD_READ_AT_ONCE)
        except Exception:  # the payload is a nicety: the fields are on screen already
            return None
        if found is None or found.job is None or found.job.raw is None:
            return None
        self._payloads.remember(key, stripped, found.job)
        return self._payloads.complete(listed)

    def _fetch_payload(self, key: JobKey, watched: WatchedJob) -> None:
        stripped = watched.job
        assert stripped is not None
        if self._fetching is not None and self._fetching[1] is stripped:
            return  # already on its way
        self._fetching = (key, stripped)
        # exclusive: the cursor has moved on, so a fetch for the job left behind is moot.
        self.run_worker(
            self._read_payload(key, stripped), group="payload", exclusive=True,
            exit_on_error=False,
        )

    async def _read_payload(self, key: JobKey, stripped: Job) -> None:
        try:
            whole = await asyncio.to_thread(self.jobtui.watchlist.whole_job, key)
        except Exception:  # the payload is a nicety: the fields are on screen already
            whole = None
        finally:
            if self._fetching is not None and self._fetching[1] is stripped:
                self._fetching = None
        if whole is None or whole.job is None:
            return
        self._payloads.remember(key, stripped, whole.job)
        if self._detail_key == key:
            self.show_detail(key)

    def _cursor_rests_on(self, key: JobKey | None) -> None:
        """The job list's cursor moved to ``key``: follow it in the detail pane and hints.

        At most one detail is built per frame: keys that come faster than the screen
        is drawn (a held key after a stall, a burst over a slow link) move the cursor,
        and the detail follows the job it stops on, so the jobs passed over are never
        built.
        """
        self.refresh_hints()
        if self._detail_unpainted:
            self.call_after_refresh(self._follow_cursor, key)
            return
        self.show_detail(key)
        self._detail_unpainted = True
        self.call_after_refresh(self._detail_painted)

    def _detail_painted(self) -> None:
        self._detail_unpainted = False

    def _follow_cursor(self, key: JobKey | None) -> None:
        if key == self.model.cursor_key and key != self._detail_key:
            self.show_detail(key)

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
        if message.provider != self.model.scope:
            self.model.set_scope(message.provider)
            self.job_list.sync()
            self.update_titles()

    # ---------------------------------------------------------------- filter

    def _apply_filter(self, text: str) -> None:
        if self._filter_timer is not None:  # a debounced filter is now moot
            self._filter_timer.stop()
            self._filter_timer = None
        if text == self._filter_applied:
            return
        self._filter_applied = text
        try:
            query = parse_query(text)
        except QueryError as exc:
            self.filter_bar.show_error(str(exc))
            return
        self.filter_bar.show_error(None)
        self.model.set_query(query)
        # The title first: its pane asks for a repaint before the list does, so both
        # reach the screen in time for one frame.
        self.update_titles()
        self.job_list.sync()

    def _filter_text_changed(self, text: str) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        if self.model.total < _DEBOUNCE_ABOVE:
            self._apply_filter(text)
            return
        # A big list is filtered once typing pauses, not on every keystroke.
        self._filter_timer = self.set_timer(_FILTER_DEBOUNCE, partial(self._apply_filter, text))

    @on(FilterClosed)
    def _filter_closed(self, message: FilterClosed) -> None:
        text = self.filter_bar.value
        if message.cleared or not text:
            self.filter_bar.set_value("")
            self.filter_bar.show_error(None)
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
        self.filter_bar.open()

    def action_back(self) -> None:
        """Escape: clear the filter first, then leave maximized view, then return to the list."""
        if self.filter_bar.value or self.model.query is not None:
            self.filter_bar.set_value("")
            self.filter_bar.show_error(None)
            self._apply_filter("")
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
        self.model.set_problems_only(not self.model.problems_only)
        self.job_list.sync()
        self.update_titles()

    # ------------------------------------------------------------------ sort

    def action_sort(self) -> None:
        """Sort by the next column."""
        index = SORT_COLUMNS.index(self.model.sort_column)
        column = SORT_COLUMNS[(index + 1) % len(SORT_COLUMNS)]
        self._sort(column, self.model.sort_reverse)

    def action_sort_reverse(self) -> None:
        """Reverse the sort order."""
        self._sort(self.model.sort_column, not self.model.sort_reverse)

    def _sort(self, column: str, reverse: bool) -> None:
        self.model.set_sort(column, reverse)
        self.job_list.sync()
        self.job_list.refresh()
        self.update_titles()
        self.jobtui.save_prefs(sort_column=column, sort_reverse=reverse)

    def action_help(self) -> None:
        """Show every key."""
        self.app.push_screen(HelpScreen(self.jobtui.keys, self.jobtui.key_display))

    def action_theme(self) -> None:
        """Switch to the next theme."""
        self.jobtui.cycle_theme()

    def action_quit(self) -> None:
        """Leave the dashboard."""
        self.app.exit(0)
