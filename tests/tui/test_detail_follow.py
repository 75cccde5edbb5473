"""The detail pane follows the job list's cursor after the cursor's frame, coalescing bursts."""

from __future__ import annotations

from datetime import UTC

from jobtui.model import JobKey
from jobtui.store import Store
from jobtui.tui.app import JobtuiApp, make_app
from jobtui.tui.widgets.resulttree import ResultTree

from support.tui_data import FrozenClock, shell_config
from support.waiting import wait_until, wait_until_settled


def shown_key(app: JobtuiApp) -> JobKey | None:
    """The job the detail pane shows."""
    shown = app.dashboard.detail.watched
    return None if shown is None else (shown.provider, shown.id)


async def test_burst_of_keys_builds_the_detail_of_the_row_the_cursor_ends_on(
    store: Store,
) -> None:
    app = make_app(shell_config(), store, FrozenClock(), None, ascii_only=False, tz=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        dashboard = app.dashboard
        start = app.model.cursor_key
        assert start is not None and shown_key(app) == start
        # A held key: five moves before the screen gets a turn to draw.
        for _ in range(5):
            dashboard.job_list.action_cursor_down()
        end = app.model.cursor_key
        assert end is not None and end != start
        # The cursor's frame comes first: no detail was built for any move yet.
        assert shown_key(app) == start
        assert dashboard.detail_follower.pending
        await wait_until(
            pilot,
            lambda: shown_key(app) == end and not dashboard.detail_follower.pending,
            "the detail on the row the cursor ended on",
            detail=lambda: (shown_key(app), app.model.cursor_key),
        )
        # The Result tab shows that job too, not one of the rows passed over.
        tree = dashboard.detail.query_one(ResultTree)
        tree_text = "\n".join(entry.text for _, entry in tree.entries())
        assert end[1] in tree_text, tree_text


async def test_keys_through_the_terminal_leave_the_detail_on_the_cursor(store: Store) -> None:
    app = make_app(shell_config(), store, FrozenClock(), None, ascii_only=False, tz=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        await pilot.press("j", "j", "j", "k", "j", "j")
        end = app.model.cursor_key
        assert end is not None
        await wait_until(
            pilot,
            lambda: shown_key(app) == end,
            "the detail on the row the keys left the cursor on",
            detail=lambda: (shown_key(app), app.model.cursor_key),
        )
        # Settled means built: a snapshot taken now shows the cursor's job.
        await wait_until_settled(pilot)
        assert not app.dashboard.detail_follower.pending
        assert shown_key(app) == app.model.cursor_key
