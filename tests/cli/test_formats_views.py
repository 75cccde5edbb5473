"""``--format`` on ls/status, and ``--view NAME`` on ls/status/watch, against the simulator."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jobtui.cli import main
from jobtui.cli.formats import csv_cell
from jobtui.sim import Simulator

from support.engine_sim import write_config


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOBTUI_CONFIG", raising=False)
    monkeypatch.delenv("JOBTUI_STORE", raising=False)


VIEWS = """
[views.bad-tensorart]
query = "state:failed,canceled provider:tensorart"
sort = "id"

[views.broken]
query = "colour:red"
"""


@pytest.fixture(scope="module")
def seeded_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The simulator for the module's tests, and a store one `status --all` filled from it.

    The sweep is most of these tests' time, so it runs once; each test reads a copy
    of the store. At speed 0 the simulator's jobs never move: sharing it changes
    nothing a test sees.
    """
    folder = tmp_path_factory.mktemp("seeded")
    sim = Simulator(jobs=20, seed=4, speed=0, port=0)
    sim.start_in_thread()
    try:
        config = write_config(folder / "config.toml", sim)
        config.write_text(config.read_text() + VIEWS)
        with pytest.MonkeyPatch.context() as env:
            env.delenv("JOBTUI_CONFIG", raising=False)
            env.delenv("JOBTUI_STORE", raising=False)
            argv = ["--config", str(config), "--store", str(folder / "jobs.sqlite")]
            assert main([*argv, "status", "--all", "--json"]) == 0
        yield folder
    finally:
        sim.stop_in_thread()


@pytest.fixture
def seeded(seeded_once: Path, tmp_path: Path, capsys: Any) -> list[str]:
    """A copy of the filled store and its config, for one test."""
    capsys.readouterr()  # the module's sweep printed its JSON
    for name in ("config.toml", "jobs.sqlite"):
        shutil.copy2(seeded_once / name, tmp_path / name)
    return ["--config", str(tmp_path / "config.toml"), "--store", str(tmp_path / "jobs.sqlite")]


def output(argv: list[str], capsys: Any, *more: str) -> str:
    code = main([*argv, *more])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_csv_round_trips_to_the_rows_of_ls_json(seeded: list[str], capsys: Any) -> None:
    rows = json.loads(output(seeded, capsys, "ls", "--json"))
    assert len(rows) == 100
    parsed = list(csv.DictReader(io.StringIO(output(seeded, capsys, "ls", "--format", "csv"))))
    assert len(parsed) == len(rows)
    for row, back in zip(rows, parsed, strict=True):
        assert set(back) == set(row)
        assert back == {key: csv_cell(value) for key, value in row.items()}
        # Nested values come back whole: the items of a job, as JSON.
        assert json.loads(back["items"]) == row["items"]
    lines = output(seeded, capsys, "ls", "--format", "jsonl").splitlines()
    assert [json.loads(line) for line in lines] == rows
    assert json.loads(output(seeded, capsys, "ls", "--format", "json")) == rows


def test_a_view_filters_and_sorts_ls_and_status(seeded: list[str], capsys: Any) -> None:
    rows = json.loads(output(seeded, capsys, "ls", "--json"))
    expected = sorted(
        (r["id"] for r in rows
         if r["provider"] == "tensorart" and r["state"] in ("failed", "canceled")),
    )  # fmt: skip
    assert expected, "the seeded simulator ends some Tensor.Art jobs badly"
    viewed = json.loads(output(seeded, capsys, "ls", "--view", "bad-tensorart", "--json"))
    assert [r["id"] for r in viewed] == expected
    status = json.loads(output(seeded, capsys, "status", "--view", "bad-tensorart", "--json"))
    assert {r["id"] for r in status} == set(expected)
    table = output(seeded, capsys, "ls", "--view", "bad-tensorart").splitlines()
    assert len(table) == 1 + len(expected)


def test_a_missing_or_broken_view_is_a_config_error(seeded: list[str], capsys: Any) -> None:
    assert main([*seeded, "ls", "--view", "nope"]) == 2
    assert "no view named 'nope'" in capsys.readouterr().err
    assert main([*seeded, "ls", "--view", "broken"]) == 2
    assert "views.broken.query" in capsys.readouterr().err


def test_watch_with_a_view_follows_only_its_jobs(seeded: list[str], capsys: Any) -> None:
    # Every job of the view has ended: the watch is over at once, and the exit code says
    # some ended badly, though other jobs of the store are still running.
    code = main([*seeded, "watch", "--view", "bad-tensorart", "--until-done", "--timeout", "30"])
    assert code == 1, capsys.readouterr().err
