"""``V`` saves the filter as a view in the config file; ``v`` and ``ls --view`` then find it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from jobtui.cli import main
from jobtui.config.model import ViewConfig
from jobtui.store import Store
from jobtui.tui.app import JobtuiApp, make_app
from jobtui.tui.screens.saveview import SaveViewScreen

from support.tui_data import FrozenClock, open_store, seed_store, seeded_jobs, shell_config
from support.waiting import wait_until, wait_until_settled

pytestmark = pytest.mark.usefixtures("no_user_config")

MINE = '# my config\n[views.mine]\nquery = "state:running"   # what runs\n'


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "store.sqlite")
    seed_store(store, seeded_jobs())
    yield store
    store.close()


def dashboard(store: Store, tmp_path: Path, config_text: str | None = MINE) -> JobtuiApp:
    config = shell_config()
    if config_text is not None:
        path = tmp_path / "config.toml"
        path.write_text(config_text, encoding="utf-8")
        config = config.model_copy(update={"path": path})
    return make_app(config, store, FrozenClock(), None, ascii_only=False, tz=UTC,
                    prefs_path=tmp_path / "prefs.toml")  # fmt: skip


def toasts(app: JobtuiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def filtered(app: JobtuiApp, pilot: Pilot[Any], query: str) -> None:
    await app.loaded.wait()
    await wait_until_settled(pilot)
    await pilot.press("slash", *query, "enter")
    await wait_until(pilot, lambda: app.model.query is not None, "the filter applied")


async def name_it(app: JobtuiApp, pilot: Pilot[Any], name: str) -> SaveViewScreen:
    await pilot.press("V")
    await wait_until(pilot, lambda: isinstance(app.screen, SaveViewScreen), "the name asked")
    screen = app.screen
    assert isinstance(screen, SaveViewScreen)
    screen.query_one(Input).value = name
    await pilot.press("enter")
    return screen


async def test_a_saved_view_is_in_the_file_for_v_and_for_ls(
    store: Store, tmp_path: Path, capsys: Any
) -> None:
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await filtered(app, pilot, "state:failed,partial")
        shown = sorted(key[1] for key in app.model.visible_keys())
        await name_it(app, pilot, "bad")
        await wait_until(pilot, lambda: any("Saved view bad" in t for t in toasts(app)),
                         "the toast naming the view", detail=lambda: toasts(app))  # fmt: skip
        text = (tmp_path / "config.toml").read_text(encoding="utf-8")
        assert text == MINE + '\n[views.bad]\nquery = "state:failed,partial"\n'
        # v: no filter, then the saved view.
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.model.query is None, "the filter cleared")
        await pilot.press("v")
        await wait_until(pilot, lambda: app.model.query is not None, "the view applied")
        assert app.model.query is not None and app.model.query.text == "state:failed,partial"
    store.close()
    capsys.readouterr()
    argv = ["--config", str(tmp_path / "config.toml"), "--store", str(tmp_path / "store.sqlite")]
    assert main([*argv, "ls", "--view", "bad", "--json"]) == 0
    assert sorted(row["id"] for row in json.loads(capsys.readouterr().out)) == shown


async def test_a_taken_or_bad_name_is_answered_in_the_dialog(store: Store, tmp_path: Path) -> None:
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.use_views({"mine": ViewConfig(query="state:running")})  # as loaded from MINE
        await filtered(app, pilot, "state:failed")
        for name, says in (("mine", "exists already"), ("no spaces", "letters, digits")):
            screen = await name_it(app, pilot, name)
            error = screen.query_one("#saveview-error", Static)
            await wait_until(pilot, lambda e=error, s=says: s in str(e.render()), f"{says!r} shown")
            assert app.screen is screen
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, SaveViewScreen), "closed")
    assert (tmp_path / "config.toml").read_text(encoding="utf-8") == MINE


async def test_a_file_that_cannot_take_the_table_is_left_alone(
    store: Store, tmp_path: Path
) -> None:
    inline = 'views = { old = { query = "state:running" } }\n'
    app = dashboard(store, tmp_path, inline)
    async with app.run_test(size=(80, 24)) as pilot:
        await filtered(app, pilot, "state:failed")
        await name_it(app, pilot, "bad")
        await wait_until(pilot, lambda: any("add it by hand" in t for t in toasts(app)),
                         "the refusal", detail=lambda: toasts(app))  # fmt: skip
        assert "bad" not in app.config.views
    assert (tmp_path / "config.toml").read_text(encoding="utf-8") == inline


async def test_nothing_to_save_and_nowhere_to_save_say_so(store: Store, tmp_path: Path) -> None:
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        await pilot.press("V")
        await wait_until(pilot, lambda: any("type a filter with /" in t for t in toasts(app)),
                         "no filter to save")  # fmt: skip
    app = dashboard(store, tmp_path, None)  # no config file at all
    async with app.run_test(size=(80, 24)) as pilot:
        await filtered(app, pilot, "state:failed")
        await pilot.press("V")
        await wait_until(pilot, lambda: any("jobtui config init" in t for t in toasts(app)),
                         "where a config comes from")  # fmt: skip
        assert not isinstance(app.screen, SaveViewScreen)



async def test_v_applies_a_views_sort_and_columns_and_gives_the_users_back(
    store: Store, tmp_path: Path
) -> None:
    app = dashboard(store, tmp_path)
    views = {
        "bad": ViewConfig(
            query="state:failed,partial", sort="-id", columns=("state", "id", "summary")
        ),
        "tart": ViewConfig(query="provider:tart"),
    }
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        app.use_views(views)
        job_list = app.dashboard.job_list
        own = (app.model.sort_column, app.model.sort_reverse, job_list.columns)
        assert own[:2] != ("id", True) and own[2] != ("state", "id", "summary")
        await pilot.press("v")
        await wait_until(pilot, lambda: app.model.query is not None, "the first view")
        assert (app.model.sort_column, app.model.sort_reverse) == ("id", True)
        assert job_list.columns == ("state", "id", "summary")
        shown = [key[1] for key in app.model.visible_keys()]
        assert shown == sorted(shown, reverse=True) and len(shown) >= 2
        await pilot.press("v")  # a view without sort or columns: the user's own again
        assert app.model.query is not None and app.model.query.text == "provider:tart"
        assert (app.model.sort_column, app.model.sort_reverse, job_list.columns) == own
        for _ in range(2):  # all jobs: everything as the user had it, then round again
            await pilot.press("v")
            assert app.model.query is None
            assert (app.model.sort_column, app.model.sort_reverse, job_list.columns) == own
            await pilot.press("v")
            assert job_list.columns == ("state", "id", "summary")
            await pilot.press("v")
        assert app.prefs.sort_column == own[0]  # the view's sort was never remembered
