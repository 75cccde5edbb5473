"""The dashboard application and its factory.

``make_app(config, store, clock, engine)`` is the one way to build the app:
the command line, ``jobtui demo`` and the tests all use it, so a test can
freeze time and a snapshot can be deterministic. The app paints from the
store at once, runs the engine (when given) as one async worker that may
fail without closing the screen, and turns its events into row updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, ClassVar

from rich.console import RenderableType
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.filter import LineFilter
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from jobtui.config.model import Config, ViewConfig
from jobtui.model import HealthState, ProviderHealth
from jobtui.store import JobStore, Transition, WatchedJob
from jobtui.tui.feed.enginelink import ClockLike, EngineLike, TickChanges, collect_changes
from jobtui.tui.feed.firstpage import FIRST_PAGE_ROWS
from jobtui.tui.feed.notices import TOAST_SECONDS, FinishNotices
from jobtui.tui.feed.watchlist import WatchList
from jobtui.tui.joblist.model import JobKey, JobListModel
from jobtui.tui.keys import check_keymap, resolved_keys
from jobtui.tui.palette import dashboard_commands
from jobtui.tui.prefs import load_prefs, save_prefs
from jobtui.tui.screens.dashboard import DashboardScreen
from jobtui.tui.terminal.clipboard import copy_text, driver_writer
from jobtui.tui.terminal.graphics import GraphicsLayer, open_graphics, touched_regions
from jobtui.tui.terminal.hangup import HangupWatch, driven_over_pipes
from jobtui.tui.terminal.notify import Notifier
from jobtui.tui.terminal.safe_text import safe
from jobtui.tui.terminal.surroundings import SystemClock, terminal_is_utf8
from jobtui.tui.themes import (
    STATE_DEFAULTS,
    load_theme_set,
    readable_line_filters,
    shipped_themes_dir,
    user_themes_dir,
)

__all__ = ["JobtuiApp", "make_app"]

log = logging.getLogger(__name__)

UPDATE_SECONDS = 0.3
"""Engine changes reach the screen at most this often.

Each application repaints changed rows, counts, titles and perhaps the detail
pane; while another process polls 10,000 jobs that is a frame every tick, and
a key waits behind whichever frame is being painted. Changes gathered over a
few ticks cost one frame.
"""

KEY_QUIET_SECONDS = 0.25
"""Changes wait while keys come closer together than this: the keys' frames go first."""

MOST_HELD_SECONDS = 1.0
"""Changes never wait longer than this for keys to pause."""


def _stdin_is_terminal() -> bool:
    try:
        return sys.__stdin__ is not None and sys.__stdin__.isatty()
    except (OSError, ValueError):
        return False


