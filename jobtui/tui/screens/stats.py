"""The stats pane (``I``): throughput sparklines, the ``jobtui stats`` table, budgets.

Two of Textual's ``Sparkline``s show jobs finished and jobs failed per minute
over the last hour; a table shows each provider's figures as ``jobtui stats``
prints them (the same function computes both); a gauge per provider shows
the requests per second spent lately against its ``rate_limit`` and how long
one poll of every active job takes at that limit. The figures are read off the event
loop when the pane opens and every few seconds while it is open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Sparkline, Static

from jobtui.cli.stats_cmd import TABLE_HEADERS, table_rows
from jobtui.textsafe import visible
from jobtui.tui.feed.reports import SERIES_MINUTES, Budget, StatsReport
from jobtui.tui.joblist.glyphs import glyph
from jobtui.tui.joblist.row import STATE_ORDER
from jobtui.tui.widgets.gauge import gauge, short_duration

__all__ = ["REFRESH_SECONDS", "StatsScreen", "budget_line", "gauge", "states_cell"]

REFRESH_SECONDS = 5.0
"""How often the open pane reads the figures again."""
def budget_line(budget: Budget, *, ascii_only: bool, name_width: int = 0) -> Text:
    """``tart   ███░░░░░░░ 1.5/5 req/s · all 40 in 8.0s``: spent of allowed, time to poll all."""
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(visible(budget.provider).ljust(name_width), style="bold")
    share = budget.share
    style = "bold" if share is not None and share >= 0.9 else ""
    text.append("  " + gauge(share, ascii_only=ascii_only), style=style)
    if budget.allowed:
        text.append(f" {budget.used:.1f}/{budget.allowed:g} req/s")
    else:
        text.append(f" {budget.used:.1f} req/s (no rate_limit)")
    sweep = budget.sweep_seconds
    if sweep is not None:
        text.append(f" · all {budget.active:,} active in {short_duration(sweep)}", style="dim")
    else:
        text.append(f" · {budget.active:,} active", style="dim")
    return text


def states_cell(states: Mapping[str, int], *, ascii_only: bool) -> str:
    """Jobs by state as the providers pane counts them: ``✗1 ◐2 ✓3`` (``x1 >2 +3``)."""
    return " ".join(
        f"{glyph(state, ascii_only=ascii_only)}{states[state.value]}"
        for state in STATE_ORDER
        if states.get(state.value)
    )


class StatsScreen(ModalScreen[None]):
    """The stats pane; ``esc``, ``q`` or ``I`` closes it, ``r`` reads the figures again."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,I", "close", "Close", show=False),
        Binding("r", "reload", "Read again", show=False),
        # On a narrow terminal the table is wider than the pane: its other columns.
        Binding("left,h", "table_scroll(-1)", "Table: columns to the left", show=False),
        Binding("right,l", "table_scroll(1)", "Table: columns to the right", show=False),
    ]

    def __init__(
        self, read: Callable[[], Awaitable[StatsReport]], *, ascii_only: bool
    ) -> None:
        super().__init__(classes="modal")
        self._read = read
        self._ascii_only = ascii_only
        self.report: StatsReport | None = None
        """The figures shown (None until the first read is in)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="stats-dialog", classes="dialog") as dialog:
            dialog.border_title = (
                "Stats - last 24h, per minute: last hour"
                if self._ascii_only
                else "Stats — last 24h · per minute: last hour"
            )
            with Vertical(id="stats-body"):
                yield Static("Finished per minute", id="stats-finished-label")
                yield Sparkline([], id="stats-finished")
                yield Static("Failed per minute", id="stats-failed-label")
                yield Sparkline([], id="stats-failed")
                yield DataTable(
                    id="stats-table", show_cursor=False, zebra_stripes=False,
                    cursor_type="none",
                )  # fmt: skip
                yield Static("Budgets: requests/s over the last 5 minutes, of the rate_limit",
                             classes="stats-heading")  # fmt: skip
                yield Static("reading…", id="stats-gauges")
            yield Static("", classes="hint", id="stats-hint")

    def on_mount(self) -> None:
        table = self.query_one("#stats-table", DataTable)
        table.add_columns(*TABLE_HEADERS)
        self.run_worker(self._reload(), group="stats", exclusive=True, exit_on_error=False)
        self.set_interval(REFRESH_SECONDS, self.action_reload, name="stats-refresh")

    def action_table_scroll(self, direction: int) -> None:
        """Scroll the table to its columns on the left (-1) or on the right (1)."""
        table = self.query_one("#stats-table", DataTable)
        if direction < 0:
            table.scroll_left(animate=False)
        else:
            table.scroll_right(animate=False)

    def _show_hint(self) -> None:
        table = self.query_one("#stats-table", DataTable)
        parts = ["r reads again", "esc closes"]
        if table.max_scroll_x > 0:
            parts.insert(1, "h/l or arrows: the table's other columns")
        separator = " | " if self._ascii_only else " · "
        self.query_one("#stats-hint", Static).update(separator.join(parts))

    def on_resize(self) -> None:
        self.call_after_refresh(self._show_hint)

    def action_reload(self) -> None:
        """Read the figures again."""
        self.run_worker(self._reload(), group="stats", exclusive=True, exit_on_error=False)

    async def _reload(self) -> None:
        try:
            report = await self._read()
        except Exception as exc:  # a broken store: say so in place, keep the pane open
            self.query_one("#stats-gauges", Static).update(Text(f"could not read: {exc}"))
            return
        self.show(report)

    def show(self, report: StatsReport) -> None:
        """Put ``report`` on screen."""
        self.report = report
        finished, failed = report.finished_per_minute, report.failed_per_minute
        self.query_one("#stats-finished", Sparkline).data = finished
        self.query_one("#stats-failed", Sparkline).data = failed
        self.query_one("#stats-finished-label", Static).update(
            Text(f"Finished per minute, last {SERIES_MINUTES} min: {sum(finished):,}"
                 f" (peak {max(finished, default=0):,}/min)")
        )  # fmt: skip
        self.query_one("#stats-failed-label", Static).update(
            Text(f"Failed or partial per minute: {sum(failed):,}"
                 f" (peak {max(failed, default=0):,}/min)")
        )  # fmt: skip
        table = self.query_one("#stats-table", DataTable)
        table.clear()
        for stats, row in zip(report.providers, table_rows(report.providers), strict=True):
            # The states as the providers pane counts them: the same numbers, narrower.
            cells = [row[0], states_cell(stats.states, ascii_only=self._ascii_only), *row[2:]]
            table.add_row(*(Text(visible(cell)) for cell in cells))
        gauges = Text(end="")
        width = max((len(visible(b.provider)) for b in report.budgets), default=0)
        for index, budget in enumerate(report.budgets):
            if index:
                gauges.append("\n")
            gauges.append_text(
                budget_line(budget, ascii_only=self._ascii_only, name_width=width)
            )
        if not report.budgets:
            gauges.append("no providers")
        self.query_one("#stats-gauges", Static).update(gauges)
        self.call_after_refresh(self._show_hint)

    def action_close(self) -> None:
        """Close the pane."""
        self.dismiss(None)
