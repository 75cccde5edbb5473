"""What the dashboard does to jobs: refresh, pause, add, remove, cancel, copy, open.

``JobActions`` is a part the dashboard screen owns: the screen keeps the
``action_*`` methods its keys name and hands each job action to it.

Bulk actions (refresh, remove, cancel, copy id) act on the marked rows when
there are any, else on the row under the cursor. Anything destructive asks
first, in a modal whose default answer is no.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from typing import Any

from rich.text import Text
from textual.app import SuspendNotSupported
from textual.screen import Screen

from jobtui.errors import JobtuiError
from jobtui.tui.host import DashboardHost
from jobtui.tui.joblist.model import JobKey, JobListModel, JobRow
from jobtui.tui.keys import WRITING_ACTIONS
from jobtui.tui.messages import MarksChanged
from jobtui.tui.screens.add_jobs import AddJobsRequest, AddJobsScreen
from jobtui.tui.screens.confirm import ConfirmScreen
from jobtui.tui.terminal.safe_text import safe
from jobtui.tui.terminal.viewer import open_in_viewer, viewer_command
from jobtui.tui.widgets.detail import DetailPane
from jobtui.tui.widgets.joblist import JobList
from jobtui.tui.widgets.sidebar import Sidebar
from jobtui.tui.widgets.statusbar import StatusBar

__all__ = ["JobActions", "job_json"]

_NO_POLLER = "No poller is running: showing the store only."

_NEED_A_JOB = ("refresh", "remove", "copy_id", "copy_json", "open_json")


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


class JobActions:
    """The job actions of the dashboard screen, on the jobs it shows."""

    def __init__(
        self,
        screen: Screen[Any],
        host: DashboardHost,
        model: JobListModel,
        *,
        update_titles: Callable[[], None],
        refresh_hints: Callable[[], None],
    ) -> None:
        self._screen = screen
        self._host = host
        self.model = model
        self._update_titles = update_titles
        self._refresh_hints = refresh_hints

    @property
    def job_list(self) -> JobList:
        """The job list widget."""
        return self._screen.query_one(JobList)

    def selected_keys(self) -> list[JobKey]:
        """The marked jobs in display order, else the job under the cursor."""
        marks = self.job_list.marks
        if marks:
            ordered = [key for key in self.model.visible_keys() if key in marks]
            hidden = sorted(marks - set(ordered))
            return ordered + hidden
        key = self.model.cursor_key
        return [key] if key is not None else []

    def check(self, action: str) -> bool | None:
        """Whether ``action`` applies now, as ``Screen.check_action`` answers.

        Cancel hides where the provider cannot cancel; the actions on a job are
        disabled when there is none; any other action applies.
        """
        if self._host.read_only and action in WRITING_ACTIONS:
            return False  # --read-only: hidden from the hints, the help and the palette
        if action == "cancel":
            engine = self._host.engine
            keys = self.selected_keys()
            if engine is None or not keys or not all(engine.can_cancel(p) for p, _ in keys):
                return False
            # A finished job cannot be canceled: offer it only while one is still going.
            rows = (self.model.row(key) for key in keys)
            return any(row is not None and not row.state.terminal for row in rows)
        if action in _NEED_A_JOB:
            return True if self.model.cursor_key is not None or self.job_list.marks else None
        return True

    def cancelable(self, keys: Sequence[JobKey]) -> list[JobKey]:
        """The ``keys`` whose job is still going at a provider that can cancel."""
        engine = self._host.engine
        if engine is None:
            return []
        rows = ((key, self.model.row(key)) for key in keys)
        return [
            key for key, row in rows
            if row is not None and not row.state.terminal and engine.can_cancel(key[0])
        ]  # fmt: skip

    def mark_all(self) -> None:
        """Mark every job the filter matches, shown or scrolled off; all marked already: unmark."""
        job_list = self.job_list
        keys = self.model.visible_keys()
        if not keys:
            return
        if job_list.marks == set(keys):
            job_list.clear_marks()
            self._screen.notify("Unmarked every job", timeout=2, markup=False)
            return
        job_list.marks = set(keys)
        job_list.post_message(MarksChanged())
        job_list.refresh()
        plural = "s" if len(keys) != 1 else ""
        self._screen.notify(
            f"Marked {len(keys):,} job{plural}: r, delete and x act on all of them",
            timeout=3, markup=False,
        )  # fmt: skip

    # --------------------------------------------------------------- polling

    def refresh(self) -> None:
        """Poll the selected jobs now; on a provider in the sidebar, retry that provider."""
        keys = self.selected_keys()
        engine = self._host.engine
        if engine is None:
            self._screen.notify(_NO_POLLER, severity="warning", markup=False)
            return
        provider = self._focused_provider()
        if provider is not None:
            # After an auth failure polling stops until asked: this is the asking.
            engine.retry_provider(provider)
            engine.refresh(key for key in self.model.visible_keys() if key[0] == provider)
            self._screen.notify(safe(f"Retrying {provider}…"), markup=False)
            return
        if keys:
            self.refresh_keys(keys)

    def refresh_keys(self, keys: Sequence[JobKey]) -> None:
        """Poll ``keys`` now, finished ones included (a marked set, a failure group)."""
        engine = self._host.engine
        if engine is None:
            self._screen.notify(_NO_POLLER, severity="warning", markup=False)
            return
        engine.refresh(keys)
        plural = "s" if len(keys) != 1 else ""
        self._screen.notify(f"Refreshing {len(keys):,} job{plural}…", markup=False)

    def refresh_all(self) -> None:
        """Poll every job now, finished ones included."""
        engine = self._host.engine
        if engine is None:
            self._screen.notify(_NO_POLLER, severity="warning", markup=False)
            return
        engine.refresh(None)
        self._screen.notify("Refreshing every job…", markup=False)

    def pause(self) -> None:
        """Pause or resume polling."""
        self._host.set_paused(not self._host.paused)
        self._screen.query_one(StatusBar).paused = self._host.paused
        self._refresh_hints()  # "p pause" becomes "p resume"

    def interval(self, factor: float) -> None:
        """Poll less (factor > 1) or more (factor < 1) often."""
        scale = self._host.scale_intervals(factor)
        self._screen.query_one(StatusBar).interval_scale = scale

    # ------------------------------------------------------------- add/remove

    def add(self) -> None:
        """Ask for jobs to watch."""
        providers = self._host.provider_names()
        self._screen.app.push_screen(
            AddJobsScreen(providers, selected=self.model.scope), self._add_jobs_answered
        )

    def _add_jobs_answered(self, request: AddJobsRequest | None) -> None:
        if request is not None:
            self._run(self._add_jobs(request), "_add_jobs")

    async def _add_jobs(self, request: AddJobsRequest) -> None:
        try:
            added = await self._host.add_jobs(request.provider, request.ids, request.label)
        except (JobtuiError, OSError, ValueError) as exc:
            self._screen.notify(
                safe(str(exc)), title="Adding jobs failed", severity="error", markup=False
            )
            return
        known = len(request.ids) - added
        message = f"Watching {added} new job{'s' if added != 1 else ''}"
        if known:
            message += f" ({known} already watched)"
        self._screen.notify(message, markup=False)
        self.job_list.move_cursor_to_key((request.provider, request.ids[0]))

    def remove(self, keys: Sequence[JobKey] | None = None, what: str | None = None) -> None:
        """Stop watching the selected jobs (or ``keys``, named ``what``), after a confirmation."""
        keys = list(keys) if keys is not None else self.selected_keys()
        if not keys:
            return
        question = Text("Stop watching ")
        question.append(what or self._describe(keys))
        question.append("?\nThe jobs stay at the provider; their history here is deleted.")
        self._screen.app.push_screen(
            ConfirmScreen("Stop watching", question, confirm_label="Stop watching"),
            partial(self._remove_answered, keys),
        )

    def _remove_answered(self, keys: list[JobKey], yes: bool | None) -> None:
        if yes:
            self._run(self._remove(keys), "_remove")

    async def _remove(self, keys: list[JobKey]) -> None:
        removed = await self._host.remove_jobs(keys)
        self.job_list.marks.difference_update(keys)
        plural = "s" if removed != 1 else ""
        self._screen.notify(f"Stopped watching {removed} job{plural}", markup=False)
        self._update_titles()

    # ----------------------------------------------------------------- cancel

    def cancel(self, keys: Sequence[JobKey] | None = None, what: str | None = None) -> None:
        """Cancel the selected jobs (or ``keys``, named ``what``) at their provider, if asked.

        Of given ``keys`` only those still going at a provider that can cancel are
        sent; the confirmation says how many of them that is.
        """
        if keys is None:
            keys = self.selected_keys()
            if not keys or not self.check("cancel"):
                return
        else:
            asked = len(keys)
            keys = self.cancelable(keys)
            if not keys:
                self._screen.notify(
                    f"None of the {asked:,} jobs can be canceled: they have ended,"
                    " or their provider cannot cancel.", severity="warning", markup=False,
                )  # fmt: skip
                return
            if len(keys) < asked:
                what = f"the {len(keys):,} of {what or f'{asked:,} jobs'} still going"
        question = Text("Cancel ")
        question.append(what or self._describe(keys))
        question.append(" at the provider?\nThis cannot be undone.")
        self._screen.app.push_screen(
            ConfirmScreen("Cancel jobs", question, confirm_label="Cancel jobs"),
            partial(self._cancel_answered, keys),
        )

    def _cancel_answered(self, keys: list[JobKey], yes: bool | None) -> None:
        if yes:
            self._run(self._cancel(keys), "_cancel")

    async def _cancel(self, keys: list[JobKey]) -> None:
        engine = self._host.engine
        if engine is None:
            return
        failures: list[str] = []
        for provider, job_id in keys:
            try:
                await engine.cancel(provider, job_id)
            except JobtuiError as exc:
                failures.append(safe(f"{provider}/{job_id}: {exc}"))
        if failures:
            self._screen.notify(
                "\n".join(failures), title="Cancel failed", severity="error", markup=False
            )
        else:
            plural = "s" if len(keys) != 1 else ""
            self._screen.notify(f"Cancel sent for {len(keys)} job{plural}", markup=False)

    # ------------------------------------------------------------ copy, open

    def copy_id(self) -> None:
        """Copy the selected job ids (one per line); in the detail pane, its selected line."""
        detail = self._screen.query_one("#detail-pane")
        focused = self._screen.focused
        if focused is not None and (focused is detail or detail in focused.ancestors):
            text = self._screen.query_one(DetailPane).selected_text()
            if text:
                self._host.copy_text(text, "Detail")
                return
        keys = self.selected_keys()
        if keys:
            what = "Job id" if len(keys) == 1 else f"{len(keys):,} job ids"
            self._host.copy_text("\n".join(job_id for _, job_id in keys), what)

    def _whole(self, row: JobRow) -> JobRow:
        """``row`` with its payload: the list holds jobs without one (read it from the store)."""
        if row.watched.job is None or row.watched.job.raw is not None:
            return row
        try:
            # One row by its key, on a key press: quick enough to read here.
            whole = self._host.watchlist.whole_job(row.key)
        except Exception:  # a broken store: copy what the list holds
            return row
        return JobRow.from_watched(whole) if whole is not None and whole.job is not None else row

    def copy_json(self) -> None:
        """Copy the job's JSON."""
        row = self._cursor_row()
        if row is not None:
            self._host.copy_text(job_json(self._whole(row)), "JSON")

    def open_json(self) -> None:
        """Open the job's JSON in $PAGER (or $EDITOR), the dashboard suspended."""
        row = self._cursor_row()
        if row is None:
            return
        try:
            command = viewer_command()
            with self._screen.app.suspend():
                code = open_in_viewer(job_json(self._whole(row)), command)
        except SuspendNotSupported:
            self._screen.notify(
                "This terminal cannot hand the screen to a pager.", severity="error", markup=False
            )
            return
        except (OSError, ValueError) as exc:
            self._screen.notify(f"Could not open the JSON: {exc}", severity="error", markup=False)
            return
        if code != 0:
            self._screen.notify(
                f"{shlex.join(command)} exited with status {code}", severity="warning",
                markup=False,
            )

    # ---------------------------------------------------------------- helpers

    def _run(self, work: Coroutine[Any, Any, None], name: str) -> None:
        # A worker of the screen, so it ends with it; a failure is shown, never fatal.
        self._screen.run_worker(work, name=name, group="job-actions", exit_on_error=False)

    def _focused_provider(self) -> str | None:
        """The provider highlighted in the sidebar, when the sidebar has focus."""
        sidebar = self._screen.query_one(Sidebar)
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
        return f"{len(keys):,} marked jobs"
