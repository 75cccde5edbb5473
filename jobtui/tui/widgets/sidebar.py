"""The providers pane: All plus each provider, its counts, its health and its budget.

Each entry shows the provider's job count, a count per state (glyph and
number) and a health badge as a word (never colour alone). A provider with a
request budget (``rate_limit``) also shows a gauge of the requests per
second spent lately against it, and how long one poll of every active job
takes at that rate (``update_budgets``). The highlighted provider's last
error, next retry and budget show under the list in words; hovering an entry
shows them as a tooltip.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from jobtui.model import POLLED_HERE, HealthState, JobState, ProviderHealth
from jobtui.tui.feed.reports import BUDGET_WINDOW, Budget
from jobtui.tui.joblist.glyphs import glyph
from jobtui.tui.joblist.row import STATE_ORDER
from jobtui.tui.messages import ProviderSelected
from jobtui.tui.terminal.safe_text import safe
from jobtui.tui.widgets.gauge import gauge, short_duration

__all__ = [
    "ALL_PROVIDERS",
    "Sidebar",
    "budget_details",
    "budget_entry",
    "health_badge",
    "health_details",
    "polled_by_text",
]

_ENTRY_GAUGE_CELLS = 5

ALL_PROVIDERS = "\x00all"
"""The option id of the "All" entry (no provider name can contain NUL)."""

_BADGES: dict[HealthState, tuple[str, str, str]] = {
    HealthState.OK: ("●", "o", "ok"),
    HealthState.DEGRADED: ("◐", "~", "degraded"),
    HealthState.AUTH_FAILED: ("✗", "x", "auth failed"),
    HealthState.RATE_LIMITED: ("◔", "%", "rate limited"),
    HealthState.UNREACHABLE: ("○", "-", "unreachable"),
}

def health_badge(health: ProviderHealth | None, *, ascii_only: bool = False) -> str:
    """The badge text: a sign and the health in words (``✗ auth failed``)."""
    state = health.state if health is not None else HealthState.OK
    utf8, ascii_sign, word = _BADGES[state]
    if health is not None and health.paused and state is HealthState.OK:
        word = "paused"
    return f"{ascii_sign if ascii_only else utf8} {word}"


def polled_by_text(health: ProviderHealth) -> str:
    """Who polls the provider: this process, another one (pid@host), or nobody."""
    if health.polled_by == POLLED_HERE:
        return "polled by this process"
    if health.polled_by:
        return f"polled by {safe(health.polled_by)}"
    return "polled by nobody"


def health_details(
    health: ProviderHealth | None,
    local_time: Callable[[datetime | float], str],
    fresh_at: float | None = None,
) -> str:
    """The provider's health in a few lines: state, last error, next retry, data age, counters."""
    if health is None:
        return "not polled yet"
    lines = [f"{safe(health.provider)}: {health.state.value.replace('_', ' ')}"]
    lines.append(polled_by_text(health))
    if health.last_error:
        lines.append(f"last error: {safe(health.last_error)}")
    if health.next_retry_at is not None:
        lines.append(f"next retry: {local_time(health.next_retry_at)}")
    if health.paused:
        lines.append("polling stopped until retried")
    if health.state is not HealthState.OK:
        # What is on screen for this provider is what the store last got: say how old.
        lines.append(
            "showing stored data" if fresh_at is None else f"data as of {local_time(fresh_at)}"
        )
    lines.append(f"requests {health.requests}, failures {health.failures}")
    return "\n".join(lines)


def budget_entry(budget: Budget, *, ascii_only: bool) -> str:
    """The entry's budget line: ``██░░░ 1.5/5/s, all 8.0s`` (spent of allowed, sweep time)."""
    bar = gauge(budget.share, ascii_only=ascii_only, cells=_ENTRY_GAUGE_CELLS)
    line = f"{bar} {budget.used:.1f}/{budget.allowed:g}/s"
    sweep = budget.sweep_seconds
    if sweep is not None and budget.active:
        line += f", all {short_duration(sweep)}"
    return line


