"""The dashboard's failure groups: the ``F`` view, kept live, and its bulk actions.

``FailureWatch`` is a part the dashboard screen owns (as ``JobActions`` is).
It groups every row of the list, visible or not, by failure signature; opens
the failures view; hands a group's bulk action (refresh, stop watching,
cancel) to ``JobActions`` with every key of the group after a confirmation
naming the count; and, whenever a tick of changes reaches the dashboard
(the engine's polls, or the store follower's view of other processes'
writes), regroups and updates the view if it is open.

The list is loaded lean (no items), but a signature reads the per-image
statuses: after the load, ``load_whole`` reads the failed jobs whole (no
payload), so the groups and the ``sig:`` filter are those of ``jobtui errors``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from textual.screen import Screen

from jobtui.insights.failures import FAILURE_STATES, FailureGroup, group_failures
from jobtui.store import WatchedJob
from jobtui.textsafe import visible
from jobtui.tui.feed.enginelink import TickChanges
from jobtui.tui.host import DashboardHost
from jobtui.tui.joblist.model import JobKey, JobListModel
from jobtui.tui.screens.confirm import ConfirmScreen
from jobtui.tui.screens.failures import BulkAction, FailuresScreen
from jobtui.tui.screens.jobactions import JobActions

__all__ = ["FailureWatch"]


class FailureWatch:
    """Failure groups of the dashboard's rows, the failures view, and bulk actions on a group."""

    def __init__(
        self,
        screen: Screen[Any],
        host: DashboardHost,
        model: JobListModel,
        job_actions: JobActions,
        *,
        apply_changes: Callable[[TickChanges], None],
        add_term: Callable[[str], None],
    ) -> None:
        self._screen = screen
        self._host = host
        self.model = model
        self._job_actions = job_actions
        self._apply_changes = apply_changes
        self._add_term = add_term
        self.whole = asyncio.Event()
        """Set once the failed rows hold their items (tests wait on it)."""

    def groups(self) -> list[FailureGroup]:
        """Every failed or partial row grouped by signature, largest group first."""
        return group_failures(row.watched for row in self.model.rows())

    # ------------------------------------------------------------ whole rows

    def start(self) -> None:
        """Once the list is loaded: read the failed jobs whole, off the event loop."""
        self._screen.run_worker(
            self.load_whole(), name="failures-whole", group="failures", exit_on_error=False
        )

    async def load_whole(self) -> None:
        """Replace the lean failed rows by the stored jobs with their items."""
        try:
            lean = {
                row.key: row.watched
                for row in self.model.rows()
                if row.state in FAILURE_STATES and row.watched.job is not None
                and not row.watched.job.items
            }  # fmt: skip
            if lean:
                whole = await asyncio.to_thread(self._host.watchlist.store.get_jobs, lean)
                # A row the engine changed meanwhile is newer than what was read: keep it.
                fresh = {
                    (job.provider, job.id): job
                    for job in whole
                    if self._unchanged(lean.get((job.provider, job.id)), job)
                }
                if fresh:
                    self._apply_changes(TickChanges(jobs=fresh))
        finally:
            self.whole.set()
        self.refresh_view()

    def _unchanged(self, before: WatchedJob | None, now: WatchedJob) -> bool:
        if before is None:
            return False
        row = self.model.row((before.provider, before.id))
        return (
            row is not None
            and row.watched is before
            and before.state is now.state
            and before.polled_at == now.polled_at
        )

    # ------------------------------------------------------------------ view

    def open(self) -> None:
        """Open the failures view; a group picked there joins the filter (``sig:`` term)."""

        def picked(term: str | None) -> None:
            if term is not None:
                self._add_term(term)

        # A read-only dashboard offers no bulk action: the keys do nothing there.
        bulk = None if self._host.read_only else self.bulk
        self._screen.app.push_screen(
            FailuresScreen(
                self.groups(), bulk, ascii_only=self._host.ascii_only,
                current=self._filtered_group(),
            ),
            picked,
        )  # fmt: skip

    def _filtered_group(self) -> str | None:
        """The ``sig:`` term the filter holds, if any."""
        text = self.model.query.text if self.model.query is not None else ""
        return next((term for term in text.split() if term.startswith("sig:")), None)

    def changes_applied(self, changes: TickChanges) -> None:
        """A tick of changes reached the list: regroup if the failures view shows."""
        if changes.jobs or changes.removed:
            self.refresh_view()

    def refresh_view(self) -> None:
        """Show the groups as they are now in the open failures view (if it is open)."""
        view = self._view()
        if view is not None:
            view.update_groups(self.groups())

    def _view(self) -> FailuresScreen | None:
        for screen in reversed(self._screen.app.screen_stack):
            if isinstance(screen, FailuresScreen):
                return screen
        return None

    # ------------------------------------------------------------------ bulk

    def bulk(self, action: BulkAction, group: FailureGroup) -> None:
        """Refresh, stop watching or cancel every job of ``group``, after a confirmation."""
        keys: list[JobKey] = [key for key in group.keys if self.model.row(key) is not None]
        if not keys:
            return
        count = len(keys)
        what = f"the {count:,} job{'s' if count != 1 else ''} of this group"
        if action == "remove":
            self._job_actions.remove(keys, what)
        elif action == "cancel":
            self._job_actions.cancel(keys, what)
        else:
            question = f"Refresh {what} now?\n{visible(str(group.signature))}"
            self._screen.app.push_screen(
                ConfirmScreen("Refresh failure group", question, confirm_label="Refresh"),
                partial(self._refresh_answered, keys),
            )

    def _refresh_answered(self, keys: list[JobKey], yes: bool | None) -> None:
        if yes:
            self._job_actions.refresh_keys(keys)
