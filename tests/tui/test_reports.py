"""The dashboard's reports agree with the command line, on a store the simulator filled.

The failures view counts what `jobtui errors` counts (the list is loaded lean,
the groups are not), the stats pane shows what `jobtui stats` prints, and the
export writes the rows of `jobtui ls --json`, round-tripping through Python's
``csv`` module.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from jobtui.cli import main
from jobtui.cli.formats import csv_cell
from jobtui.config import load_config
from jobtui.sim import Simulator
from jobtui.store import Store
from jobtui.tui.app import JobtuiApp, make_app
from jobtui.tui.screens.failures import FailuresScreen
from jobtui.tui.screens.reports import ExportScreen
from jobtui.tui.screens.stats import StatsScreen

from support.engine_sim import write_config
from support.waiting import wait_until, wait_until_settled

pytestmark = pytest.mark.usefixtures("no_user_config")


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOBTUI_CONFIG", raising=False)
    monkeypatch.delenv("JOBTUI_STORE", raising=False)


@pytest.fixture(scope="module")
def filled_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store one `status --all` filled from the simulator, with jobs failing many ways.

    Filled once for the module (the sweep is most of these tests' time); each test
    reads a copy of it, so none sees another's writes.
    """
    folder = tmp_path_factory.mktemp("filled")
    sim = Simulator(jobs=30, seed=4, speed=0, port=0)
    sim.start_in_thread()
    try:
        # The tests read the simulator's own config (Tensor.Art's budget is 5 requests/s);
        # the sweep that fills the store goes without that budget, its 30 jobs at once.
        write_config(folder / "config.toml", sim)
        config = write_config(folder / "sweep.toml", sim, defaults={"rate_limit": 1000.0})
        with pytest.MonkeyPatch.context() as env:
            env.setenv("XDG_CONFIG_HOME", str(folder / "xdg-config"))
            env.setenv("XDG_STATE_HOME", str(folder / "xdg-state"))
            env.delenv("JOBTUI_CONFIG", raising=False)
            env.delenv("JOBTUI_STORE", raising=False)
            argv = ["--config", str(config), "--store", str(folder / "jobs.sqlite")]
            assert main([*argv, "status", "--all", "--json"]) == 0
    finally:
        sim.stop_in_thread()
    return folder


@pytest.fixture
def filled(filled_once: Path, tmp_path: Path, capsys: Any) -> list[str]:
    """A copy of the filled store and its config, for one test."""
    capsys.readouterr()  # the module's sweep printed its JSON
    for name in ("config.toml", "jobs.sqlite"):
        shutil.copy2(filled_once / name, tmp_path / name)
    return ["--config", str(tmp_path / "config.toml"), "--store", str(tmp_path / "jobs.sqlite")]


def cli_json(argv: list[str], capsys: Any, *more: str) -> Any:
    capsys.readouterr()
    code = main([*argv, *more])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def dashboard(argv: list[str], tmp_path: Path) -> tuple[JobtuiApp, Store]:
    config = load_config(Path(argv[1]))
    store = Store(Path(argv[3]))
    app = make_app(config, store, None, None, prefs_path=tmp_path / "prefs.toml",
                   ascii_only=False, tz=UTC)  # fmt: skip
    return app, store


async def ready(app: JobtuiApp, pilot: Pilot[Any]) -> None:
    await app.loaded.wait()
    await wait_until(pilot, app.dashboard.failure_watch.whole.is_set, "failed rows read whole")
    await wait_until_settled(pilot)


async def test_the_failures_view_counts_what_jobtui_errors_counts(
    filled: list[str], tmp_path: Path, capsys: Any
) -> None:
    expected = cli_json(filled, capsys, "errors", "--json")
    assert any(g["kind"] == "imageintelligence" and "+" in (g["code"] or "") for g in expected), (
        "the seeded simulator should fail some images in more than one way"
    )
    app, store = dashboard(filled, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, FailuresScreen), "the view")
        view = app.screen
        assert isinstance(view, FailuresScreen)
        shown = sorted((g.count, g.signature.term) for g in view.groups)
        assert shown == sorted((g["count"], g["term"]) for g in expected)
        # The group's term filters the list to exactly its jobs.
        biggest = view.groups[0]
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.model) == biggest.count, "the group's rows",
                         detail=lambda: len(app.model))  # fmt: skip
        assert set(app.model.visible_keys()) == set(biggest.keys)
    store.close()


async def test_the_stats_pane_shows_what_jobtui_stats_prints(
    filled: list[str], tmp_path: Path, capsys: Any
) -> None:
    expected = cli_json(filled, capsys, "stats", "--json")
    app, store = dashboard(filled, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        await pilot.press("I")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, StatsScreen) and app.screen.report is not None,
            "the stats pane's figures",
        )
        view = app.screen
        assert isinstance(view, StatsScreen) and view.report is not None
        report = view.report
        assert [p.as_json() for p in report.providers] == expected
        finished = sum(p["finished"] for p in expected)
        assert sum(report.finished_per_minute) == finished > 0
        assert sum(report.failed_per_minute) == sum(p["failed"] for p in expected)
        by_name = {b.provider: b for b in report.budgets}
        assert by_name["tensorart"].allowed == 5.0  # Tensor.Art's documented default
        assert all(b.used > 0 for b in report.budgets), "status --all just polled each"
        table = view.query_one("#stats-table")
        assert table.row_count == len(expected)  # type: ignore[attr-defined]
    store.close()


@pytest.mark.parametrize("name", ["shown.csv", "shown.jsonl"])
async def test_export_writes_the_rows_of_ls_json_for_what_the_filter_shows(
    filled: list[str], tmp_path: Path, capsys: Any, name: str
) -> None:
    listed = cli_json(filled, capsys, "ls", "--provider", "tensorart", "--json")
    expected = {(r["provider"], r["id"]): r for r in listed}
    assert len(expected) == 30
    target = tmp_path / name
    app, store = dashboard(filled, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("slash", *"provider:tensorart", "enter", "w")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen), "the dialog")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")

        def toasts() -> list[str]:
            return [str(n.message) for n in app._notifications]

        await wait_until(pilot, lambda: any(f"Exported 30 rows to {target}" in t for t in toasts()),
                         "the toast naming the path and count", detail=toasts)  # fmt: skip
        order = app.model.visible_keys()
    store.close()
    if name.endswith(".csv"):
        with target.open(newline="", encoding="utf-8") as handle:
            back = list(csv.DictReader(handle))
        assert [(r["provider"], r["id"]) for r in back] == order
        for row in back:
            want = expected[(row["provider"], row["id"])]
            assert row == {key: csv_cell(value) for key, value in want.items()}
            assert json.loads(row["items"]) == want["items"]
    else:
        back = [json.loads(line) for line in target.read_text().splitlines()]
        assert [(r["provider"], r["id"]) for r in back] == order
        assert all(row == expected[(row["provider"], row["id"])] for row in back)


async def test_export_refuses_a_name_that_says_no_format(
    filled: list[str], tmp_path: Path
) -> None:
    app, store = dashboard(filled, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen), "the dialog")
        app.screen.query_one(Input).value = str(tmp_path / "shown.xlsx")
        await pilot.press("enter")
        error = app.screen.query_one("#export-error")
        await wait_until(pilot, lambda: ".csv or .jsonl" in str(error.render()),
                         "the reason", detail=lambda: str(error.render()))  # fmt: skip
        assert isinstance(app.screen, ExportScreen)
        assert not (tmp_path / "shown.xlsx").exists()
    store.close()
