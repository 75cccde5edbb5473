"""What the dashboard does to jobs: refresh, pause, add, remove, cancel, copy, open.

Bulk actions (refresh, remove, cancel, copy id) act on the marked rows when
there are any, else on the row under the cursor. Anything destructive asks
first, in a modal whose default answer is no.
"""

from __future__ import annotations

import json
import shlex
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import SuspendNotSupported
from textual.screen import Screen
from textual.widgets import Input, TextArea

from jobtui.errors import JobtuiError
from jobtui.tui.joblist.model import JobKey, JobListModel, JobRow
from jobtui.tui.screens.add_jobs import AddJobsRequest, AddJobsScreen
from jobtui.tui.screens.confirm import ConfirmScreen
from jobtui.tui.terminal.safe_text import safe
from jobtui.tui.terminal.viewer import open_in_viewer, viewer_command
from jobtui.tui.widgets.detail import DetailPane
from jobtui.tui.widgets.joblist import JobList
from jobtui.tui.widgets.sidebar import Sidebar

if TYPE_CHECKING:
    from jobtui.tui.app import JobtuiApp

__all__ = ["JobActionsScreen", "job_json"]

_NO_POLLER = "No poller is running: showing the store only."


def job_json(row: JobRow) -> str:
    """The job as JSON: the provider's payload as received, or the row when never fetched."""
    job = row.watched.job
    payload: Any
    if job is not None and job.raw is not None:
        payload = job.raw
    elif job is not None:
        payload = job.model_dump(mode="json", exclude={"raw"})
    else:
        payload = {"provider": row.provider, "id": row.id, "state": row.state.value}
    return json.dumps(payload, indent=2, ensure_ascii=False, default=str)


