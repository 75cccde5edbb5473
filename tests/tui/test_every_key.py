"""Every key of every action id, pressed in a real app, with the effect it must have.

The cases are keyed by action id and the test is parametrized from
``KEY_SPECS``, so a key added there without a case here fails
``test_every_action_id_has_a_case``. Keys that need a poller (refresh,
cancel) also run against a real engine in ``test_tui_engine_keys.py``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from jobtui.store import Store
from jobtui.tui.app import JobtuiApp, make_app
from jobtui.tui.keys import KEY_SPECS
from jobtui.tui.screens.add_jobs import AddJobsScreen
from jobtui.tui.screens.confirm import ConfirmScreen
from jobtui.tui.screens.help import HelpScreen
from jobtui.tui.widgets.joblist import JobList
from jobtui.tui.widgets.statusbar import StatusBar

from support.tui_data import FrozenClock, shell_config
from support.waiting import wait_until, wait_until_settled

Case = Callable[[JobtuiApp, Pilot[Any], str], Awaitable[None]]


pytestmark = pytest.mark.usefixtures("no_user_config", "remote_clipboard")


def ids(app: JobtuiApp) -> list[str]:
    return [key[1] for key in app.model.visible_keys()]


def cursor_id(app: JobtuiApp) -> str | None:
    key = app.model.cursor_key
    return key[1] if key else None


def toasts(app: JobtuiApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


def focused_pane(app: JobtuiApp) -> str | None:
    focused = app.focused
    for name in ("sidebar", "jobs", "detail"):
        pane = app.dashboard.query_one(f"#{name}-pane")
        if focused is not None and (focused is pane or pane in focused.ancestors):
            return name
    return None


# ---------------------------------------------------------------- the cases


async def cursor_down(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert cursor_id(app) == ids(app)[1]


async def cursor_up(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    app.dashboard.job_list.move_cursor(2)
    await pilot.press(key)
    assert cursor_id(app) == ids(app)[1]


async def cursor_first(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    app.dashboard.job_list.move_cursor(5)
    await pilot.press(key)
    assert cursor_id(app) == ids(app)[0]


async def cursor_last(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert cursor_id(app) == ids(app)[-1]


async def page_down(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    # The list shows fewer rows than there are jobs at 80x24: a page is several rows.
    assert app.model.cursor > 1


async def page_up(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    app.dashboard.job_list.move_cursor(len(app.model) - 1)
    await pilot.press(key)
    assert 0 <= app.model.cursor < len(app.model) - 2


async def open_job(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press("j", key)
    detail = app.dashboard.detail
    await wait_until(
        pilot,
        lambda: detail.watched is not None
        and detail.watched.id == ids(app)[1]
        and focused_pane(app) == "detail",
        f"the second job's detail open with the keyboard on {key}",
        detail=lambda: focused_pane(app),
    )


async def toggle_mark(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert app.dashboard.job_list.marks == {app.model.visible_keys()[0]}
    assert cursor_id(app) == ids(app)[1]  # steps down, ready for the next mark
    await pilot.press("k", key)
    assert app.dashboard.job_list.marks == set()


async def back(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press("slash", *"state:failed", "enter")
    assert len(app.model) == 1
    await pilot.press(key)
    assert len(app.model) == 12 and app.dashboard.filter_bar.value == ""


async def filter_jobs(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert app.focused is app.dashboard.filter_bar.input
    await pilot.press(*"!state:succeeded")
    await wait_until(pilot, lambda: len(app.model) == 9, "the succeeded jobs filtered out")
    assert len(app.model) == 9 and "succeeded" not in " ".join(
        row.state.value for row in map(app.model.row_at, range(len(app.model)))
    )


async def problems(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert app.model.problems_only and set(ids(app)) == {"123", "ask-42", "269999730"}


async def failures(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    from jobtui.tui.screens.failures import FailuresScreen

    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, FailuresScreen), "the failures view")
    screen = app.screen
    assert isinstance(screen, FailuresScreen), "the failures view never opened"
    groups = screen.groups
    assert sum(g.count for g in groups) == 2  # cdf 123 failed, ii ask-42 partial
    await pilot.press("down", "up", "enter")
    await wait_until(
        pilot,
        lambda: not isinstance(app.screen, FailuresScreen) and app.model.query is not None,
        "the group's filter applied",
    )
    assert app.model.query is not None, "picking a group never filtered the list"
    assert app.model.query.text == groups[0].signature.term
    assert set(ids(app)) == {job_id for _, job_id in groups[0].keys}


async def mark_all(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press("slash", *"state:active", "enter")
    await wait_until(pilot, lambda: app.model.query is not None, "the filter applied")
    await pilot.press(key)
    assert app.dashboard.job_list.marks == set(app.model.visible_keys())
    assert len(app.dashboard.job_list.marks) == 5
    assert "5 marked" in str(app.dashboard.query_one("#jobs-pane").border_title)
    await pilot.press(key)  # every match marked already: unmark them all
    assert app.dashboard.job_list.marks == set()


async def stats(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    from jobtui.tui.screens.stats import StatsScreen

    await pilot.press(key)
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, StatsScreen) and app.screen.report is not None,
        "the stats pane with its figures",
    )
    screen = app.screen
    assert isinstance(screen, StatsScreen) and screen.report is not None
    assert sum(sum(p.states.values()) for p in screen.report.providers) == 12
    await pilot.press(key)
    await wait_until(pilot, lambda: not isinstance(app.screen, StatsScreen), "the pane closed")


async def export(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    from textual.widgets import Input

    from jobtui.tui.screens.reports import ExportScreen

    assert app.prefs_path is not None
    target = app.prefs_path.parent / "shown.jsonl"
    await pilot.press("slash", *"provider:deepo", "enter", key)
    await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen), "the export dialog")
    app.screen.query_one(Input).value = str(target)
    await pilot.press("enter")
    await wait_until(pilot, lambda: any("Exported 3 rows" in t for t in toasts(app)),
                     "the export's toast", detail=lambda: toasts(app))  # fmt: skip
    lines = target.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ids(app)


async def views(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    from jobtui.config.model import ViewConfig

    saved = {"deepo": ViewConfig(query="provider:deepo"), "bad": ViewConfig(query="state:failed")}
    app.config = app.config.model_copy(update={"views": saved})
    await pilot.press(key)
    await wait_until(pilot, lambda: app.model.query is not None, "the first view applied")
    assert app.model.query is not None and app.model.query.text == "provider:deepo"
    assert {k[0] for k in app.model.visible_keys()} == {"deepo"}
    await pilot.press(key)
    assert app.model.query is not None and app.model.query.text == "state:failed"
    assert ids(app) == ["123"]
    await pilot.press(key)  # past the last view: every job again
    assert app.model.query is None and len(ids(app)) == 12
    assert "Showing all jobs" in toasts(app)


async def save_view(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    from textual.widgets import Input

    from jobtui.config import load_config
    from jobtui.tui.screens.saveview import SaveViewScreen

    assert app.prefs_path is not None
    path = app.prefs_path.parent / "config.toml"
    path.write_text("# mine\n[ui]\nbell = false\n", encoding="utf-8")
    app.config = app.config.model_copy(update={"path": path})
    await pilot.press("slash", *"state:failed", "enter")
    await wait_until(pilot, lambda: ids(app) == ["123"], "the filter applied")
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, SaveViewScreen), "the name asked")
    app.screen.query_one(Input).value = "bad"
    await pilot.press("enter")
    await wait_until(pilot, lambda: "bad" in app.config.views, "the view saved",
                     detail=lambda: toasts(app))  # fmt: skip
    assert load_config(path).views["bad"].query == "state:failed"
    assert path.read_text(encoding="utf-8").startswith("# mine\n[ui]\nbell = false\n")


async def sort(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    before = app.model.sort_column
    await pilot.press(key)
    assert app.model.sort_column != before


async def sort_reverse(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    first = ids(app)
    await pilot.press(key)
    assert ids(app) == list(reversed(first))


async def refresh(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert any("No poller is running" in message for message in toasts(app))


async def pause(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert app.paused and "PAUSED" in app.dashboard.query_one(StatusBar).render().plain


async def interval_up(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert "intervals x2" in app.dashboard.query_one(StatusBar).render().plain


async def interval_down(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert "intervals x0.5" in app.dashboard.query_one(StatusBar).render().plain


async def add(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert isinstance(app.screen, AddJobsScreen)


async def remove(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert isinstance(app.screen, ConfirmScreen)
    question = str(app.screen.query_one("#confirm-question").render())
    assert f"Stop watching deepo job {ids(app)[0]}?" in question


async def cancel(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    # No poller here, so no provider can cancel: the key does nothing and is not hinted.
    await pilot.press(key)
    assert app.screen is app.dashboard
    assert " cancel " not in app.dashboard.query_one(StatusBar).render().plain


async def copy_id(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    written: list[str] = []
    app.terminal_write = written.append
    await pilot.press(key)
    assert written == [f"\x1b]52;c;{base64.b64encode(ids(app)[0].encode()).decode()}\x07"]


async def copy_json(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    written: list[str] = []
    app.terminal_write = written.append
    await pilot.press(key)
    payload = base64.b64decode(written[0][len("\x1b]52;c;"):-1]).decode()
    assert f'"id": "{ids(app)[0]}"' in payload


async def open_json(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    # The headless test driver cannot hand the terminal over; the pager itself is
    # exercised in test_tui_viewer.py.
    await pilot.press(key)
    assert any("cannot hand the screen to a pager" in message for message in toasts(app))


async def theme(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    before = app.theme
    await pilot.press(key)
    assert app.theme != before


async def focus_sidebar(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    # Narrow: the hidden providers pane is shown to be focused.
    assert focused_pane(app) == "sidebar"
    assert app.dashboard.query_one("#sidebar-pane").display


async def focus_jobs(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press("3", key)
    assert isinstance(app.focused, JobList)


async def focus_detail(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert focused_pane(app) == "detail"


async def show_preview(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    detail = app.dashboard.detail
    if "preview" in detail.offered_tabs:
        await pilot.press(key)
        await wait_until(pilot, lambda: detail.active_tab == "preview", "the Preview tab shown")
        assert focused_pane(app) == "detail"
    else:  # a job naming no images: the key says so instead of opening an empty tab
        await pilot.press(key)
        await wait_until(
            pilot, lambda: any("names no images" in t for t in toasts(app)), "the reason told"
        )
        assert detail.active_tab != "preview"


async def next_pane(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert focused_pane(app) == "detail"  # the providers pane is hidden at 80 columns
    await pilot.press(key)
    assert focused_pane(app) == "jobs"


async def toggle_sidebar(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    pane = app.dashboard.query_one("#sidebar-pane")
    assert not pane.display
    await pilot.press(key)
    assert pane.display


async def maximize(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press("3", key)
    assert app.dashboard.maximized is app.dashboard.query_one("#detail-pane")
    await pilot.press(key)
    assert app.dashboard.maximized is None


async def show_help(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    assert isinstance(app.screen, HelpScreen)


async def quit_app(app: JobtuiApp, pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    await wait_until(pilot, lambda: not app.is_running, f"the app quit on {key}")
    assert app.return_code == 0


CASES: dict[str, Case] = {
    "cursor_down": cursor_down,
    "cursor_up": cursor_up,
    "cursor_first": cursor_first,
    "cursor_last": cursor_last,
    "page_down": page_down,
    "page_up": page_up,
    "open": open_job,
    "toggle_mark": toggle_mark,
    "back": back,
    "filter": filter_jobs,
    "problems": problems,
    "failures": failures,
    "mark_all": mark_all,
    "stats": stats,
    "export": export,
    "views": views,
    "save_view": save_view,
    "sort": sort,
    "sort_reverse": sort_reverse,
    "refresh": refresh,
    "refresh_all": refresh,
    "pause": pause,
    "interval_up": interval_up,
    "interval_down": interval_down,
    "add": add,
    "remove": remove,
    "cancel": cancel,
    "copy_id": copy_id,
    "copy_json": copy_json,
    "open_json": open_json,
    "theme": theme,
    "focus_sidebar": focus_sidebar,
    "focus_jobs": focus_jobs,
    "focus_detail": focus_detail,
    "next_pane": next_pane,
    "show_preview": show_preview,
    "toggle_sidebar": toggle_sidebar,
    "maximize": maximize,
    "help": show_help,
    "quit": quit_app,
    "quit_now": quit_app,
}


def test_every_action_id_has_a_case() -> None:
    assert set(CASES) == {spec.id for spec in KEY_SPECS}


@pytest.mark.parametrize(
    ("action_id", "key"),
    [(spec.id, key) for spec in KEY_SPECS for key in spec.keys.split(",")],
)
async def test_key_has_its_effect(store: Store, tmp_path: Path, action_id: str, key: str) -> None:
    app = make_app(shell_config(), store, FrozenClock(), None,
                   prefs_path=tmp_path / "prefs.toml", ascii_only=False, tz=UTC)
    # 80x24: the layout an SSH user gets (providers hidden, detail under the list).
    async with app.run_test(size=(80, 24)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        assert cursor_id(app) == ids(app)[0]
        await CASES[action_id](app, pilot, key)
