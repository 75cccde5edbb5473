"""Preferences: saved with tomli-w in their own file, damaged files ignored."""

from __future__ import annotations

import tomllib
from pathlib import Path

from jobtui.tui.prefs import Prefs, load_prefs, save_prefs


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "state" / "prefs.toml"
    prefs = Prefs(theme="jobtui-light", sort_column="state", sort_reverse=False,
                  filter="state:failed", columns=("state", "id", "summary"))
    save_prefs(path, prefs)
    loaded, problems = load_prefs(path)
    assert loaded == prefs
    assert problems == []
    assert tomllib.loads(path.read_text())["filter"] == "state:failed"


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_prefs(tmp_path / "none.toml") == (Prefs(), [])
    assert load_prefs(None) == (Prefs(), [])


def test_damaged_file_is_ignored_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "prefs.toml"
    path.write_text("theme = [unclosed")
    prefs, problems = load_prefs(path)
    assert prefs == Prefs()
    assert len(problems) == 1 and "ignored" in problems[0]


def test_unknown_values_are_reported_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "prefs.toml"
    path.write_text('sort_column = "colour"\ncolumns = ["state", "bogus"]\n')
    prefs, problems = load_prefs(path)
    assert prefs.sort_column == "age"
    assert prefs.columns == ("state",)
    assert any("colour" in p for p in problems) and any("bogus" in p for p in problems)


def test_save_without_a_path_writes_nothing(tmp_path: Path) -> None:
    save_prefs(None, Prefs())
    assert list(tmp_path.iterdir()) == []
