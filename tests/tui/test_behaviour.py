"""How the dashboard behaves over time: idle cost, in-place updates, cursor stability,
"as of" staleness, toasts per tick, the command palette, narrow-screen titles, ASCII frames.

Real store, real app, a frozen clock moved by hand.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.strip import Strip

from jobtui.model import JobState
from jobtui.store import Store, WatchedJob
from jobtui.tui.app import JobtuiApp, make_app
from jobtui.tui.feed.enginelink import TickChanges, collect_changes
from jobtui.tui.feed.notices import ROUND_SECONDS
from jobtui.tui.widgets.statusbar import StatusBar

from support.tui_data import (
    NOW,
    FrozenClock,
    open_store,
    seed_store,
    shell_config,
    watched,
)
from support.waiting import wait_until, wait_until_settled

pytestmark = pytest.mark.usefixtures("no_user_config")


def dashboard(store: Store, clock: FrozenClock | None = None, **ui: Any) -> JobtuiApp:
    return make_app(shell_config(**ui), store, clock or FrozenClock(), None,
                    ascii_only=False, tz=UTC)


def ids(app: JobtuiApp) -> list[str]:
    return [key[1] for key in app.model.visible_keys()]


def title(app: JobtuiApp) -> str:
    return str(app.dashboard.query_one("#jobs-pane").border_title)


def running_timers(app: JobtuiApp) -> set[str]:
    """Names of the timers that are ticking (not paused) anywhere in the app."""
    nodes = [app, *app.screen_stack, *app.screen.query("*")]
    return {
        timer.name
        for node in nodes
        for timer in list(node._timers)
        if timer._active.is_set() and timer._task is not None and not timer._task.done()
    }


def spy_lines(app: JobtuiApp) -> list[int]:
    """Record which job list lines are drawn from now on (the drawing itself is unchanged)."""
    job_list = app.dashboard.job_list
    drawn: list[int] = []
    draw = job_list.render_line

    def recording(y: int) -> Strip:
        drawn.append(y)
        return draw(y)

    job_list.render_line = recording  # type: ignore[method-assign]
    return drawn


async def test_idle_dashboard_runs_one_timer_and_repaints_nothing(store: Store) -> None:
    clock = FrozenClock()
    app = dashboard(store, clock)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        assert running_timers(app) == {"ages"}
        drawn = spy_lines(app)
        app._tick()  # what the 1 s timer does
        await wait_until_settled(pilot)  # nothing to wait for: what was due has run
        assert drawn == []
        # A minute later the ages read differently: only then are lines drawn again.
        clock.current = NOW + timedelta(minutes=1)
        app._tick()
        await wait_until(pilot, lambda: bool(drawn), "rows redrawn for the new ages")
        assert 0 not in drawn  # rows, never the header


async def test_a_changed_job_redraws_its_line_alone(store: Store) -> None:
    app = dashboard(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        drawn = spy_lines(app)
        # Same creation time (the sort key), new state and summary: updated in place.
        job = watched("tart", "1f3c9a7e-5b2d-4c8e-9f01-23456789abcd", JobState.RUNNING,
                      summary="RUNNING 80% step 4/5", progress=0.8, minutes_old=3)
        app.dashboard.apply_changes(TickChanges(jobs={(job.provider, job.id): job}))
        await wait_until(pilot, lambda: bool(drawn), "the changed line redrawn")
        await wait_until_settled(pilot)  # and nothing else drawn once all is done
        index = app.model.index_of((job.provider, job.id))
        assert index is not None
        assert set(drawn) == {index + 1}
        assert "████░  80%" in app.dashboard.job_list.render_line(index + 1).text


async def test_a_failed_poll_that_shows_nothing_new_redraws_nothing(store: Store) -> None:
    # Providers down: every probe writes the job's poll error again, with a new attempt
    # time. The line shows the same text: drawing it again sent ~600 bytes a probe.
    app = dashboard(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        key = ("deepo", "269999731")
        row = app.model.row(key)
        assert row is not None
        failed = dataclasses.replace(row.watched, poll_error="refused",
                                     polled_at=NOW)
        app.dashboard.apply_changes(TickChanges(jobs={key: failed}))
        await wait_until_settled(pilot)
        index = app.model.index_of(key)
        assert index is not None
        assert "⚠ refused" in app.dashboard.job_list.render_line(index + 1).text
        drawn = spy_lines(app)
        again = dataclasses.replace(failed, polled_at=NOW + timedelta(seconds=35),
                                    next_poll_at=NOW + timedelta(seconds=70))
        app.dashboard.apply_changes(TickChanges(jobs={key: again}))
        await wait_until_settled(pilot)
        assert drawn == []
        assert app.model.row(key) is not None and app.model.row(key).watched is again  # type: ignore[union-attr]
        # Another message is news: that line, and only it, is drawn.
        other = dataclasses.replace(again, poll_error="timed out")
        app.dashboard.apply_changes(TickChanges(jobs={key: other}))
        await wait_until(pilot, lambda: bool(drawn), "the line with the new message redrawn")
        await wait_until_settled(pilot)
        assert set(drawn) == {index + 1}
        assert "⚠ timed out" in app.dashboard.job_list.render_line(index + 1).text


async def test_each_filter_starts_at_its_first_row(store: Store) -> None:
    app = dashboard(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        app.dashboard.job_list.move_cursor_to_key(("ii", "ask-42"))
        await pilot.press("slash", *"state:partial,failed")
        await wait_until(pilot, lambda: len(ids(app)) == 2, "the partial,failed filter applied")
        assert app.model.cursor == 0 and app.model.cursor_key == ("cdf", "123")
        await pilot.press(*["backspace"] * len(",failed"))  # "state:partial"
        await pilot.press(*["backspace"] * len("partial"), *"failed")
        await wait_until(pilot, lambda: ids(app) == ["123"], "only the failed job listed")
        await pilot.press("escape")
        await wait_until(
            pilot, lambda: len(ids(app)) > 1, "the filter cleared", detail=lambda: ids(app)
        )
        # Every job again, read from the top: the newest first.
        assert app.model.cursor == 0
        assert app.model.cursor_key == app.model.visible_keys()[0]


async def test_as_of_tells_how_old_the_data_is(store: Store) -> None:
    app = dashboard(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        bar = app.dashboard.query_one(StatusBar)
        # The store's newest successful poll, not the time the screen was painted.
        await wait_until(
            pilot,
            lambda: bar.render().plain.endswith("as of 11:59:40 "),
            "as of the newest stored poll",
            detail=lambda: bar.render().plain,
        )
        fresh = dataclasses.replace(
            watched("deepo", "269999731", JobState.RUNNING, minutes_old=10), polled_at=NOW
        )
        failed_poll = dataclasses.replace(
            watched("cdf", "123", JobState.FAILED, poll_error="HTTP 503"),
            polled_at=NOW + timedelta(seconds=30),
        )
        app.dashboard.apply_changes(TickChanges(jobs={
            ("deepo", "269999731"): fresh, ("cdf", "123"): failed_poll,
        }))
        # A failed poll brings no newer data.
        await wait_until(
            pilot,
            lambda: bar.render().plain.endswith("as of 12:00:00 "),
            "as of the fresh poll, not the failed one",
            detail=lambda: bar.render().plain,
        )


@dataclasses.dataclass(frozen=True)
class Changed:
    """An event shaped like the engine's JobChanged."""

    job: WatchedJob
    previous_state: JobState | None


