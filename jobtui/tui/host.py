"""What the dashboard's screens and parts need from the app that hosts them.

The screens are handed a ``DashboardHost`` rather than reaching for the
concrete ``JobtuiApp``: the app imports the screens, so a screen that
imported the app back would close an import cycle. ``JobtuiApp`` is the one
host; ``jobtui.tui.feed.enginelink.EngineLike`` does the same for the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from jobtui.config.model import Config, ViewConfig
from jobtui.model import ProviderHealth
from jobtui.store import Transition
from jobtui.tui.feed.enginelink import ClockLike, EngineLike, TickChanges
from jobtui.tui.feed.watchlist import WatchList
from jobtui.tui.joblist.model import JobKey
from jobtui.tui.prefs import Prefs
from jobtui.tui.terminal.graphics import GraphicsLayer

__all__ = ["DashboardHost"]


class DashboardHost(Protocol):
    """The app as the dashboard screen, its parts and the command palette use it."""

    # ----------------------------------------------------------------- state

    @property
    def config(self) -> Config:
        """The loaded configuration (saved views, providers)."""
        ...

    @property
    def engine(self) -> EngineLike | None:
        """The poller, or None when only the store is shown."""
        ...

    @property
    def watchlist(self) -> WatchList:
        """Where jobs are read from and written to."""
        ...

    @property
    def clock(self) -> ClockLike:
        """The injected clock ages are read from."""
        ...

    @property
    def prefs(self) -> Prefs:
        """The remembered choices (theme, sort, filter, columns)."""
        ...

    @property
    def keys(self) -> Mapping[str, str]:
        """Action id → comma-separated keys, the user's keymap applied."""
        ...

    @property
    def health(self) -> dict[str, ProviderHealth]:
        """Each provider's health as last heard; the dashboard updates it."""
        ...

    @property
    def ascii_only(self) -> bool:
        """Whether to draw with ASCII only."""
        ...

    @property
    def read_only(self) -> bool:
        """Whether this dashboard only shows (``--read-only``): no action that writes."""
        ...

    @property
    def graphics(self) -> GraphicsLayer | None:
        """Sixel or Kitty drawing for the Preview tab (``[ui] images``), or None."""
        ...

    @property
    def graphics_line(self) -> str | None:
        """The Preview tab's line about the graphics setting, or None."""
        ...

    @property
    def paused(self) -> bool:
        """Whether polling is paused."""
        ...

    @property
    def loading_total(self) -> int | None:
        """How many jobs are being read while only the first page is on screen."""
        ...

    # ------------------------------------------------------------- services

    def dashboard_ready(self) -> None:
        """The dashboard is mounted: start loading and ticking."""
        ...

    def after_whole_list(self, action: Callable[[], object]) -> bool:
        """Whether the whole list is still being read; if so ``action`` runs once it is in."""
        ...

    def provider_names(self) -> list[str]:
        """Configured providers, then any others the store knows."""
        ...

    def now_timestamp(self) -> float:
        """Now, in epoch seconds."""
        ...

    def local_time_text(self, moment: datetime | float) -> str:
        """``moment`` as HH:MM:SS in the display time zone."""
        ...

    def key_display(self, key: str) -> str:
        """A key as the user reads it."""
        ...

    def transitions(self, key: JobKey) -> list[Transition]:
        """A job's state history."""
        ...

    def use_views(self, views: Mapping[str, ViewConfig]) -> None:
        """Use ``views`` as the saved views from now on (one was just written to the file)."""
        ...

    def save_prefs(self, **changes: Any) -> None:
        """Remember a choice in prefs.toml."""
        ...

    def copy_text(self, text: str, what: str) -> None:
        """Put ``text`` on the clipboard and say so."""
        ...

    def set_paused(self, paused: bool) -> None:
        """Pause or resume polling."""
        ...

    def scale_intervals(self, factor: float) -> float:
        """Multiply every poll interval by ``factor``; returns the overall scale."""
        ...

    def cycle_theme(self) -> None:
        """Switch to the next theme and remember it."""
        ...

    def toggle_column(self, name: str) -> None:
        """Show or hide a job list column and remember it."""
        ...

    def announce(self, changes: TickChanges) -> None:
        """Toast (and ring) for the jobs that finished."""
        ...

    async def add_jobs(self, provider: str, ids: Sequence[str], label: str | None) -> int:
        """Watch ``ids`` at ``provider``; returns how many were new."""
        ...

    async def remove_jobs(self, keys: Iterable[JobKey]) -> int:
        """Stop watching ``keys``; returns how many were watched."""
        ...
