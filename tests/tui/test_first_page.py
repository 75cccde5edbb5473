"""The first page: painted from the store's outline before the whole list is read.

A real store of a few thousand jobs; the app's ``whole_read`` event holds the
whole read back, so the test looks at the first page for as long as it needs.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest

from jobtui.model import JobState
from jobtui.store import Store
from jobtui.tui.app import JobtuiApp, make_app
from jobtui.tui.feed.firstpage import FIRST_PAGE_ROWS
from jobtui.tui.joblist.model import JobListModel
from jobtui.tui.joblist.row import STATE_ORDER
from jobtui.tui.prefs import Prefs, save_prefs

from support.tui_data import FrozenClock, open_store, seed_store, shell_config, watched
from support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("no_user_config")

JOBS = 3000
PROVIDERS = ("deepo", "tart", "cdf", "ii", "sai")


@pytest.fixture(scope="module")
def big_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store filled once per module; each test opens a copy of it."""
    path = tmp_path_factory.mktemp("first-page") / "big.sqlite"
    store = open_store(path)
    seed_store(
        store,
        (
            watched(
                PROVIDERS[number % len(PROVIDERS)],
                f"job-{number:05d}",
                STATE_ORDER[number * 7 % len(STATE_ORDER)],
                # Creation times repeat (every 1,000th job): the job key breaks the ties.
                minutes_old=(number * 37) % 1000,
                summary=f"summary {number}",
            )
            for number in range(JOBS)
        ),
    )
    store.close()  # checkpointed: the copy below is the whole store
    return path


@pytest.fixture
def big_store(big_store_file: Path, tmp_path: Path) -> Iterator[Store]:
    copy = tmp_path / "big.sqlite"
    shutil.copyfile(big_store_file, copy)
    store = open_store(copy)
    yield store
    store.close()


def held_dashboard(store: Store, tmp_path: Path, **prefs: object) -> JobtuiApp:
    """The dashboard on ``store`` with its whole read held back until the test lets it go."""
    prefs_path = tmp_path / "prefs.toml"
    save_prefs(prefs_path, Prefs().with_(**prefs))
    app = make_app(
        shell_config(), store, FrozenClock(), None,
        prefs_path=prefs_path, ascii_only=False, tz=UTC,
    )  # fmt: skip
    app.whole_read.clear()
    return app


def whole_model(store: Store, app: JobtuiApp) -> JobListModel:
    model = JobListModel(sort_column=app.model.sort_column, sort_reverse=app.model.sort_reverse)
    model.set_jobs(store.list_jobs(lean=True))
    return model


def title(app: JobtuiApp) -> str:
    return str(app.dashboard.query_one("#jobs-pane").border_title)


@pytest.mark.parametrize(
    ("column", "reverse"), [("age", True), ("state", False), ("id", True), ("provider", False)]
)
async def test_the_first_page_is_the_whole_lists_start_and_stays_when_it_arrives(
    big_store: Store, tmp_path: Path, column: str, reverse: bool
) -> None:
    app = held_dashboard(big_store, tmp_path, sort_column=column, sort_reverse=reverse)
    whole = whole_model(big_store, app)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, app.first_page_shown.is_set, "the first page on screen")
        assert not app.loaded.is_set()
        first = app.model.visible_keys()
        assert first == whole.visible_keys()[:FIRST_PAGE_ROWS]
        assert app.model.counts == whole.counts  # the sidebar counts every job already
        assert title(app).startswith(f"2 Jobs ({JOBS:,} · loading…")
        # Past the first screen: the list has scrolled, and must stay scrolled so.
        await pilot.press(*["j"] * 30)
        await wait_until(pilot, lambda: app.model.cursor == 30, "the cursor on row 31")
        chosen = app.model.cursor_key
        assert chosen == first[30]
        scrolled = app.dashboard.job_list.scroll_offset
        assert scrolled.y > 0

        app.whole_read.set()
        await wait_until(pilot, app.loaded.is_set, "the whole list in")
        assert app.model.visible_keys() == whole.visible_keys()
        assert app.model.visible_keys()[:FIRST_PAGE_ROWS] == first  # no row moved
        assert app.model.cursor_key == chosen and app.model.cursor == 30
        assert app.dashboard.job_list.scroll_offset == scrolled
        assert title(app).startswith(f"2 Jobs ({JOBS:,}")
        assert "loading" not in title(app)


@pytest.mark.parametrize("key", ["G", "S", "s", "E"])
async def test_keys_on_every_row_wait_for_the_whole_list(
    big_store: Store, tmp_path: Path, key: str
) -> None:
    app = held_dashboard(big_store, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, app.first_page_shown.is_set, "the first page on screen")
        await pilot.press(key)
        # Nothing acted on the first page alone.
        model = app.model
        view = (model.cursor, model.sort_column, model.sort_reverse, model.problems_only)
        assert view == (0, "age", True, False)
        assert len(app.model) == FIRST_PAGE_ROWS

        app.whole_read.set()
        await wait_until(pilot, app.loaded.is_set, "the whole list in")
        if key == "G":
            whole = whole_model(big_store, app)
            await wait_until(
                pilot,
                lambda: app.model.cursor_key == whole.visible_keys()[-1],
                "the cursor on the last of every job",
            )
            return
        if key == "E":
            await wait_until(pilot, lambda: app.model.problems_only, "problems only, once in")
            whole = whole_model(big_store, app)
            whole.set_problems_only(True)
            assert app.model.visible_keys() == whole.visible_keys()
            return
        await wait_until(
            pilot,
            lambda: (app.model.sort_column, app.model.sort_reverse) != ("age", True),
            "the sort applied once the whole list is in",
        )
        assert app.model.visible_keys() == whole_model(big_store, app).visible_keys()


@pytest.mark.parametrize("prefs", [{"sort_column": "summary"}, {"filter": "state:failed"}])
async def test_a_sort_or_filter_the_outline_cannot_do_reads_the_whole_list_first(
    big_store: Store, tmp_path: Path, prefs: dict[str, object]
) -> None:
    app = held_dashboard(big_store, tmp_path, **prefs)
    async with app.run_test(size=(120, 40)) as pilot:
        app.whole_read.set()
        await wait_until(pilot, app.loaded.is_set, "the whole list in")
        assert not app.first_page_shown.is_set()
        expected = (
            JOBS
            if "filter" not in prefs
            else sum(counter[JobState.FAILED] for counter in app.model.counts.values())
        )
        assert len(app.model) == expected