class JobActionsScreen(Screen[None]):
    """The job actions of the dashboard screen."""

    model: JobListModel

    @property
    def jobtui(self) -> JobtuiApp:
        """The app, typed."""
        from jobtui.tui.app import JobtuiApp

        assert isinstance(self.app, JobtuiApp)
        return self.app

    @property
    def job_list(self) -> JobList:
        """The job list widget."""
        return self.query_one(JobList)

    def update_titles(self) -> None:
        """Redraw pane titles (the dashboard fills this in)."""

    def refresh_hints(self) -> None:
        """Redraw the key hints (the dashboard fills this in)."""

    def selected_keys(self) -> list[JobKey]:
        """The marked jobs in display order, else the job under the cursor."""
        marks = self.job_list.marks
        if marks:
            ordered = [key for key in self.model.visible_keys() if key in marks]
            hidden = sorted(marks - set(ordered))
            return ordered + hidden
        key = self.model.cursor_key
        return [key] if key is not None else []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide cancel where the provider cannot cancel; disable job actions on no job."""
        if action == "filter":
            # "/" is a priority key: inside a text field it must stay a character.
            return not isinstance(self.focused, Input | TextArea)
        if action == "cancel":
            engine = self.jobtui.engine
            keys = self.selected_keys()
            if engine is None or not keys or not all(engine.can_cancel(p) for p, _ in keys):
                return False
            # A finished job cannot be canceled: offer it only while one is still going.
            rows = (self.model.row(key) for key in keys)
            return any(row is not None and not row.state.terminal for row in rows)
        if action in ("refresh", "remove", "copy_id", "copy_json", "open_json"):
            return True if self.model.cursor_key is not None or self.job_list.marks else None
        return True

    # --------------------------------------------------------------- polling

    def action_refresh(self) -> None:
        """Poll the selected jobs now; on a provider in the sidebar, retry that provider."""
        keys = self.selected_keys()
        engine = self.jobtui.engine
        if engine is None:
            self.notify(_NO_POLLER, severity="warning", markup=False)
            return
        provider = self._focused_provider()
        if provider is not None:
            # After an auth failure polling stops until asked: this is the asking.
            engine.retry_provider(provider)
            engine.refresh(key for key in self.model.visible_keys() if key[0] == provider)
            self.notify(safe(f"Retrying {provider}…"), markup=False)
            return
        if keys:
            engine.refresh(keys)
            self.notify(f"Refreshing {len(keys)} job{'s' if len(keys) != 1 else ''}…", markup=False)

    def action_refresh_all(self) -> None:
        """Poll every job now, finished ones included."""
        engine = self.jobtui.engine
        if engine is None:
            self.notify(_NO_POLLER, severity="warning", markup=False)
            return
        engine.refresh(None)
        self.notify("Refreshing every job…", markup=False)

    def action_pause(self) -> None:
        """Pause or resume polling."""
        self.jobtui.set_paused(not self.jobtui.paused)
        self.query_one("StatusBar").paused = self.jobtui.paused  # type: ignore[attr-defined]
        self.refresh_hints()  # "p pause" becomes "p resume"

    def action_interval(self, factor: float) -> None:
        """Poll less (factor > 1) or more (factor < 1) often."""
        scale = self.jobtui.scale_intervals(factor)
        self.query_one("StatusBar").interval_scale = scale  # type: ignore[attr-defined]

    # ------------------------------------------------------------- add/remove

    def action_add(self) -> None:
        """Ask for jobs to watch."""
        providers = self.jobtui.provider_names()
        self.app.push_screen(
            AddJobsScreen(providers, selected=self.model.scope), self._add_jobs_answered
        )

    def _add_jobs_answered(self, request: AddJobsRequest | None) -> None:
        if request is not None:
            self._add_jobs(request)

    @work(exit_on_error=False, group="job-actions")
    async def _add_jobs(self, request: AddJobsRequest) -> None:
        try:
            added = await self.jobtui.add_jobs(request.provider, request.ids, request.label)
        except (JobtuiError, OSError, ValueError) as exc:
            self.notify(safe(str(exc)), title="Adding jobs failed", severity="error", markup=False)
            return
        known = len(request.ids) - added
        message = f"Watching {added} new job{'s' if added != 1 else ''}"
        if known:
            message += f" ({known} already watched)"
        self.notify(message, markup=False)
        self.job_list.move_cursor_to_key((request.provider, request.ids[0]))

    def action_remove(self) -> None:
        """Stop watching the selected jobs, after a confirmation."""
        keys = self.selected_keys()
        if not keys:
            return
        question = Text("Stop watching ")
        question.append(self._describe(keys))
        question.append("?\nThe jobs stay at the provider; their history here is deleted.")
        self.app.push_screen(
            ConfirmScreen("Stop watching", question, confirm_label="Stop watching"),
            partial(self._remove_answered, keys),
        )

    def _remove_answered(self, keys: list[JobKey], yes: bool | None) -> None:
        if yes:
            self._remove(keys)

    @work(exit_on_error=False, group="job-actions")
    async def _remove(self, keys: list[JobKey]) -> None:
        removed = await self.jobtui.remove_jobs(keys)
        self.job_list.marks.difference_update(keys)
        self.notify(f"Stopped watching {removed} job{'s' if removed != 1 else ''}", markup=False)
        self.update_titles()

    # ----------------------------------------------------------------- cancel

    def action_cancel(self) -> None:
        """Cancel the selected jobs at their provider, after a confirmation."""
        keys = self.selected_keys()
        if not keys or not self.check_action("cancel", ()):
            return
        question = Text("Cancel ")
        question.append(self._describe(keys))
        question.append(" at the provider?\nThis cannot be undone.")
        self.app.push_screen(
            ConfirmScreen("Cancel jobs", question, confirm_label="Cancel jobs"),
            partial(self._cancel_answered, keys),
        )

    def _cancel_answered(self, keys: list[JobKey], yes: bool | None) -> None:
        if yes:
            self._cancel(keys)

    @work(exit_on_error=False, group="job-actions")
    async def _cancel(self, keys: list[JobKey]) -> None:
        engine = self.jobtui.engine
        if engine is None:
            return
        failures: list[str] = []
        for provider, job_id in keys:
            try:
                await engine.cancel(provider, job_id)
            except JobtuiError as exc:
                failures.append(safe(f"{provider}/{job_id}: {exc}"))
        if failures:
            self.notify("\n".join(failures), title="Cancel failed", severity="error", markup=False)
        else:
            plural = "s" if len(keys) != 1 else ""
            self.notify(f"Cancel sent for {len(keys)} job{plural}", markup=False)

    # ------------------------------------------------------------ copy, open

    def action_copy_id(self) -> None:
        """Copy the selected job ids (one per line); in the detail pane, its selected line."""
        detail = self.query_one("#detail-pane")
        focused = self.focused
        if focused is not None and (focused is detail or detail in focused.ancestors):
            text = self.query_one(DetailPane).selected_text()
            if text:
                self.jobtui.copy_text(text, "Detail")
                return
        keys = self.selected_keys()
        if keys:
            what = "Job id" if len(keys) == 1 else f"{len(keys):,} job ids"
            self.jobtui.copy_text("\n".join(job_id for _, job_id in keys), what)

    def _whole(self, row: JobRow) -> JobRow:
        """``row`` with its payload: the list holds jobs without one (read it from the store)."""
        if row.watched.job is None or row.watched.job.raw is not None:
            return row
        try:
            # One row by its key, on a key press: quick enough to read here.
            whole = self.jobtui.watchlist.whole_job(row.key)
        except Exception:  # a broken store: copy what the list holds
            return row
        return JobRow.from_watched(whole) if whole is not None and whole.job is not None else row

    def action_copy_json(self) -> None:
        """Copy the job's JSON."""
        row = self._cursor_row()
        if row is not None:
            self.jobtui.copy_text(job_json(self._whole(row)), "JSON")

    def action_open_json(self) -> None:
        """Open the job's JSON in $PAGER (or $EDITOR), the dashboard suspended."""
        row = self._cursor_row()
        if row is None:
            return
        try:
            command = viewer_command()
            with self.app.suspend():
                code = open_in_viewer(job_json(self._whole(row)), command)
        except SuspendNotSupported:
            self.notify(
                "This terminal cannot hand the screen to a pager.", severity="error", markup=False
            )
            return
        except (OSError, ValueError) as exc:
            self.notify(f"Could not open the JSON: {exc}", severity="error", markup=False)
            return
        if code != 0:
            self.notify(
                f"{shlex.join(command)} exited with status {code}", severity="warning",
                markup=False,
            )

    # ---------------------------------------------------------------- helpers

    def _focused_provider(self) -> str | None:
        """The provider highlighted in the sidebar, when the sidebar has focus."""
        sidebar = self.query_one(Sidebar)
        if not sidebar.option_list.has_focus:
            return None
        return sidebar.selected_provider

    def _cursor_row(self) -> JobRow | None:
        key = self.model.cursor_key
        return self.model.row(key) if key is not None else None

    def _describe(self, keys: list[JobKey]) -> str:
        if len(keys) == 1:
            provider, job_id = keys[0]
            return safe(f"{provider} job {job_id}")
        return f"{len(keys)} marked jobs"
