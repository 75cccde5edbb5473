"""The providers pane redraws an entry whose counts changed, and only that entry.

Counts change every batch of polls while the rest of the pane stays as it
was; what the terminal shows must always equal the pane drawn from scratch,
whether the changed entry keeps its height or grows a line.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from jobtui.model import JobState
from jobtui.store import WatchedJob
from jobtui.tui.app import JobtuiApp
from jobtui.tui.feed.enginelink import TickChanges
from jobtui.tui.screens.dashboard import COUNTS_SECONDS
from jobtui.tui.widgets.sidebar import ALL_PROVIDERS, Sidebar

from support.detail import screen_text
from support.tui_data import seeded_jobs
from support.waiting import wait_until, wait_until_settled

pytestmark = pytest.mark.usefixtures("no_user_config")


def sidebar_lines(app: JobtuiApp) -> list[str]:
    """The providers list as the terminal shows it, line by line."""
    region = app.dashboard.sidebar.option_list.region
    lines = screen_text(app).splitlines()
    return [line[region.x : region.right].rstrip() for line in lines[region.y : region.bottom]]


def counts_of(sidebar: Sidebar) -> dict[str, Counter[JobState]]:
    return {name: Counter(counter) for name, counter in sidebar._counts.items()}


async def test_a_changed_entry_is_redrawn_alone_and_the_pane_equals_a_fresh_one(
    app: JobtuiApp, tmp_path: Path
) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        sidebar = app.dashboard.sidebar
        option_list = sidebar.option_list
        before = sidebar_lines(app)
        counts = counts_of(sidebar)
        provider = next(name for name in counts if name != ALL_PROVIDERS)
        counts[provider][JobState.RUNNING] += 7
        drawn_before = {key[0].id for key in list(option_list._option_render_cache.keys())}
        assert provider in drawn_before and len(drawn_before) > 2, drawn_before

        sidebar.update_counts(counts)
        # The changed entry (and All, which sums it) are drawn again; the others are not.
        kept = {key[0].id for key in list(option_list._option_render_cache.keys())}
        assert provider not in kept and ALL_PROVIDERS not in kept, kept
        assert kept == drawn_before - {provider, ALL_PROVIDERS}, kept

        await wait_until(pilot, lambda: sidebar_lines(app) != before,
                         "the new count on screen", detail=lambda: sidebar_lines(app))  # fmt: skip
        after = sidebar_lines(app)
        changed = [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
        assert changed, after
        entry_lines = {
            option_list.get_option_at_index(index).id
            for index, _ in (option_list._lines[y + option_list.scroll_offset.y] for y in changed)
        }
        assert entry_lines <= {provider, ALL_PROVIDERS}, (entry_lines, before, after)

        # The pane drawn from scratch shows exactly the same.
        sidebar._rebuild_options()
        await wait_until_settled(pilot)
        assert sidebar_lines(app) == after


async def test_an_entry_that_grows_a_line_moves_the_ones_below(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        sidebar = app.dashboard.sidebar
        rates, limits = dict(sidebar._rates or {}), dict(sidebar._limits)
        unlimited = [name for name in counts_of(sidebar)
                     if name != ALL_PROVIDERS and limits.get(name) is None]  # fmt: skip
        assert len(unlimited) > 1, limits
        heights_before = dict(sidebar.option_list._heights)
        # A budget gives an entry a gauge line: it grows, the entries below move down.
        rates[unlimited[0]], limits[unlimited[0]] = 1.5, 5.0
        sidebar.update_budgets(rates, limits)
        await wait_until(pilot, lambda: any("1.5/5/s" in line for line in sidebar_lines(app)),
                         "the gauge line on screen", detail=lambda: sidebar_lines(app))  # fmt: skip
        heights_after = dict(sidebar.option_list._heights)
        assert sum(heights_after.values()) == sum(heights_before.values()) + 1, heights_after
        grown = sidebar_lines(app)
        sidebar._rebuild_options()
        await wait_until_settled(pilot)
        assert sidebar_lines(app) == grown


async def test_a_burst_of_changes_redraws_the_counts_once_a_second_and_ends_on_the_last(
    app: JobtuiApp,
) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        dashboard, sidebar = app.dashboard, app.dashboard.sidebar
        running = [job for job in seeded_jobs() if job.state is JobState.RUNNING]
        assert len(running) >= 2, running

        def finish(job: WatchedJob) -> TickChanges:
            done = replace(job, state=JobState.SUCCEEDED)
            return TickChanges(jobs={(job.provider, job.id): done})

        def shown() -> dict[str, str]:
            return {name: str(text) for name, text in sidebar._prompts.items()}

        def current() -> dict[str, str]:
            return {name: str(text) for name, text in sidebar._all_prompts()}

        # The first change after a quiet spell is drawn at once.
        await wait_until(
            pilot,
            lambda: time.monotonic() - dashboard._counts_shown_at > COUNTS_SECONDS,
            "a quiet spell after the counts drawn at start",
        )
        dashboard.apply_changes(finish(running[0]))
        shown_first = shown()
        assert shown_first == current()
        # The next, within COUNTS_SECONDS, is held back: the pane still shows the first...
        dashboard.apply_changes(finish(running[1]))
        assert shown() == shown_first != current()
        # ...and is drawn when the time is up, with nothing else happening.
        await wait_until(pilot, lambda: shown() == current(),
                         f"the held-back counts drawn within {COUNTS_SECONDS:g} s",
                         detail=lambda: (shown(), current()))  # fmt: skip
