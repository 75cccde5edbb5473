"""The dashboard driven by Pilot: navigation, filter, sort, panes, layout.

Real store files, real Textual app, a frozen clock, no poller.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from jobtui.model import JobState
from jobtui.store import Store
from jobtui.tui.app import JobtuiApp, make_app
from jobtui.tui.screens.help import HelpScreen
from jobtui.tui.widgets.detail import DetailPane
from jobtui.tui.widgets.joblist import JobList

from support.tui_data import FrozenClock, seed_store, shell_config, watched
from support.waiting import wait_until, wait_until_settled

pytestmark = pytest.mark.usefixtures("no_user_config")


def line(app: JobtuiApp, y: int) -> str:
    """Line ``y`` of the job list as text (0 is the header)."""
    return app.dashboard.job_list.render_line(y).text


def cursor_id(app: JobtuiApp) -> str | None:
    key = app.model.cursor_key
    return key[1] if key else None


async def test_paints_stored_jobs_at_start(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until(
            pilot,
            lambda: "✓ succeeded" in line(app, 1) and "269999729" in line(app, 1),
            "the stored jobs painted",
            detail=lambda: line(app, 1),
        )
        assert len(app.model) == 12
        assert "state" in line(app, 0) and "summary" in line(app, 0)
        assert "✓ succeeded" in line(app, 1) and "269999729" in line(app, 1)
        assert str(app.dashboard.query_one("#jobs-pane").border_title) == "2 Jobs (12)"


async def test_cursor_keys(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        order = [key[1] for key in app.model.visible_keys()]
        assert cursor_id(app) == order[0]
        await pilot.press("j", "j", "down")
        assert cursor_id(app) == order[3]
        await pilot.press("k", "up")
        assert cursor_id(app) == order[1]
        await pilot.press("G")
        assert cursor_id(app) == order[-1]
        await pilot.press("g")
        assert cursor_id(app) == order[0]
        await pilot.press("end")
        assert cursor_id(app) == order[-1]
        await pilot.press("home")
        assert cursor_id(app) == order[0]
        await pilot.press("pagedown")
        assert app.model.cursor > 1
        await pilot.press("pageup")
        assert app.model.cursor == 0


async def test_page_down_scrolls_a_long_list(store: Store, tmp_path: Path) -> None:
    seed_store(store, [watched("deepo", f"bulk-{i}", JobState.RUNNING, minutes_old=100 + i)
                       for i in range(300)])
    app = make_app(shell_config(), store, FrozenClock(), None, ascii_only=False, tz=UTC)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.loaded.wait()
        for _ in range(30):
            await pilot.press("pagedown")
        job_list = app.dashboard.job_list
        await wait_until(
            pilot,
            lambda: app.model.cursor > 100 and job_list.scroll_y > 0,
            "the list paged down past line 100 and scrolled",
        )
        # The cursor line is on screen: its id is drawn with the cursor sign.
        visible = [line(app, y) for y in range(1, job_list.size.height)]
        assert any(text.startswith("▶") for text in visible)


async def test_enter_opens_detail_and_escape_returns(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("j", "enter")
        detail = app.dashboard.query_one(DetailPane)
        pane = app.dashboard.query_one("#detail-pane")
        await wait_until(
            pilot,
            lambda: detail.watched is not None
            and detail.watched.id == cursor_id(app)
            and app.focused is not None
            and pane in app.focused.ancestors,
            "the detail of the cursor's job open with the keyboard",
            detail=lambda: app.focused,
        )
        await pilot.press("escape")
        await wait_until(
            pilot, lambda: isinstance(app.focused, JobList), "the job list focused on escape"
        )


async def test_filter_narrows_and_escape_clears(app: JobtuiApp, tmp_path: Path) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("slash")
        await pilot.press(*"state:failed")
        await wait_until(
            pilot,
            lambda: "filter: state:failed"
            in str(app.dashboard.query_one("#jobs-pane").border_title),
            "the filter named in the title",
        )
        assert [key[1] for key in app.model.visible_keys()] == ["123"]
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: isinstance(app.focused, JobList), "the job list focused on enter"
        )
        assert "state:failed" in (tmp_path / "prefs.toml").read_text()
        await pilot.press("escape")
        await wait_until(
            pilot,
            lambda: len(app.model) == 12 and app.dashboard.filter_bar.value == "",
            "the filter cleared on escape",
        )


async def test_unknown_field_shows_an_error_not_a_crash(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("slash", *"colour:red")
        error = app.dashboard.filter_bar.query_one("#filter-error")
        await wait_until(
            pilot,
            lambda: error.display and "unknown field 'colour'" in str(error.render()),
            "the unknown field error shown",
        )
        # Not the part that parsed ("colour" as free text): the confirmed filter, none.
        assert app.model.query is None and len(app.model) == 12
        await pilot.press("escape")
        await wait_until(
            pilot, lambda: "unknown field" not in str(error.render()), "the error cleared"
        )


async def test_problems_only(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("E")
        assert {key[1] for key in app.model.visible_keys()} == {"123", "ask-42", "269999730"}
        assert "problems only" in str(app.dashboard.query_one("#jobs-pane").border_title)
        await pilot.press("E")
        assert len(app.model) == 12


async def test_sort_keys_show_the_first_row_and_are_remembered(
    app: JobtuiApp, tmp_path: Path
) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("j", "j", "j")
        await pilot.press("s")
        assert app.model.sort_column == "updated"
        # A new order is read from its top (tests/tui/test_list_views.py).
        assert app.model.cursor == 0
        await pilot.press("j", "s", "s")
        assert app.model.sort_column == "provider"
        assert app.model.cursor == 0
        await pilot.press("j", "S")
        assert app.model.sort_reverse is False
        assert app.model.cursor == 0
        assert "▲" in line(app, 0)
        text = (tmp_path / "prefs.toml").read_text()
        assert 'sort_column = "provider"' in text and "sort_reverse = false" in text


async def test_cursor_stays_on_its_job_when_rows_refresh(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("j", "j")
        chosen = app.model.cursor_key
        assert chosen is not None
        # A newer job arrives above the cursor, and the chosen job changes state.
        from jobtui.tui.feed.enginelink import TickChanges

        fresh = watched("deepo", "brand-new", JobState.QUEUED, minutes_old=0.1)
        changed = watched(chosen[0], chosen[1], JobState.FAILED, minutes_old=3)
        app.dashboard.apply_changes(TickChanges(jobs={fresh.job.key: fresh,  # type: ignore[union-attr]
                                                      chosen: changed}))
        await wait_until(
            pilot,
            lambda: line(app, 1).find("brand-new") > 0
            and "✗ failed" in line(app, app.model.cursor + 1),
            "the new job on top and the changed one drawn failed",
        )
        assert app.model.cursor_key == chosen


async def test_panes_by_number_tab_and_sidebar_scope(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        screen = app.dashboard
        await pilot.press("1")
        await wait_until(
            pilot, lambda: app.focused is screen.sidebar.option_list, "the sidebar focused"
        )
        await pilot.press("j", "j")  # All → deepo → tart
        await wait_until(pilot, lambda: app.model.scope == "tart", "the list scoped to tart")
        assert {key[0] for key in app.model.visible_keys()} == {"tart"}
        await pilot.press("2")
        assert isinstance(app.focused, JobList)
        await pilot.press("3")
        assert app.focused is not None
        assert screen.query_one("#detail-pane") in app.focused.ancestors
        await pilot.press("tab")
        assert app.focused is screen.sidebar.option_list


async def test_narrow_terminal_hides_sidebar_and_b_toggles(app: JobtuiApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await app.loaded.wait()
        pane = app.dashboard.query_one("#sidebar-pane")
        assert not pane.display
        await pilot.press("b")
        assert pane.display
        await pilot.press("b")
        assert not pane.display


async def test_f_maximizes_the_focused_pane(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("f")
        assert app.dashboard.maximized is app.dashboard.query_one("#jobs-pane")
        await pilot.press("f")
        assert app.dashboard.maximized is None
        await pilot.press("f", "escape")
        assert app.dashboard.maximized is None


async def test_help_lists_every_action_and_closes(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        for action_id in ("refresh_all", "toggle_mark", "copy_json", "problems", "cancel"):
            assert action_id in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        assert not isinstance(app.screen, HelpScreen)


async def test_remapped_key_from_config(store: Store, tmp_path: Path) -> None:
    app = make_app(shell_config(keys={"problems": "P", "bogus": "z"}), store, FrozenClock(),
                   None, ascii_only=False, tz=UTC)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("P")
        assert app.model.problems_only
        await pilot.press("E")  # the old key no longer does it
        assert app.model.problems_only
        assert any("bogus" in str(n.message) for n in app._notifications)


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_quit_keys(app: JobtuiApp, key: str) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press(key)
        await wait_until(pilot, lambda: not app.is_running, f"the app quit on {key}")
        assert app.return_code == 0


async def test_theme_key_cycles_and_is_remembered(app: JobtuiApp, tmp_path: Path) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        first = app.theme
        await pilot.press("t")
        await wait_until(pilot, lambda: app.theme != first, "another theme on t")
        assert f'theme = "{app.theme}"' in (tmp_path / "prefs.toml").read_text()


async def test_command_palette_lists_dashboard_actions(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)):
        await app.loaded.wait()
        titles = {command.title for command in app.get_system_commands(app.dashboard)}
        assert {"Problems only (failed, partial, unknown)", "Refresh every job now",
                "Add jobs"} <= titles


async def test_columns_can_be_hidden_and_are_remembered(app: JobtuiApp, tmp_path: Path) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        titles = {command.title for command in app.get_system_commands(app.dashboard)}
        assert "Hide the label column" in titles
        app.toggle_column("label")
        await wait_until(
            pilot, lambda: "label" not in line(app, 0), "the label column gone from the header"
        )
        assert "label" not in (tmp_path / "prefs.toml").read_text().split("columns")[1]
    again = make_app(shell_config(), app.store, FrozenClock(), None,
                     prefs_path=tmp_path / "prefs.toml", ascii_only=False, tz=UTC)
    async with again.run_test(size=(120, 36)) as pilot:
        await again.loaded.wait()
        assert "label" not in again.dashboard.job_list.columns


async def test_ascii_terminal_gets_ascii_glyphs(store: Store) -> None:
    app = make_app(shell_config(), store, FrozenClock(), None, ascii_only=True, tz=UTC)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()

        def text() -> str:
            return "".join(line(app, y) for y in range(0, 13))

        await wait_until(
            pilot,
            lambda: "x failed" in text() and "+ succeeded" in text(),
            "ASCII state glyphs drawn",
            detail=text,
        )
        text = text()
        assert not any(ord(char) > 127 for char in text)


def test_utf8_detection_reads_the_locale() -> None:
    from jobtui.tui.terminal.surroundings import terminal_is_utf8

    assert terminal_is_utf8({"LANG": "en_US.UTF-8"})
    assert not terminal_is_utf8({"LC_ALL": "C", "LANG": "en_US.UTF-8"})
    assert terminal_is_utf8({"LC_CTYPE": "C.utf8"})


async def test_keys_typed_right_after_slash_go_to_the_filter(app: JobtuiApp) -> None:
    from textual import events

    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        # All queued at once, as a fast typist or a paste delivers them.
        for key, char in [("slash", "/"), ("s", "s"), ("t", "t"), ("a", "a"), ("slash", "/")]:
            app.post_message(events.Key(key, char))
        await wait_until(
            pilot,
            lambda: app.dashboard.filter_bar.value == "sta/",
            "every queued key typed into the filter",
            detail=lambda: app.dashboard.filter_bar.value,
        )
        await wait_until_settled(pilot)
        assert app.model.sort_column == "age"  # "s" did not sort
        assert app.screen is app.dashboard  # "a" did not open the add modal


async def test_sidebar_shows_provider_health_on_select_and_hover(app: JobtuiApp) -> None:
    from datetime import timedelta

    from jobtui.model import HealthState, ProviderHealth
    from jobtui.tui.feed.enginelink import TickChanges
    from jobtui.tui.widgets.sidebar import ProviderList

    from support.tui_data import NOW

    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        health = ProviderHealth(
            provider="tart", kind="tensorart", state=HealthState.AUTH_FAILED,
            last_error="HTTP 401: [bold]bad token[/]", next_retry_at=NOW + timedelta(minutes=5),
            requests=3, failures=3, paused=True,
        )
        app.dashboard.apply_changes(TickChanges(health={"tart": health}))
        await pilot.press("1", "j", "j")  # All → deepo → tart

        def health_text() -> str:
            return str(app.dashboard.sidebar.query_one("#provider-health").render())

        await wait_until(
            pilot, lambda: "auth failed" in health_text(), "tart's health shown", detail=health_text
        )
        details = health_text()
        assert "last error: HTTP 401: [bold]bad token[/]" in details
        assert "next retry: 12:05:00" in details
        # The badge is a word, not a colour.
        prompts = [str(option.prompt) for option in app.dashboard.sidebar.option_list.options]
        assert any("tart" in p and "✗ auth failed" in p for p in prompts)
        # Problems only counts every job of the unhealthy provider (scope is tart here).
        await pilot.press("2", "E")
        assert {key[1] for key in app.model.visible_keys()} == {
            "job-9", "job-10", "1f3c9a7e-5b2d-4c8e-9f01-23456789abcd"
        }
        provider_list = app.dashboard.query_one(ProviderList)
        await pilot.hover(ProviderList, offset=(2, 6))
        await wait_until(
            pilot,
            lambda: "auth failed" in str(provider_list.tooltip or ""),
            "the hovered provider's health as a tooltip",
        )
