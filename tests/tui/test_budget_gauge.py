"""The providers pane's budget gauges: requests/s spent against ``rate_limit``, sweep time.

The requests are every process's, as the store counts them per minute; the
gauge of a provider shows what the stats pane (``I``) shows for it, is on
screen as soon as the jobs are, and is read again once a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from jobtui.model import JobState
from jobtui.store import Store
from jobtui.tui.app import JobtuiApp, make_app
from jobtui.tui.feed.reports import BUDGET_WINDOW, Budget
from jobtui.tui.screens.stats import StatsScreen
from jobtui.tui.widgets.sidebar import ALL_PROVIDERS, budget_details, budget_entry

from support.tui_data import NOW, FrozenClock, open_store, seed_store, seeded_jobs, shell_config
from support.waiting import wait_until, wait_until_settled

pytestmark = pytest.mark.usefixtures("no_user_config")

TART_LIMIT = 5.0  # Tensor.Art's documented budget, the default rate_limit of its kind


def window_seconds() -> float:
    """The seconds the gauge divides by: from the whole minute five minutes back, to now."""
    since = (NOW - BUDGET_WINDOW).replace(second=0, microsecond=0)
    return (NOW - since).total_seconds()


def test_an_entry_shows_spent_of_allowed_and_the_sweep_time() -> None:
    budget = Budget(provider="tart", used=1.5, allowed=5.0, active=40)
    assert budget_entry(budget, ascii_only=False) == "██░░░ 1.5/5/s, all 8.0s"
    assert budget_entry(budget, ascii_only=True) == "##--- 1.5/5/s, all 8.0s"
    assert budget_details(budget) == "budget 1.5 of 5 req/s (5 min)\nall 40 active polled in 8.0s"
    over = Budget(provider="tart", used=7.0, allowed=5.0, active=0)
    assert budget_entry(over, ascii_only=False) == "█████ 7.0/5/s"  # nothing to sweep
    unlimited = Budget(provider="ii", used=0.25, allowed=None, active=3)
    assert budget_details(unlimited) == "0.2 req/s (5 min), no rate_limit"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "store.sqlite")
    seed_store(store, seeded_jobs())
    store.record_requests({("tart", NOW - timedelta(minutes=1)): 900,
                           ("deepo", NOW - timedelta(minutes=2)): 120})  # fmt: skip
    yield store
    store.close()


def dashboard(store: Store, clock: FrozenClock, tmp_path: Path) -> JobtuiApp:
    return make_app(shell_config(), store, clock, None, ascii_only=False, tz=UTC,
                    prefs_path=tmp_path / "prefs.toml")  # fmt: skip


def entry_text(app: JobtuiApp, provider: str) -> str:
    option_list = app.dashboard.sidebar.option_list
    index = next(i for i in range(option_list.option_count)
                 if option_list.get_option_at_index(i).id == provider)  # fmt: skip
    return str(option_list.get_option_at_index(index).prompt)


async def test_the_gauge_is_on_screen_with_the_jobs_and_agrees_with_the_stats_pane(
    store: Store, tmp_path: Path
) -> None:
    active = sum(1 for job in seeded_jobs()
                 if job.provider == "tart" and not job.state.terminal)  # fmt: skip
    assert active, "the seeded Tensor.Art jobs should include some still going"
    used = 900 / window_seconds()
    app = dashboard(store, FrozenClock(), tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()  # no other wait: the gauges come with the rows
        text = entry_text(app, "tart")
        assert f"{used:.1f}/{TART_LIMIT:g}/s, all {active / TART_LIMIT:.1f}s" in text, text
        # A provider without a rate_limit has no budget to gauge in its entry.
        assert "/s" not in entry_text(app, "deepo")
        assert "/s" not in entry_text(app, ALL_PROVIDERS)
        # Highlighted, the provider says it in words under the list.
        await pilot.press("1")
        option_list = app.dashboard.sidebar.option_list
        await wait_until_settled(pilot)
        while option_list.highlighted_option is not None and (
            option_list.highlighted_option.id != "tart"
        ):
            await pilot.press("j")
        details = str(app.dashboard.query_one("#provider-health").render())
        assert f"budget {used:.1f} of 5 req/s (5 min)" in details, details
        assert f"all {active} active polled in {active / TART_LIMIT:.1f}s" in details, details
        # The stats pane counts the same requests over the same window.
        await pilot.press("I")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, StatsScreen) and app.screen.report is not None,
            "the stats pane's figures",
        )
        screen = app.screen
        assert isinstance(screen, StatsScreen) and screen.report is not None
        tart = next(b for b in screen.report.budgets if b.provider == "tart")
        assert (round(tart.used, 1), tart.allowed, tart.active) == (
            round(used, 1), TART_LIMIT, active
        )
        # Requests sent since the dashboard loaded: the pane and the gauge beside it
        # show the same new rate, without waiting for the next minute.
        store.record_requests({("tart", NOW - timedelta(seconds=10)): 600})
        await pilot.press("r")
        more = 1500 / window_seconds()
        await wait_until(pilot, lambda: f"{more:.1f}/5/s" in entry_text(app, "tart"),
                         "the gauge following the pane", detail=lambda: entry_text(app, "tart"))

        def pane_rate() -> float | None:
            report = screen.report
            found = [b.used for b in report.budgets if b.provider == "tart"] if report else []
            return round(found[0], 1) if found else None

        await wait_until(pilot, lambda: pane_rate() == round(more, 1), "the pane read again",
                         detail=pane_rate)  # fmt: skip


async def test_the_gauge_follows_the_requests_a_minute_later(
    store: Store, tmp_path: Path
) -> None:
    clock = FrozenClock()
    app = dashboard(store, clock, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        before = entry_text(app, "tart")
        # Another process polled hard: 1,500 requests more in the last minute.
        store.record_requests({("tart", NOW + timedelta(seconds=30)): 1500})
        app._tick()  # the same minute: nothing read again, nothing redrawn
        await wait_until_settled(pilot)
        assert entry_text(app, "tart") == before
        clock.current = NOW + timedelta(minutes=1)
        app._tick()
        since = (clock.current - BUDGET_WINDOW).replace(second=0, microsecond=0)
        used = 2400 / (clock.current - since).total_seconds()
        await wait_until(
            pilot,
            lambda: f"{used:.1f}/5/s" in entry_text(app, "tart"),
            "the gauge read again",
            detail=lambda: entry_text(app, "tart"),
        )
        assert entry_text(app, "tart").startswith("tart")
        assert used / TART_LIMIT >= 0.9  # nearly spent: the whole gauge is full
        assert "█████" in entry_text(app, "tart")


def test_seeded_tart_jobs_are_what_the_gauge_counts() -> None:
    # Guard the fixture the tests above read: a change there should fail here first.
    states = {job.state for job in seeded_jobs() if job.provider == "tart"}
    assert states & {JobState.RUNNING, JobState.QUEUED}
