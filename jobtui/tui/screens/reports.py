"""The dashboard's reports: the stats pane (``I``), the budgets, the export (``w``).

``Reports`` is a part the dashboard screen owns. It reads each provider's
requests per second (every process's, from the store) for the providers
pane's budget gauges: when the dashboard loads, then once a minute. The export asks for a file
name (``ExportScreen``), then writes, off the event loop, the ``ls --json``
rows of every job the filter matches (scrolled off or not, in the list's
order) as CSV or JSON lines, by the name's suffix; a toast names the path
and the row count.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from jobtui.cli.stats_cmd import rate_limits_of
from jobtui.tui.feed.reports import (
    EXPORT_FORMATS,
    StatsReport,
    export_format,
    export_rows,
    read_stats,
    request_rates,
    write_export,
)
from jobtui.tui.host import DashboardHost
from jobtui.tui.joblist.model import JobListModel
from jobtui.tui.screens.stats import StatsScreen
from jobtui.tui.terminal.safe_text import safe
from jobtui.tui.widgets.sidebar import Sidebar

__all__ = ["DEFAULT_EXPORT_NAME", "ExportScreen", "Reports"]

DEFAULT_EXPORT_NAME = "jobtui-export.csv"
"""The file name the export dialog offers (in the directory jobtui was started from)."""


def _suffixes() -> str:
    return " or ".join(sorted(set(EXPORT_FORMATS)))


class ExportScreen(ModalScreen[Path | None]):
    """Asks for the file to export to; ``enter`` writes, ``esc`` gives up."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", show=False),
    ]

    def __init__(self, count: int, default: str = DEFAULT_EXPORT_NAME) -> None:
        super().__init__(classes="modal")
        self._count = count
        self._default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog", classes="dialog") as dialog:
            plural = "s" if self._count != 1 else ""
            dialog.border_title = f"Export {self._count:,} job{plural} (what the filter shows)"
            yield Static(
                "File name: .csv writes CSV, .jsonl JSON lines (the rows of `jobtui ls --json`)",
                classes="hint",
            )
            yield Input(self._default, id="export-path")
            yield Static("", id="export-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        error = self.query_one("#export-error", Static)
        if not text:
            error.update("Give a file name.")
            return
        path = Path(text).expanduser().absolute()
        if export_format(path) is None:
            error.update(Text(f"{path.name}: the name must end in {_suffixes()}"))
            return
        if not path.parent.is_dir():
            error.update(Text(f"No such directory: {path.parent}"))
            return
        self.dismiss(path)

    def action_close(self) -> None:
        """Give up."""
        self.dismiss(None)


class Reports:
    """The stats pane and the export, for the dashboard ``screen``."""

    def __init__(self, screen: Screen[Any], host: DashboardHost, model: JobListModel) -> None:
        self._screen = screen
        self._host = host
        self.model = model

    # ----------------------------------------------------------------- stats

    def open_stats(self) -> None:
        """Open the stats pane."""
        self._screen.app.push_screen(StatsScreen(self.read_stats, ascii_only=self._host.ascii_only))

    async def read_stats(self) -> StatsReport:
        """The stats pane's figures at the injected clock's now, read in a thread."""
        host = self._host
        report = await asyncio.to_thread(
            read_stats, host.watchlist.store, host.config, host.clock.now()
        )
        # The providers pane beside it shows the same rates, not last minute's.
        self._show_budgets({b.provider: b.used for b in report.budgets})
        return report

    # --------------------------------------------------------------- budgets

    def read_budgets(self) -> None:
        """Read the requests per second spent lately, then show them in the providers pane."""
        self._screen.run_worker(
            self.update_budgets(), name="budgets", group="budgets", exclusive=True,
            exit_on_error=False,
        )  # fmt: skip

    async def update_budgets(self) -> None:
        """Read the requests per second (in a thread) and show them in the providers pane."""
        host = self._host
        try:
            rates = await asyncio.to_thread(request_rates, host.watchlist.store, host.clock.now())
        except Exception:  # a store gone or busy: the gauges keep what they showed
            return
        self._show_budgets(rates)

    def _show_budgets(self, rates: dict[str, float]) -> None:
        for sidebar in self._screen.query(Sidebar):
            sidebar.update_budgets(rates, rate_limits_of(self._host.config))

    # ---------------------------------------------------------------- export

    def export(self) -> None:
        """Ask for a file, then write the jobs the filter shows to it."""
        count = len(self.model)
        if not count:
            self._screen.notify("Nothing to export: the filter shows no job", markup=False)
            return
        self._screen.app.push_screen(ExportScreen(count), self._export_answered)

    def _export_answered(self, path: Path | None) -> None:
        if path is not None:
            self._screen.run_worker(
                self.write(path), name="export", group="export", exit_on_error=False
            )

    async def write(self, path: Path) -> int:
        """Write the shown jobs to ``path``; returns the row count (a toast says it too)."""
        fmt = export_format(path)
        assert fmt is not None  # the dialog lets only known suffixes through
        keys = self.model.visible_keys()
        store = self._host.watchlist.store
        try:
            rows = await asyncio.to_thread(export_rows, store, keys)
            await asyncio.to_thread(write_export, path, rows, fmt)
        except OSError as exc:
            self._screen.notify(
                safe(f"Could not write {path}: {exc}"), title="Export failed",
                severity="error", markup=False,
            )  # fmt: skip
            return 0
        shown = safe(str(path))
        plural = "s" if len(rows) != 1 else ""
        self._screen.notify(f"Exported {len(rows):,} row{plural} to {shown}", markup=False)
        return len(rows)
