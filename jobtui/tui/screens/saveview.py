"""Saving the dashboard's filter as a view (``V``): ask a name, append it to the config.

``SaveViewScreen`` asks for the name and checks it in place (a plain key,
not one of the views already saved). ``SavedViews`` is the part the
dashboard owns: it opens the dialog for the filter applied now, writes the
``[views.NAME]`` table off the event loop (``jobtui.config.views``: the rest
of the file stays as the user wrote it) and says where it went, so ``v``,
``jobtui ls --view NAME`` and the next start all find it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from jobtui.config.model import ViewConfig
from jobtui.config.views import VIEW_NAME, append_view
from jobtui.errors import JobtuiError
from jobtui.tui.host import DashboardHost
from jobtui.tui.joblist.model import JobListModel
from jobtui.tui.terminal.safe_text import safe

__all__ = ["SaveViewScreen", "SavedViews"]


class SaveViewScreen(ModalScreen[str | None]):
    """Asks the name of the view to save; ``enter`` saves, ``esc`` gives up."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", show=False),
    ]

    def __init__(self, query: str, taken: Collection[str], where: str) -> None:
        super().__init__(classes="modal")
        self._query = query
        self._taken = set(taken)
        self._where = where

    def compose(self) -> ComposeResult:
        with Vertical(id="saveview-dialog", classes="dialog") as dialog:
            dialog.border_title = "Save the filter as a view"
            yield Static(Text(f"query = {self._query}"), id="saveview-query")
            yield Static(
                Text(f"Written as [views.NAME] at the end of {self._where}; v cycles the views."),
                classes="hint",
            )
            yield Input(placeholder="name: letters, digits, - or _", id="saveview-name")
            yield Static("", id="saveview-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.value.strip()
        error = self.query_one("#saveview-error", Static)
        if not VIEW_NAME.match(name):
            error.update("A name is 1 to 40 letters, digits, '-' or '_'.")
            return
        if name in self._taken:
            error.update(Text(f"A view named {name} exists already: pick another name."))
            return
        self.dismiss(name)

    def action_close(self) -> None:
        """Give up."""
        self.dismiss(None)


class SavedViews:
    """Saving the filter as a view, for the dashboard ``screen``."""

    def __init__(self, screen: Screen[Any], host: DashboardHost, model: JobListModel) -> None:
        self._screen = screen
        self._host = host
        self.model = model

    def save(self) -> None:
        """Ask a name for the filter applied now, then write it into the config."""
        query = self.model.query.text if self.model.query is not None else ""
        if not query.strip():
            self._screen.notify("Nothing to save: type a filter with / first", markup=False)
            return
        path = self._host.config.path
        if path is None or not path.is_file():
            self._screen.notify(
                "No config file to save the view in: jobtui config init writes one",
                severity="warning", markup=False,
            )  # fmt: skip
            return
        taken = self._host.config.views

        def answered(name: str | None) -> None:
            if name is not None:
                self._screen.run_worker(
                    self.write(name, query), name="save-view", group="save-view",
                    exit_on_error=False,
                )  # fmt: skip

        self._screen.app.push_screen(SaveViewScreen(query, taken, safe(str(path))), answered)

    async def write(self, name: str, query: str) -> bool:
        """Append the view to the config file and use it from now on; False when refused."""
        host = self._host
        path = host.config.path
        assert path is not None  # save() asks only when there is a file
        try:
            await asyncio.to_thread(append_view, path, name, query)
        except (JobtuiError, OSError) as exc:
            self._screen.notify(
                safe(str(exc)), title="View not saved", severity="error", markup=False
            )
            return False
        host.use_views({**host.config.views, name: ViewConfig(query=query)})
        self._screen.notify(
            f"Saved view {name} in {safe(str(path))}; v cycles the views", markup=False
        )
        return True