async def test_many_jobs_finishing_in_one_tick_give_one_toast_and_one_bell(
    store: Store,
) -> None:
    app = dashboard(store, notify="failures", bell=True)
    bells: list[None] = []
    app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        events = [
            Changed(watched("deepo", f"burst-{n}", JobState.FAILED), JobState.RUNNING)
            for n in range(5)
        ]
        events.append(Changed(watched("deepo", "ok", JobState.SUCCEEDED), JobState.RUNNING))
        changes = collect_changes(events)
        app.dashboard.apply_changes(changes)
        app.announce(changes)
        await wait_until(
            pilot,
            lambda: any("finished" in n.title for n in app._notifications),
            "the finished toast",
        )
        await wait_until_settled(pilot)  # (and no second one)
        finished = [n for n in app._notifications if "finished" in n.title]
        assert [n.title for n in finished] == ["5 jobs finished, 5 failed or partial"]
        assert str(finished[0].message).endswith("… and 2 more")
        assert len(bells) == 1


async def test_command_palette_runs_screen_and_list_actions(store: Store) -> None:
    app = dashboard(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Problems only", "enter")
        await wait_until(
            pilot,
            lambda: app.screen is app.dashboard and app.model.problems_only,
            "the palette closed and problems only on",
        )
        await pilot.press("ctrl+p", *"Mark for a bulk", "enter")
        await wait_until(
            pilot,
            lambda: app.dashboard.job_list.marks == {app.model.visible_keys()[0]},
            "the job under the cursor marked",
        )


async def test_title_names_the_sort_when_its_column_does_not_fit(store: Store) -> None:
    app = dashboard(store)
    async with app.run_test(size=(140, 36)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        assert "sorted by" not in title(app)  # age is on screen, with its arrow
        await pilot.press("s")  # updated: on screen at 140 columns
        assert app.model.sort_column == "updated"
        assert "sorted by" not in title(app)
        await pilot.resize_terminal(80, 24)  # updated is dropped at 80 columns
        await wait_until(
            pilot, lambda: "sorted by updated ▼" in title(app), "the title naming the sort",
            detail=lambda: title(app),
        )
        assert "updated" not in app.dashboard.job_list.shown_columns()
        await pilot.resize_terminal(140, 36)
        await wait_until(
            pilot,
            lambda: "sorted by" not in title(app),
            "the title without the sort once its column fits",
            detail=lambda: title(app),
        )


async def test_ascii_terminal_gets_ascii_frames(store: Store) -> None:
    app = make_app(shell_config(), store, FrozenClock(), None, ascii_only=True, tz=UTC)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.loaded.wait()
        for pane in ("#jobs-pane", "#detail-pane"):
            await wait_until(
                pilot,
                lambda pane=pane: app.dashboard.query_one(pane).styles.border_top[0] == "ascii",
                f"an ASCII frame on {pane}",
            )


async def test_a_remapped_key_is_what_help_hints_and_palette_show(store: Store) -> None:
    from jobtui.tui.screens.help import HelpScreen

    app = dashboard(store, keys={"add": "n", "refresh_all": "f5"})
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until(
            pilot,
            lambda: " n add " in app.dashboard.query_one(StatusBar).render().plain,
            "the remapped key in the hints",
        )
        commands = {c.title: c.help for c in app.get_system_commands(app.dashboard)}
        assert commands["Add jobs"].startswith("n · add")
        assert commands["Refresh every job now"].startswith("f5 · refresh_all")
        # Nothing a provider cannot do is offered: no poller here, so no cancel.
        assert "Cancel at the provider" not in commands
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        help_text = str(app.screen.query_one("#help-text").render())
        assert any(line.split()[:2] == ["n", "add"] for line in help_text.splitlines())
        await pilot.press("escape", "n")
        from jobtui.tui.screens.add_jobs import AddJobsScreen

        await wait_until(
            pilot, lambda: isinstance(app.screen, AddJobsScreen), "the add screen on n"
        )


async def test_shrinking_the_terminal_moves_focus_out_of_the_hidden_sidebar(
    store: Store,
) -> None:
    from jobtui.tui.widgets.joblist import JobList

    app = dashboard(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("1")
        await wait_until(
            pilot,
            lambda: app.focused is app.dashboard.sidebar.option_list,
            "the sidebar focused on 1",
        )
        await pilot.resize_terminal(80, 24)
        await wait_until(
            pilot,
            lambda: not app.dashboard.query_one("#sidebar-pane").display
            and isinstance(app.focused, JobList),
            "the sidebar hidden and the job list focused",
            detail=lambda: app.focused,
        )
        await pilot.press("j")
        await wait_until(pilot, lambda: app.model.cursor == 1, "the cursor one down on j")


async def test_finishes_arriving_too_soon_wait_for_the_next_round(store: Store) -> None:
    clock = FrozenClock()
    app = dashboard(store, clock, notify="all")
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()

        async def finish(job_id: str) -> None:
            event = Changed(watched("deepo", job_id, JobState.SUCCEEDED), JobState.RUNNING)
            changes = collect_changes([event])
            app.dashboard.apply_changes(changes)
            app.announce(changes)
            await wait_until_settled(pilot)

        def shown() -> list[str]:
            return [str(n.message) for n in app._notifications if "succeeded" in str(n.message)]

        await finish("a-1")
        assert shown() == ["deepo a-1: succeeded"]  # the first one at once
        await finish("a-2")
        await finish("a-3")
        assert shown() == ["deepo a-1: succeeded"]  # held back: a toast was just shown
        app._tick()  # too soon: still held
        await wait_until_settled(pilot)
        assert len(shown()) == 1
        clock.current = NOW + timedelta(seconds=ROUND_SECONDS)
        app._tick()  # the next round
        await wait_until(pilot, lambda: len(shown()) == 2, "the held-back toast", detail=shown)
        # Both held back, in one toast.
        assert shown() == ["deepo a-1: succeeded", "deepo a-2: succeeded\ndeepo a-3: succeeded"]
        app._tick()  # nothing held back: nothing more
        await wait_until_settled(pilot)
        assert len(shown()) == 2


async def test_every_update_of_a_row_is_drawn_with_its_own_text(store: Store) -> None:
    # Rows are replaced on every poll; a drawing cache keyed by a dead row's id() would
    # hand a new row (at a reused address) the old row's line.
    app = dashboard(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        job_list = app.dashboard.job_list
        key = ("deepo", "269999731")
        for n in range(40):
            job = watched(*key, JobState.RUNNING, summary=f"step {n} of 40", minutes_old=10)
            app.dashboard.apply_changes(TickChanges(jobs={key: job}))
            index = app.model.index_of(key)
            assert index is not None
            assert f"step {n} of 40" in job_list.render_line(index + 1).text


async def test_a_new_theme_redraws_the_rows_in_its_colours(store: Store) -> None:
    app = dashboard(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        job_list = app.dashboard.job_list
        before = list(job_list.render_line(3))[1].style  # the state cell of a failed job
        assert before is not None

        def after() -> Any:
            return list(job_list.render_line(3))[1].style

        await pilot.press("t")
        await wait_until(
            pilot,
            lambda: after() is not None
            and after().bgcolor != before.bgcolor
            and after().color != before.color,
            "the failed job's state cell in the new theme's colours",
            detail=lambda: (before, after()),
        )


async def test_hints_follow_the_focus(store: Store) -> None:
    app = dashboard(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        bar = app.dashboard.query_one(StatusBar)
        await wait_until(pilot, lambda: " / filter " in bar.render().plain, "the / hint")
        await pilot.press("slash")
        await wait_until(
            pilot,
            lambda: " / filter " not in bar.render().plain,  # "/" types into the query here
            "the / hint gone while the filter has the keyboard",
        )
        await pilot.press(*"state:failed", "enter")
        await wait_until(pilot, lambda: " / filter " in bar.render().plain, "the / hint back")


async def test_no_color_shows_the_highlighted_provider_reversed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = dashboard(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("1", "j")  # All → deepo (two lines each: no health reports yet)
        option_list = app.dashboard.sidebar.option_list

        def reversed_lines() -> list[int]:
            return [
                y for y in range(9)
                if any(seg.style and seg.style.reverse for seg in option_list.render_line(y))
            ]

        await wait_until(
            pilot,
            lambda: reversed_lines() == [2, 3],
            "deepo's two lines reversed",
            detail=reversed_lines,
        )


async def test_a_burst_of_cursor_keys_ends_with_the_detail_of_the_last_job(store: Store) -> None:
    from textual import events

    app = dashboard(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        shown: list[str] = []
        detail = app.dashboard.detail
        show = detail.show

        def recording(watched_job: WatchedJob | None, transitions: Any) -> None:
            shown.append(watched_job.id if watched_job else "")
            show(watched_job, transitions)

        detail.show = recording  # type: ignore[method-assign]
        for _ in range(5):  # all queued at once, as a held-down key delivers them
            app.post_message(events.Key("j", "j"))
        await wait_until(
            pilot,
            lambda: detail.watched is not None and detail.watched.id == ids(app)[5],
            "the detail of the job five down",
        )
        assert shown[-1] == ids(app)[5] and len(shown) < 5  # jobs passed over: not built


async def test_cursor_move_draws_list_and_detail_without_touching_the_scrollbar(
    tmp_path: Path,
) -> None:
    # With the detail following in the same frame, a layout of the detail pane must
    # not repaint the list's scrollbar (Textual's ScrollView did, on every layout).
    store = open_store(tmp_path / "many.sqlite")
    provider_of = ("deepo", "sai")
    seed_store(store, [
        watched(provider_of[n % 2], f"bulk-{n:03}", JobState.RUNNING, minutes_old=n)
        for n in range(100)
    ])
    app = dashboard(store)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await app.loaded.wait()
            await wait_until_settled(pilot)
            job_list = app.dashboard.job_list
            scrollbar = job_list.vertical_scrollbar
            assert scrollbar.window_virtual_size == 101  # a line per job and the header
            repaints: list[object] = []
            refresh = scrollbar.refresh

            def counting(*args: Any, **kwargs: Any) -> Any:
                repaints.append(args)
                return refresh(*args, **kwargs)

            scrollbar.refresh = counting  # type: ignore[method-assign]
            for step in range(1, 4):
                await pilot.press("j")
                await wait_until(
                    pilot,
                    lambda step=step: app.dashboard.detail.watched is not None
                    and app.dashboard.detail.watched.id == ids(app)[step],
                    f"the detail following the cursor to line {step}",
                )
            await wait_until_settled(pilot)
            assert repaints == []
            # A change of the list's length still reaches the scrollbar.
            await pilot.press("slash")
            for char in "provider:deepo":
                await pilot.press(char)
            await wait_until(
                pilot,
                lambda: len(app.model) == 50 and scrollbar.window_virtual_size == 51,
                "the filtered list's length on the scrollbar",
            )
            assert repaints
    finally:
        store.close()


async def test_loaded_jobs_stay_out_of_full_collections_until_exit(store: Store) -> None:
    import gc

    app = dashboard(store)
    async with app.run_test(size=(120, 36)):
        await app.loaded.wait()
        frozen = gc.get_freeze_count()
        rows = list(app.model.rows())
    assert frozen > 0
    assert gc.get_freeze_count() == 0
    assert rows  # (held until here: the rows were among what was frozen)


async def test_vi_keys_move_in_the_result_tree_and_slash_searches_the_json(store: Store) -> None:
    from textual import events
    from textual.widgets import Input

    from jobtui.tui.widgets.jsonview import JsonView
    from jobtui.tui.widgets.resulttree import ResultTree

    app = dashboard(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("enter")  # open the job: the keyboard goes to its tree
        tree = app.dashboard.detail.query_one(ResultTree)
        await wait_until(pilot, lambda: app.focused is tree, "the Result tree focused on enter")
        await wait_until_settled(pilot)
        start = tree.cursor_line
        await pilot.press("j", "j")
        assert tree.cursor_line == start + 2
        await pilot.press("k")
        assert tree.cursor_line == start + 1
        await pilot.press("right_square_bracket")  # the JSON tab
        await wait_until(
            pilot, lambda: app.dashboard.detail.active_tab == "json", "the JSON tab on ]"
        )
        await wait_until_settled(pilot)
        for key, char in (("slash", "/"), ("r", "r"), ("u", "u"), ("n", "n")):
            app.post_message(events.Key(key, char))  # queued at once, as over a slow link
        search = app.dashboard.detail.query_one(JsonView).query_one("#json-search", Input)
        await wait_until(
            pilot,
            lambda: app.focused is search and search.value == "run",
            "the JSON search focused holding 'run'",
            detail=lambda: (app.focused, search.value),
        )
        assert not app.dashboard.filter_bar.has_class("-active")  # not the job filter
        await pilot.press("escape", "2", "slash")  # from the list, "/" is the job filter
        await wait_until(
            pilot, lambda: app.dashboard.filter_bar.has_class("-active"), "the job filter open"
        )
