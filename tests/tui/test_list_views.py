"""A new view of the job list starts at its top; keys land where a newcomer expects.

A filter, a sort, ``E`` or another provider shows the first row of the new view
(cursor on it, scrolled to the top), while engine updates keep the cursor's job
(tests/tui/test_app_keys.py). Real store, real app under Pilot, frozen clock.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from jobtui.model import JobState
from jobtui.store import Store
from jobtui.tui.app import JobtuiApp, make_app

from support.tui_data import FrozenClock, open_store, seed_store, seeded_jobs, shell_config, watched
from support.waiting import wait_until, wait_until_settled

pytestmark = pytest.mark.usefixtures("no_user_config")


@pytest.fixture
def long_store(tmp_path: Path) -> Store:
    """The seeded dozen plus 300 older running deepo jobs: a list longer than a screen."""
    store = open_store(tmp_path / "long.sqlite")
    seed_store(store, seeded_jobs())
    seed_store(
        store,
        [watched("deepo", f"bulk-{i:03d}", JobState.RUNNING, minutes_old=200 + i)
         for i in range(300)],
    )  # fmt: skip
    return store


def dashboard(store: Store) -> JobtuiApp:
    return make_app(shell_config(), store, FrozenClock(), None, ascii_only=False, tz=UTC)


def at_top(app: JobtuiApp) -> bool:
    """The cursor on the first row and the list scrolled to the top."""
    return app.model.cursor == 0 and int(app.dashboard.job_list.scroll_y) == 0


def where(app: JobtuiApp) -> str:
    key = app.model.cursor_key
    return f"cursor {app.model.cursor} on {key}, scrolled to {app.dashboard.job_list.scroll_y}"


async def go_to_the_bottom(app: JobtuiApp, pilot: object) -> None:
    """Cursor near the last row, scrolled far down (the state every check starts from).

    Not on the last row: reversing the order would then put it on top by itself.
    """
    app.dashboard.job_list.focus()
    await pilot.press("G", "k", "k", "k")  # type: ignore[attr-defined]
    await wait_until(
        pilot,  # type: ignore[arg-type]
        lambda: app.model.cursor == len(app.model) - 4 and app.dashboard.job_list.scroll_y > 0,
        "the cursor at the bottom of a scrolled list",
        detail=lambda: where(app),
    )


@pytest.mark.parametrize(
    "keys",
    [
        ("s",),  # the next sort column
        ("S",),  # the order reversed
        ("E",),  # problems only
        ("slash", *"deepo", "enter"),  # a filter the cursor's job still matches
    ],
    ids=["sort", "reverse", "problems", "filter"],
)
async def test_a_new_view_shows_its_first_row(long_store: Store, keys: tuple[str, ...]) -> None:
    app = dashboard(long_store)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        await go_to_the_bottom(app, pilot)
        await pilot.press(*keys)
        await wait_until(pilot, lambda: at_top(app), f"{keys} showing the first row",
                         detail=lambda: where(app))  # fmt: skip
        first = app.model.visible_keys()[0]
        assert app.dashboard.detail_follower.key == first  # the detail follows it


async def test_another_provider_lands_on_its_first_row(long_store: Store) -> None:
    app = dashboard(long_store)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        await go_to_the_bottom(app, pilot)
        await pilot.press("1", "j")  # All → deepo: the cursor's bulk job is deepo's too
        await wait_until(pilot, lambda: app.model.scope == "deepo", "the list scoped to deepo")
        await wait_until(pilot, lambda: at_top(app), "deepo's first row shown",
                         detail=lambda: where(app))  # fmt: skip
        assert app.model.cursor_key == ("deepo", "269999729")  # deepo's newest job
        await pilot.press("2", "G", "1", "j")  # down deepo's list, then tart
        await wait_until(pilot, lambda: app.model.scope == "tart", "the list scoped to tart")
        await wait_until(pilot, lambda: at_top(app), "tart's first row shown",
                         detail=lambda: where(app))  # fmt: skip
        await pilot.press("k")  # back to deepo: its first row again, not where it was left
        await wait_until(
            pilot,
            lambda: app.model.scope == "deepo" and at_top(app),
            "deepo's first row shown again",
            detail=lambda: where(app),
        )
