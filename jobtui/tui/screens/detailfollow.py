"""The detail pane following the job list's cursor, its payload read from the store.

The job list holds jobs without their payloads (the provider's raw answer);
``DetailFollower`` shows the job under the cursor, once the frame that moves
the cursor is drawn, and completes it from the store: small payloads at once,
big ones in a worker while the job's other fields are already on screen. It
is a part of the dashboard screen.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual.screen import Screen

from jobtui.model import Job
from jobtui.store import WatchedJob
from jobtui.tui.feed.payloads import PayloadCache
from jobtui.tui.host import DashboardHost
from jobtui.tui.joblist.model import JobKey, JobListModel
from jobtui.tui.terminal.safe_text import safe
from jobtui.tui.widgets.detail import DetailPane

__all__ = ["PAYLOAD_READ_AT_ONCE", "DetailFollower"]

PAYLOAD_READ_AT_ONCE = 256 * 1024
"""Payloads up to this many characters are read on the event loop (about 2 ms);
bigger ones in a thread, the job's other fields shown meanwhile."""


class DetailFollower:
    """Which job the screen's detail pane shows, and its payload on the way."""

    def __init__(self, screen: Screen[Any], host: DashboardHost, model: JobListModel) -> None:
        self._screen = screen
        self._host = host
        self.model = model
        self.key: JobKey | None = None
        """The job the detail pane shows."""
        self._pending = False
        self._wanted: JobKey | None = None
        self._undrawn = False
        self._payloads = PayloadCache()
        self._fetching: tuple[JobKey, Job] | None = None

    @property
    def detail(self) -> DetailPane:
        """The detail pane."""
        return self._screen.query_one(DetailPane)

    def show(self, key: JobKey | None) -> None:
        """Show ``key``'s job in the detail pane."""
        self.key = key
        row = self.model.row(key) if key is not None else None
        pane = self._screen.query_one("#detail-pane")
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
        self.detail.show(watched, self._host.transitions(row.key))

    @property
    def pending(self) -> bool:
        """A cursor move's detail waits to be built (after the frame that moves the cursor)."""
        return self._pending

    def cursor_rests_on(self, key: JobKey | None) -> None:
        """The cursor moved to ``key``: follow it once the cursor's frame is drawn.

        Building a job's detail (its result tree, its payload read from the store)
        costs more than moving the cursor: the cursor is drawn first and the detail
        follows. One build is pending at a time, for the row the cursor rests on
        when it runs: keys that come faster than the detail is built (a held key,
        page down) move the cursor, and the rows passed over are never built.
        """
        self._wanted = key
        if self._pending:
            return  # the pending build takes the newer row
        self._pending = True
        self._screen.call_after_refresh(self._follow_cursor)

    def _follow_cursor(self) -> None:
        self._pending = False
        if not self._screen.is_attached:
            return  # the dashboard went (the app is closing) before its next frame
        self.show(self._wanted)
        self._undrawn = True

    def take_undrawn(self) -> bool:
        """Whether a build after the cursor's frame waits to be drawn (asking clears it).

        The screen draws it as soon as it has taken the build's changes in rather
        than at its next 60 Hz tick, up to 17 ms later (8 on average): the
        cursor's frame has just gone out, so no frame is drawn twice as often.
        """
        undrawn, self._undrawn = self._undrawn, False
        return undrawn

    def _read_small_payload(self, listed: WatchedJob) -> WatchedJob | None:
        """``listed`` completed from the store at once if its payload is small, else None.

        One frame with the whole job instead of two (the fields, then the payload
        from a thread), and no tree built twice.
        """
        stripped = listed.job
        assert stripped is not None
        key = (listed.provider, listed.id)
        try:
            found = self._host.watchlist.whole_job(key, raw_limit=PAYLOAD_READ_AT_ONCE)
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
        self._screen.run_worker(
            self._read_payload(key, stripped), group="payload", exclusive=True,
            exit_on_error=False,
        )

    async def _read_payload(self, key: JobKey, stripped: Job) -> None:
        try:
            whole = await asyncio.to_thread(self._host.watchlist.whole_job, key)
        except Exception:  # the payload is a nicety: the fields are on screen already
            whole = None
        finally:
            if self._fetching is not None and self._fetching[1] is stripped:
                self._fetching = None
        if whole is None or whole.job is None:
            return
        self._payloads.remember(key, stripped, whole.job)
        if self.key == key:
            self.show(key)