def budget_details(budget: Budget) -> str:
    """The budget in words, for the highlighted provider's details (two short lines)."""
    minutes = int(BUDGET_WINDOW.total_seconds() // 60)
    if not budget.allowed:
        return f"{budget.used:.1f} req/s ({minutes} min), no rate_limit"
    text = f"budget {budget.used:.1f} of {budget.allowed:g} req/s ({minutes} min)"
    sweep = budget.sweep_seconds
    if sweep is not None:
        text += f"\nall {budget.active:,} active polled in {short_duration(sweep)}"
    return text


class ProviderList(OptionList):
    """The list of providers; hovering one shows its health as a tooltip."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
        Binding("g", "first", show=False),
        Binding("G", "last", show=False),
    ]

    def __init__(self, sidebar: Sidebar, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._sidebar = sidebar

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if not self.app.no_color:
            return strip
        try:
            option_index, _ = self._lines[self.scroll_offset.y + y]
        except IndexError:
            return strip
        if option_index != self.highlighted:
            return strip
        # Without colour a highlight background is invisible: reverse the entry instead.
        return strip.apply_style(Style(reverse=True))

    def replace_prompt(self, option_id: str, prompt: Text) -> None:
        """Show ``prompt`` for the entry ``option_id``, redrawing that entry alone.

        ``OptionList.replace_option_prompt`` forgets every entry's drawing and
        redraws the whole list; the sidebar's counts change every batch of polls,
        an entry or two at a time, and drawing an entry is the costly part of a
        frame. While the entry keeps its height only its own lines are drawn again.
        """
        index = self.get_option_index(option_id)
        option = self.get_option_at_index(index)
        height = self._heights.get(index)
        option._set_prompt(prompt)
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        width -= self.get_component_styles("option-list--option").padding.width
        if height is None or width <= 0:  # not laid out (or hidden): nothing drawn to keep
            self._clear_caches()
            return
        visual = self._get_visual(option)
        # Measured as OptionList measures its entries (it passes its styles as the rules).
        new_height = visual.get_height(self.styles, width)  # type: ignore[arg-type]
        if new_height + option._divider != height:
            self._clear_caches()
            return
        cache = self._option_render_cache
        for key in [key for key in list(cache.keys()) if key[0] is option]:
            cache.discard(key)
        top = self._index_to_line[index] - self.scroll_offset.y
        self.refresh(Region(0, top, self.size.width, height))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        option_index = event.style.meta.get("option")
        if isinstance(option_index, int) and 0 <= option_index < self.option_count:
            option_id = self.get_option_at_index(option_index).id
            self.tooltip = self._sidebar.details_for(option_id)
        else:
            self.tooltip = None


class Sidebar(Vertical):
    """The providers pane."""

    DEFAULT_CSS = """
    Sidebar ProviderList, Sidebar ProviderList:focus { height: 1fr; border: none; padding: 0; }
    Sidebar #provider-health { height: auto; max-height: 8; color: $text-muted; }
    """

    def __init__(
        self,
        providers: Iterable[str],
        *,
        local_time: Callable[[datetime | float], str],
        ascii_only: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._providers: list[str] = list(dict.fromkeys(providers))
        self._counts: Mapping[str, Counter[JobState]] = {}
        self._health: dict[str, ProviderHealth] = {}
        self._fresh_at: Mapping[str, float] = {}
        self._local_time = local_time
        self._ascii_only = ascii_only
        self._prompts: dict[str, Text] = {}
        self._detail_lines = 0
        self._details: str | None = None
        self._rates: Mapping[str, float] | None = None
        self._limits: Mapping[str, float | None] = {}
        self._store_problem: str | None = None

    def set_store_problem(self, problem: str | None) -> None:
        """Say the store is out of reach (``problem``: why) or, with None, that it is back."""
        if problem != self._store_problem:
            self._store_problem = problem
            self._show_details()

    def compose(self) -> ComposeResult:
        yield ProviderList(self, id="provider-list")
        yield Static("", id="provider-health", markup=False)

    def on_mount(self) -> None:
        self._rebuild_options()
        self._show_details()

    @property
    def option_list(self) -> ProviderList:
        """The list widget itself (it takes the pane's focus)."""
        return self.query_one(ProviderList)

    @property
    def selected_provider(self) -> str | None:
        """The highlighted provider, or None for All."""
        option = self.option_list.highlighted_option
        if option is None or option.id == ALL_PROVIDERS:
            return None
        return option.id

    def update_counts(
        self,
        counts: Mapping[str, Counter[JobState]],
        health: Mapping[str, ProviderHealth] | None = None,
        fresh_at: Mapping[str, float] | None = None,
    ) -> None:
        """Show new counts (health, data age); redraws only the entries whose text changed."""
        self._counts = counts
        if fresh_at is not None:
            self._fresh_at = fresh_at
        if health is not None:
            self._health.update(health)
        names = list(self._providers)
        for name in [*counts, *self._health]:
            if name not in names:
                names.append(name)
        if names != self._providers:
            self._providers = names
            self._rebuild_options()
        else:
            self._refresh_prompts()
        self._show_details()

    def update_budgets(
        self, rates: Mapping[str, float], limits: Mapping[str, float | None]
    ) -> None:
        """Show each provider's requests per second (``rates``) against its ``limits``."""
        if rates == self._rates and limits == self._limits:
            return
        self._rates, self._limits = dict(rates), dict(limits)
        self._refresh_prompts()
        self._show_details()

    def budget_of(self, name: str) -> Budget | None:
        """``name``'s budget as last read (None before the first read)."""
        if self._rates is None:
            return None
        counts = self._counts.get(name, Counter())
        return Budget(
            provider=name,
            used=self._rates.get(name, 0.0),
            allowed=self._limits.get(name),
            active=sum(n for state, n in counts.items() if not state.terminal),
        )

    def details_for(self, option_id: str | None) -> str:
        """The health text of an entry (the sum of all for All)."""
        if option_id is None or option_id == ALL_PROVIDERS:
            unhealthy = [
                f"{safe(name)}: {health_badge(h, ascii_only=self._ascii_only)}"
                for name, h in sorted(self._health.items())
                if h.state is not HealthState.OK
            ]
            if unhealthy:
                return "\n".join(unhealthy)
            return "all providers ok" if self._health else "no health reports yet"
        details = health_details(
            self._health.get(option_id), self._local_time, self._fresh_at.get(option_id)
        )
        budget = self.budget_of(option_id)
        return details if budget is None else f"{details}\n{budget_details(budget)}"

    # --------------------------------------------------------------- internals

    def _refresh_prompts(self) -> None:
        """Redraw the entries whose text changed."""
        option_list = self.option_list
        for option_id, prompt in self._all_prompts():
            if self._prompts.get(option_id) != prompt:
                self._prompts[option_id] = prompt
                option_list.replace_prompt(option_id, prompt)

    def _rebuild_options(self) -> None:
        option_list = self.option_list
        highlighted = option_list.highlighted_option
        keep = highlighted.id if highlighted is not None else ALL_PROVIDERS
        prompts = list(self._all_prompts())
        self._prompts = dict(prompts)
        option_list.set_options(Option(prompt, id=option_id) for option_id, prompt in prompts)
        ids = [option_id for option_id, _ in prompts]
        option_list.highlighted = ids.index(keep) if keep in ids else 0

    def _all_prompts(self) -> Iterable[tuple[str, Text]]:
        total: Counter[JobState] = Counter()
        for counter in self._counts.values():
            total.update(counter)
        worst = [h for h in self._health.values() if h.state is not HealthState.OK]
        yield ALL_PROVIDERS, self._prompt("All", total, None, warn=len(worst))
        for name in self._providers:
            yield name, self._prompt(
                name,
                self._counts.get(name, Counter()),
                self._health.get(name),
                warn=0,
                budget=self.budget_of(name),
            )

    def _prompt(
        self,
        name: str,
        counts: Counter[JobState],
        health: ProviderHealth | None,
        *,
        warn: int,
        budget: Budget | None = None,
    ) -> Text:
        total = sum(counts.values())
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(safe(name), style="bold")
        text.append(f"  {total:,}")
        per_state = " ".join(
            f"{glyph(state, ascii_only=self._ascii_only)}{counts[state]}"
            for state in STATE_ORDER
            if counts.get(state)
        )
        text.append(f"\n {per_state}")
        if health is not None:
            badge = health_badge(health, ascii_only=self._ascii_only)
            unhealthy = health.state is not HealthState.OK
            text.append(f"\n  {badge}", style="bold" if unhealthy else "dim")
        elif warn:
            text.append(f"\n  {warn} unhealthy", style="bold")
        if budget is not None and budget.allowed:
            share = budget.share or 0.0
            text.append(
                "\n  " + budget_entry(budget, ascii_only=self._ascii_only),
                style="bold" if share >= 0.9 else "dim",
            )
        return text

    def _show_details(self) -> None:
        option = self.option_list.highlighted_option
        details = self.details_for(option.id if option else None)
        if self._store_problem is not None:
            details = f"store unreachable, reconnecting: {safe(self._store_problem)}\n{details}"
        if details == self._details:
            return  # an unchanged text costs nothing, not even a repaint
        self._details = details
        # Lay the pane out again only when the text's height changes.
        lines = details.count("\n") + 1
        self.query_one("#provider-health", Static).update(
            Text(details), layout=lines != self._detail_lines
        )
        self._detail_lines = lines

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_details()
        option_id = event.option.id
        self.post_message(ProviderSelected(None if option_id == ALL_PROVIDERS else option_id))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