class JobtuiApp(App[int]):
    """The jobtui dashboard."""

    CSS_PATH = "jobtui.tcss"
    TITLE = "jobtui"
    BINDINGS: ClassVar[list[Any]] = [
        # Replace Textual's "press ctrl+q to quit" hint: ctrl+c quits, as in any terminal tool.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="quit_now"),
    ]

    def __init__(
        self,
        config: Config,
        store: JobStore,
        *,
        clock: ClockLike,
        engine: EngineLike | None,
        prefs_path: Path | None,
        ascii_only: bool,
        tz: tzinfo | None,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self.read_only = read_only
        self.config = config
        self.store = store
        self.clock = clock
        self.engine = engine
        self.watchlist = WatchList(config, store, engine)
        self.prefs_path = prefs_path
        self.ascii_only = ascii_only
        self.tz = tz
        self.prefs, self._prefs_problems = load_prefs(prefs_path)
        keymap, self._key_problems = check_keymap(config.ui.keys)
        self._keymap = dict(keymap)
        self.keys = resolved_keys(keymap)
        self.health: dict[str, ProviderHealth] = dict(engine.health()) if engine else {}
        self._paused = engine.paused if engine is not None else False
        self._interval_scale = engine.interval_scale if engine is not None else 1.0
        self.model = JobListModel(
            sort_column=self.prefs.sort_column, sort_reverse=self.prefs.sort_reverse
        )
        self.loaded = asyncio.Event()
        """Set once the store's jobs are on screen (tests and benchmarks wait on it)."""
        self.first_page_shown = asyncio.Event()
        """Set once the first page is on screen while the whole list is still being read
        (only for a store bigger than a page, sorted by a column the outline orders by)."""
        self.whole_read = asyncio.Event()
        """The whole list is read once this is set (it is from the start: clear it before
        the app runs to hold the first page on screen, as tests do to look at it)."""
        self.whole_read.set()
        self._on_rows_shown: list[Callable[[], object]] = []
        self.loading_total: int | None = None
        """How many jobs are being read while only the first page is on screen."""
        self._pending: TickChanges | None = TickChanges()
        self._queued = TickChanges()
        """Engine changes waiting for their frame (see ``UPDATE_SECONDS``)."""
        self._queued_at: float | None = None
        self._applied_at = 0.0
        self._last_key_at = 0.0
        self._apply_timer: Timer | None = None
        self._notices = FinishNotices(config.ui.notify)
        self._notifier = Notifier(
            config.ui.notify_via,
            config.ui.notify_cmd,
            # Through terminal_write, looked up at each call: tests capture the bytes there.
            write=lambda text: self.terminal_write(text),
            env=os.environ,
        )
        self._unsubscribe: Callable[[], None] | None = None
        self._theme_names: list[str] = []
        self._background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._loop_thread = threading.get_ident()
        self._hangup_watch: HangupWatch | None = None
        self._budgets_read_at: datetime | None = None
        self.terminal_write: Callable[[str], None] = driver_writer(self)
        """Raw output to the terminal (clipboard sequences); replaceable to observe them."""
        self.graphics: GraphicsLayer | None
        self.graphics_line: str | None
        self.graphics, self.graphics_line = open_graphics(
            config.ui.images,
            lambda text: self.terminal_write(text),
            env=os.environ,
            ascii_only=ascii_only,
        )
        """Sixel or Kitty pictures (``[ui] images``, opt-in), and the Preview line about them."""

    # -------------------------------------------------------------- graphics

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        """Write the frame, then the Sixel/Kitty pictures whose cells it repainted.

        Textual has no public hook that hands over the update just written;
        ``post_display_hook`` comes without it. Raw pictures must follow the frame
        in the same output stream, so this wraps the method that writes it.
        """
        super()._display(screen, renderable)
        if self.graphics is not None and renderable is not None and self._driver is not None:
            self.graphics.after_display(touched_regions(renderable))

    def on_resize(self, event: events.Resize) -> None:
        if self.graphics is not None:
            self.graphics.moved()

    # ------------------------------------------------------------- start-up

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """``$state-*`` colours for themes that do not define them."""
        return dict(STATE_DEFAULTS)

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, kept readable under NO_COLOR when an ANSI theme is chosen."""
        return readable_line_filters(super().get_line_filters(), ansi=self.native_ansi_color)

    def on_mount(self) -> None:
        self._loop_thread = threading.get_ident()
        # Leave when the terminal goes away (SSH drop, closed pty) instead of
        # spinning on its end-of-file; headless runs have no terminal to lose.
        # Under jobtui serve the "terminal" is serve's pipes: leave when serve dies.
        if not self.is_headless and (_stdin_is_terminal() or driven_over_pipes()):
            self._hangup_watch = HangupWatch(self.exit)
            self._hangup_watch.start()
        self.set_class(self.ascii_only, "-ascii")
        self._install_themes()
        self.set_keymap(self._keymap)
        self.push_screen(DashboardScreen(self.model, self))
        for problem in [*self._prefs_problems, *self._key_problems, *self.config.warnings]:
            self.notify(safe(problem), severity="warning", timeout=8, markup=False)

    def dashboard_ready(self) -> None:
        """The dashboard is mounted: subscribe to the engine, load the store, start ticking."""
        if self.engine is not None:
            self._unsubscribe = self.engine.subscribe(self._engine_callback)
        self.run_worker(self._load(), name="load", group="load", exit_on_error=False)
        self.set_interval(1.0, self._tick, name="ages")
        for factory in self._background:
            self.run_worker(factory(), group="background", exit_on_error=False)

    def run_in_background(self, factory: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``factory()`` as a worker once the dashboard is up (``jobtui demo`` feeds jobs)."""
        self._background.append(factory)

    def _install_themes(self) -> None:
        theme_set = load_theme_set([shipped_themes_dir(), user_themes_dir()])
        for theme in theme_set.themes:
            self.register_theme(theme)
        for error in theme_set.errors:
            self.notify(safe(str(error)), severity="warning", timeout=8, markup=False)
        self._theme_names = [theme.name for theme in theme_set.themes]
        wanted = [self.prefs.theme, self.config.ui.theme, *self._theme_names]
        for name in wanted:
            if name and name in self.available_themes:
                self.theme = name
                break

    async def _load(self) -> None:
        """Show the first page, then read every stored job off the loop and show them."""
        dashboard = self.dashboard
        self.model.set_unhealthy(
            name for name, health in self.health.items() if health.state is not HealthState.OK
        )
        # A store problem here meets the whole read below too, which says so.
        with contextlib.suppress(Exception):
            await self._show_first_page()
        await self.whole_read.wait()
        fresh = self.model.empty_copy()

        try:
            jobs = await self.watchlist.load()
            await asyncio.to_thread(fresh.set_jobs, jobs)
        except Exception as exc:  # a broken store file: say so, keep the screen usable
            self.notify(
                safe(f"Could not read the store: {exc}"),
                severity="error",
                timeout=30,
                markup=False,
            )
        self.model.adopt(fresh)
        self.loading_total = None
        pending, self._pending = self._pending, None
        if pending:
            dashboard.apply_changes(pending)
        dashboard.job_list.sync()
        dashboard.update_titles()
        dashboard.sidebar.update_counts(self.model.counts, self.health, self.model.fresh_at)
        dashboard.stamp_as_of()
        # The budget gauges are on screen with the rows; _tick reads them again each minute.
        self._budgets_read_at = self.clock.now().replace(second=0, microsecond=0)
        await dashboard.reports.update_budgets()
        self.loaded.set()
        self.call_after_refresh(self._rows_shown)
        dashboard.failure_watch.start()  # failed rows read whole: groups as `jobtui errors`
        # The jobs just loaded live as long as the app: keep them out of the cycle
        # collector's full passes, which took 50-100 ms at 10,000 jobs, a stall in
        # the middle of typing. Reference counting still frees what is replaced;
        # on_unmount hands them back.
        gc.freeze()
        if self.engine is not None:
            self.run_worker(self._run_engine(), name="engine", group="engine", exit_on_error=False)

    async def _show_first_page(self) -> None:
        """Paint the rows of the first screen and the sidebar's counts from the store's outline.

        The page holds exactly the rows the whole list starts with, in its order
        (``jobtui.tui.feed.firstpage``): when the whole list is adopted the rows
        on screen stay and the cursor stays on its job. A filter, or a sort the
        outline cannot order by, waits for the whole list, as does a store no
        bigger than a page (one read is as quick).
        """
        model = self.model
        if model.filtering:
            return
        found = await self.watchlist.first_page(
            model.sort_column, model.sort_reverse, FIRST_PAGE_ROWS
        )
        if found is None or self.loaded.is_set():
            return
        page, jobs = found
        first = model.empty_copy()
        first.set_jobs(jobs)
        first.counts = page.counts
        first.fresh_at = page.fresh_at
        first.longest_id = max(first.longest_id, page.longest_id)
        model.adopt(first)
        self.loading_total = page.total
        dashboard = self.dashboard
        dashboard.job_list.sync()
        dashboard.update_titles()
        dashboard.sidebar.update_counts(model.counts, self.health, model.fresh_at)
        dashboard.stamp_as_of()
        self.first_page_shown.set()
        self.call_after_refresh(self._rows_shown)

    def when_rows_shown(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once the first rows are on screen (the first page or the list)."""
        self._on_rows_shown.append(callback)

    def _rows_shown(self) -> None:
        callbacks, self._on_rows_shown = self._on_rows_shown, []
        for callback in callbacks:
            callback()

    def after_whole_list(self, action: Callable[[], object]) -> bool:
        """Whether the whole list is still being read; if so ``action`` runs once it is in.

        For keys that act on every row (sort, filter, the last row): they never act
        on the first page alone.
        """
        if self.loaded.is_set():
            return False

        async def later() -> None:
            await self.loaded.wait()
            action()

        self.run_worker(later(), group="after-load", exit_on_error=False)
        return True

    async def _run_engine(self) -> None:
        assert self.engine is not None
        try:
            await self.engine.run()
        except Exception as exc:  # a poller crash must leave the store view usable
            self.notify(
                safe(f"The poller stopped: {exc}"), severity="error", timeout=30, markup=False
            )
            raise

    def _engine_callback(self, events: Sequence[object]) -> None:
        if threading.get_ident() != self._loop_thread:
            loop = self._loop
            if loop is not None:
                loop.call_soon_threadsafe(self._engine_callback, events)
            return
        if self._pending is not None:
            # Still loading: keep the events for when the rows are in.
            collect_changes(events, self._pending)
            return
        collect_changes(events, self._queued)
        if self._apply_timer is not None:
            return  # a frame for the changes is booked already
        now = time.monotonic()
        self._queued_at = now
        wait = max(0.0, self._applied_at + UPDATE_SECONDS - now)
        if wait == 0.0 and now - self._last_key_at >= KEY_QUIET_SECONDS:
            self._apply_queued()
        else:
            self._apply_timer = self.set_timer(max(wait, 0.01), self._apply_queued)

    def _apply_queued(self) -> None:
        """Show the engine's gathered changes, unless keys are coming in (then a bit later)."""
        self._apply_timer = None
        now = time.monotonic()
        held = now - (self._queued_at if self._queued_at is not None else now)
        since_key = now - self._last_key_at
        if since_key < KEY_QUIET_SECONDS and held < MOST_HELD_SECONDS:
            self._apply_timer = self.set_timer(KEY_QUIET_SECONDS - since_key, self._apply_queued)
            return
        changes, self._queued = self._queued, TickChanges()
        self._queued_at = None
        if not changes:
            return
        try:
            dashboard = self.dashboard
        except LookupError:
            return  # shutting down
        self._applied_at = now
        dashboard.apply_changes(changes)
        self.announce(changes)

    async def on_event(self, event: events.Event) -> None:
        """Note when keys arrive (engine changes wait for a pause in typing)."""
        if isinstance(event, events.Key):
            self._last_key_at = time.monotonic()
        await super().on_event(event)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Say so when a background task of the dashboard failed, rather than go quiet.

        The dashboard's workers run with ``exit_on_error=False`` (one failing must not
        take the screen away); without this a failed load would leave "loading…" for good.
        """
        if event.state is not WorkerState.ERROR:
            return
        worker = event.worker
        log.error("dashboard task %s failed", worker.name or worker.group, exc_info=worker.error)
        self.notify(
            safe(f"{worker.name or worker.group} stopped: {worker.error}"),
            title="Internal error",
            severity="error",
            timeout=30,
            markup=False,
        )

    async def on_unmount(self) -> None:
        if self._hangup_watch is not None:
            self._hangup_watch.stop()
        gc.unfreeze()
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.engine is not None:
            self.engine.stop()
            await self.engine.aclose()

    # ------------------------------------------------------------- services

    @property
    def hung_up(self) -> bool:
        """True when the app left because its terminal went away (SIGHUP, closed pty)."""
        return self._hangup_watch is not None and self._hangup_watch.hung_up.is_set()

    @property
    def dashboard(self) -> DashboardScreen:
        """The main screen (there is one)."""
        for screen in self.screen_stack:
            if isinstance(screen, DashboardScreen):
                return screen
        raise LookupError("the dashboard screen is not installed")

    def provider_names(self) -> list[str]:
        """Configured providers, then any others the store knows."""
        names = list(self.config.providers)
        for name in self.model.counts:
            if name not in names:
                names.append(name)
        return names

    def now_timestamp(self) -> float:
        """Now, in epoch seconds, from the injected clock."""
        return self.clock.now().timestamp()

    def local_now(self) -> datetime:
        """Now, in the display time zone."""
        return self.clock.now().astimezone(self.tz)

    def local_time_text(self, moment: datetime | float) -> str:
        """``moment`` (aware, or epoch seconds) as HH:MM:SS in the display time zone."""
        if isinstance(moment, float | int):
            moment = datetime.fromtimestamp(moment, UTC)
        return moment.astimezone(self.tz).strftime("%H:%M:%S")

    def key_display(self, key: str) -> str:
        """A key as the user reads it (``question_mark`` → ``?``)."""
        return self.get_key_display(Binding(key, ""))

    def transitions(self, key: JobKey) -> list[Transition]:
        """A job's state history from the store."""
        return self.watchlist.transitions(key)

    def save_prefs(self, **changes: Any) -> None:
        """Remember a choice (theme, sort, filter, columns) in prefs.toml."""
        self.prefs = self.prefs.with_(**changes)
        try:
            save_prefs(self.prefs_path, self.prefs)
        except OSError as exc:
            self.notify(f"Could not save preferences: {exc}", severity="warning", markup=False)

    def copy_text(self, text: str, what: str) -> None:
        """Put ``text`` on the clipboard (a local tool, or OSC 52, tmux-aware) and say so."""
        try:
            result = copy_text(text, self.terminal_write)
        except OSError as exc:
            self.notify(f"Could not copy the {what}: {exc}", severity="error", markup=False)
            return
        self.notify(f"{what}: {result.message}", timeout=3, markup=False)

    @property
    def paused(self) -> bool:
        """Whether polling is paused."""
        return self._paused

    def set_paused(self, paused: bool) -> None:
        """Pause or resume polling."""
        self._paused = paused
        if self.engine is not None:
            if paused:
                self.engine.pause()
            else:
                self.engine.resume()

    def scale_intervals(self, factor: float) -> float:
        """Multiply every poll interval by ``factor``; returns the new overall scale."""
        if self.engine is not None:
            self.engine.scale_intervals(factor)
            self._interval_scale = self.engine.interval_scale
        else:
            self._interval_scale *= factor
        return self._interval_scale

    def cycle_theme(self) -> None:
        """Switch to the next jobtui theme and remember it."""
        names = self._theme_names or list(self.available_themes)
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.save_prefs(theme=self.theme)
        self.notify(f"Theme: {self.theme}", timeout=2, markup=False)

    # ------------------------------------------------------------ job writes

    async def add_jobs(self, provider: str, ids: Sequence[str], label: str | None) -> int:
        """Watch ``ids`` at ``provider``; returns how many were new."""
        added, jobs = await self.watchlist.add(provider, ids, label)
        self._apply_jobs(jobs, ())
        return added

    async def remove_jobs(self, keys: Iterable[JobKey]) -> int:
        """Stop watching ``keys``; returns how many were watched."""
        keys = list(keys)
        removed = await self.watchlist.remove(keys)
        self._apply_jobs((), keys)
        return removed

    def _apply_jobs(self, jobs: Iterable[WatchedJob], removed: Iterable[JobKey]) -> None:
        changes = TickChanges(
            jobs={(job.provider, job.id): job for job in jobs}, removed=set(removed)
        )
        self.dashboard.apply_changes(changes)

    # --------------------------------------------------------- notifications

    def announce(self, changes: TickChanges) -> None:
        """Toast (and ring) for jobs that finished, as ``ui.notify`` and ``ui.bell`` say.

        At most one round every few seconds of the injected clock; later finishes
        join the round of the next tick (``jobtui.tui.feed.notices``).
        """
        self._notices.add(job for job, _previous in changes.finished)
        self._toast_finished()

    def _toast_finished(self) -> None:
        round_ = self._notices.take(self.now_timestamp())
        if round_ is None:
            return
        via = self.config.ui.notify_via
        for toast in round_.toasts:
            if "toast" in via:
                self.notify(
                    toast.message,
                    title=toast.title,
                    severity=toast.severity,
                    timeout=TOAST_SECONDS,
                    markup=False,
                )
            # OSC 9/777 (tmux-wrapped) and notify_cmd: they reach the user's own desktop.
            self._notifier.announce(toast.title, toast.message, failures=round_.failures)
        if round_.failures and self.config.ui.bell and "bell" not in via:
            self.bell()

    def _tick(self) -> None:
        """Once a second: held-back toasts, the providers' counters, ages on screen."""
        self._toast_finished()
        if not self.loaded.is_set():
            return
        try:
            self._tick_screen()
        except (LookupError, NoMatches):
            return  # shutting down: the screen's widgets are going or gone

    def _tick_screen(self) -> None:
        """The per-second work on the dashboard's widgets (which raise once unmounted)."""
        dashboard = self.dashboard
        job_list = dashboard.job_list
        if self.engine is not None:
            # Request counters change without a health event: show them as they are.
            changed = {
                name: health
                for name, health in self.engine.health().items()
                if self.health.get(name) != health
            }
            if changed:
                dashboard.apply_changes(TickChanges(health=changed))
        # A PostgreSQL store out of reach says so (the follower reconnects meanwhile).
        dashboard.sidebar.set_store_problem(getattr(self.store, "problem", None))
        job_list.refresh_ages()
        dashboard.detail.refresh_times()
        # The budget gauges: the store counts requests per minute, so read once a minute.
        minute = self.clock.now().replace(second=0, microsecond=0)
        if minute != self._budgets_read_at:
            self._budgets_read_at = minute
            dashboard.reports.read_budgets()

    # -------------------------------------------------------------- palette

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands, then every dashboard action with its keys."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, DashboardScreen):
            yield from dashboard_commands(self, screen)

    def use_views(self, views: Mapping[str, ViewConfig]) -> None:
        """Use ``views`` as the saved views from now on (one was just written to the file)."""
        self.config = self.config.model_copy(update={"views": dict(views)})

    def toggle_column(self, name: str) -> None:
        """Show or hide a job list column, and remember the choice."""
        job_list = self.dashboard.job_list
        shown = set(job_list.columns) ^ {name}
        job_list.set_columns(shown)
        self.dashboard.update_titles()
        self.save_prefs(columns=job_list.columns)


def make_app(
    config: Config,
    store: JobStore,
    clock: ClockLike | None = None,
    engine: EngineLike | None = None,
    *,
    prefs_path: Path | None = None,
    ascii_only: bool | None = None,
    tz: tzinfo | None = None,
    read_only: bool = False,
) -> JobtuiApp:
    """Build the dashboard.

    ``clock`` defaults to the engine's clock or the wall clock; ``tz`` (the
    zone "as of" times are shown in) defaults to the local one;
    ``ascii_only`` defaults to what the terminal's locale can draw.
    """
    if clock is None:
        clock = getattr(engine, "clock", None) or SystemClock()
    return JobtuiApp(
        config,
        store,
        clock=clock,
        engine=engine,
        prefs_path=prefs_path,
        ascii_only=not terminal_is_utf8() if ascii_only is None else ascii_only,
        tz=tz,
        read_only=read_only,
    )
