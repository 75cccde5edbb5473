"""Saving a view appends one table to the user's config and changes nothing else in it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from jobtui.config import load_config
from jobtui.config.views import append_view
from jobtui.errors import JobtuiError

HAND_WRITTEN = """\
# my jobtui config -- keep these comments
[ui]
theme = "jobtui-light"   # light at work

[views.mine]
query = "state:running"

[providers.deepo]
kind = "deepomatic"
api_key_env = "DEEPOMATIC_API_KEY"

[[jobs]]
provider = "deepo"
id = "269999729"
"""


def config_file(tmp_path: Path, text: str = HAND_WRITTEN) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_the_view_is_appended_and_the_rest_kept_byte_for_byte(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    query = 'state:failed provider:deepo "could not \\ decode"'
    append_view(path, "bad-deepo", query)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(HAND_WRITTEN)
    assert text[len(HAND_WRITTEN):].startswith("\n[views.bad-deepo]\n")
    config = load_config(path)
    assert config.views["bad-deepo"].query == query
    assert config.views["mine"].query == "state:running"
    assert config.jobs[0].id == "269999729" and config.ui.theme == "jobtui-light"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temporary left


def test_a_file_without_a_final_newline_or_views_gets_a_table_of_its_own(tmp_path: Path) -> None:
    path = config_file(tmp_path, '[ui]\ntheme = "jobtui-dark"')
    append_view(path, "failed", "state:failed")
    expected = '[ui]\ntheme = "jobtui-dark"\n\n[views.failed]\nquery = "state:failed"\n'
    assert path.read_text() == expected
    assert load_config(path).views["failed"].query == "state:failed"


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("mine", HAND_WRITTEN, "exists already"),
        ("two words", HAND_WRITTEN, "a view name is"),
        ("x", 'views = { a = { query = "state:failed" } }\n', "add it by hand"),
        ("x", "[ui\n", "does not parse"),
    ],
)
def test_what_cannot_be_added_cleanly_is_refused_and_nothing_written(
    tmp_path: Path, name: str, text: str, says: str
) -> None:
    path = config_file(tmp_path, text)
    with pytest.raises(JobtuiError, match=says):
        append_view(path, name, "state:failed")
    assert path.read_text(encoding="utf-8") == text
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]
