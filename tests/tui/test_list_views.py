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


def filter_error(app: JobtuiApp) -> str:
    """The line under the filter bar, when it shows."""
    line = app.dashboard.filter_bar.query_one("#filter-error")
    return str(line.render()) if line.display else ""


async def test_s_cycles_only_through_the_columns_on_screen(store: Store) -> None:
    app = dashboard(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        shown = app.dashboard.job_list.shown_columns()
        assert "updated" not in shown and "label" not in shown, shown  # too narrow for them
        seen = []
        for _ in range(len(shown) + 1):
            await pilot.press("s")
            seen.append(app.model.sort_column)
        assert set(seen) == set(shown), (seen, shown)  # each shown column, none hidden
        assert "sorted by" not in str(app.dashboard.query_one("#jobs-pane").border_title)


@pytest.mark.parametrize(
    ("typed", "said"),
    [("provider:tartt", "no provider 'tartt': did you mean tart?"),
     ("state:faild", "unknown state 'faild': did you mean failed?")],
)  # fmt: skip
async def test_a_typo_is_answered_in_the_filter_bar(store: Store, typed: str, said: str) -> None:
    app = dashboard(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.loaded.wait()
        await pilot.press("slash", *typed)
        await wait_until(pilot, lambda: said in filter_error(app), f"{said!r} under the bar",
                         detail=lambda: filter_error(app))  # fmt: skip
        assert len(app.model) > 0  # not a silent empty list


async def test_enter_on_a_query_that_does_not_parse_applies_none_of_it(store: Store) -> None:
    app = dashboard(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.loaded.wait()
        bar = app.dashboard.filter_bar
        await pilot.press("slash", *"colour:red", "enter")
        await wait_until(pilot, lambda: "not applied (no filter applied)" in filter_error(app),
                         "the refusal under the bar", detail=lambda: filter_error(app))  # fmt: skip
        # Not the prefix "colour" that parsed on the way: every job, the text kept to fix.
        assert app.model.query is None and len(app.model) == 12
        assert app.focused is bar.input and bar.value == "colour:red"
        assert "filter" not in str(app.dashboard.query_one("#jobs-pane").border_title)
        # Fixed, it applies; enter confirms it and goes back to the list.
        await pilot.press(*["backspace"] * len("colour:red"), *"state:failed", "enter")
        await wait_until(pilot, lambda: app.focused is app.dashboard.job_list,
                         "the list focused once the query parses")  # fmt: skip
        assert [key[1] for key in app.model.visible_keys()] == ["123"]
        # A later typo keeps that confirmed filter, not half of the new text.
        await pilot.press("slash", *" colour:red", "enter")
        await wait_until(pilot, lambda: "not applied (kept 'state:failed')" in filter_error(app),
                         "the kept filter named", detail=lambda: filter_error(app))  # fmt: skip
        assert app.model.query is not None and app.model.query.text == "state:failed"
        assert app.focused is bar.input
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.model) == 12 and bar.value == "",
                         "escape clearing it all")  # fmt: skip


async def test_g_and_G_go_to_the_first_and_last_provider(store: Store) -> None:
    app = dashboard(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        options = app.dashboard.sidebar.option_list
        await pilot.press("1", "j")
        await wait_until(pilot, lambda: app.focused is options, "the providers pane focused")
        await pilot.press("G")
        last = options.option_count - 1
        await wait_until(pilot, lambda: options.highlighted == last,
                         "the last provider highlighted")
        await wait_until(pilot, lambda: app.model.scope == "sai", "the list scoped to it")
        await pilot.press("g")
        await wait_until(pilot, lambda: options.highlighted == 0, "the first entry (All)",
                         detail=lambda: options.highlighted)  # fmt: skip
        await wait_until(pilot, lambda: app.model.scope is None, "every provider listed")


async def test_help_scrolls_with_the_list_keys_and_names_the_glyphs(store: Store) -> None:
    from textual.containers import VerticalScroll

    app = dashboard(store)
    async with app.run_test(size=(100, 24)) as pilot:
        await app.loaded.wait()
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: app.screen.query("#help-dialog"), "the help open")
        dialog = app.screen.query_one("#help-dialog", VerticalScroll)
        text = str(app.screen.query_one("#help-text").render())
        for state, sign in (("queued", "●"), ("running", "◐"), ("failed", "✗"),
                            ("canceled", "⊘"), ("unknown", "?")):  # fmt: skip
            assert f"{sign} {state}" in text
        await wait_until(pilot, lambda: dialog.max_scroll_y > 5, "a help taller than 24 rows")
        steps = [("j", 1.0), ("down", 2.0), ("k", 1.0), ("up", 0.0), ("pagedown", None),
                 ("pageup", 0.0), ("space", None), ("G", dialog.max_scroll_y),
                 ("g", 0.0), ("end", dialog.max_scroll_y), ("home", 0.0)]  # fmt: skip
        for key, expected in steps:
            before = dialog.scroll_y
            await pilot.press(key)
            if expected is None:  # a page: more than one line further down
                await wait_until(pilot, lambda b=before: dialog.scroll_y > b + 1, f"{key} paging",
                                 detail=lambda: dialog.scroll_y)  # fmt: skip
            else:
                await wait_until(pilot, lambda e=expected: dialog.scroll_y == e,
                                 f"{key} → {expected}", detail=lambda: dialog.scroll_y)  # fmt: skip


async def test_the_detail_pane_highlights_a_node_and_l_goes_into_open_branches(
    store: Store,
) -> None:
    from jobtui.tui.widgets.resulttree import ResultTree

    app = dashboard(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        await pilot.press("3")
        tree = app.dashboard.detail.query_one(ResultTree)
        await wait_until(pilot, lambda: app.focused is tree, "the Result tree focused on 3")
        await wait_until(pilot, lambda: tree.cursor_line == 0, "the first node highlighted",
                         detail=lambda: tree.cursor_line)  # fmt: skip
        branch = next(
            line for line in range(tree.last_line + 1)
            if (node := tree.get_node_at_line(line)) is not None and node.allow_expand
        )  # fmt: skip
        tree.move_cursor_to_line(branch)
        node = tree.cursor_node
        assert node is not None
        if node.is_expanded:
            node.collapse()
        await pilot.press("l")  # a closed branch: l opens it
        await wait_until(pilot, lambda: node.is_expanded and bool(node.children),
                         "l opening a closed branch")  # fmt: skip
        assert tree.cursor_node is node
        for _ in range(2):  # an open branch: l goes into it, every time, never closes it
            await pilot.press("l")
            await wait_until(pilot, lambda: tree.cursor_node is node.children[0],
                             "l on an open branch moving into it",
                             detail=lambda: tree.cursor_line)  # fmt: skip
            assert node.is_expanded
            await pilot.press("h")  # back to the branch
            await wait_until(pilot, lambda: tree.cursor_node is node, "h back to the branch")


async def test_the_provider_column_stays_at_80x24_with_the_sidebar(store: Store) -> None:
    app = dashboard(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.loaded.wait()
        await pilot.press("b")  # the sidebar, hidden at this width, shown
        await wait_until(pilot, lambda: app.dashboard.query_one("#sidebar-pane").display,
                         "the sidebar shown")  # fmt: skip
        await wait_until(pilot, lambda: "provider" in app.dashboard.job_list.shown_columns(),
                         "the provider column kept",
                         detail=lambda: app.dashboard.job_list.shown_columns())  # fmt: skip
        assert "deepo" in app.dashboard.job_list.render_line(1).text


async def test_ids_use_the_room_of_a_wide_screen(tmp_path: Path) -> None:
    store = open_store(tmp_path / "tart.sqlite")
    ids = ["1814480486365823872", "1814480486365824999"]  # alike in their first 12
    seed_store(store, [watched("tart", i, JobState.RUNNING, minutes_old=n)
                       for n, i in enumerate(ids, start=1)])  # fmt: skip
    app = dashboard(store)
    async with app.run_test(size=(200, 30)) as pilot:
        await app.loaded.wait()
        await wait_until(
            pilot,
            lambda: all(i in app.dashboard.job_list.render_line(n).text
                        for n, i in enumerate(ids, start=1)),
            "each whole id drawn",
            detail=lambda: [app.dashboard.job_list.render_line(n).text for n in (1, 2)],
        )  # fmt: skip
