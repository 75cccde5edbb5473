"""The plain ``[[jobs]]`` reader: same document as tomllib, or it steps aside."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from jobtui.config import load_config
from jobtui.config.jobblocks import split_jobs
from jobtui.errors import ConfigError

HEAD = '[providers.deepo]\nkind = "deepomatic"\nbase_url = "http://127.0.0.1:9"\napi_key = "k"\n'


def blocks(count: int, extra: str = "") -> str:
    return "".join(
        f'\n[[jobs]]\nprovider = "deepo"\nid = "{n}"\n{extra}' for n in range(count)
    )


def same_as_tomllib(text: str) -> None:
    split = split_jobs(text)
    assert split is not None, "the plain reader stepped aside"
    rest, jobs = split
    document = tomllib.loads(rest)
    document["jobs"] = jobs
    assert document == tomllib.loads(text)
    assert rest.count("\n") == text.count("\n"), "line numbers must stay where they were"


def test_the_simulators_shape_reads_as_tomllib_reads_it() -> None:
    same_as_tomllib(HEAD + blocks(100))


def test_comments_numbers_booleans_labels_and_crlf() -> None:
    text = HEAD + "".join(
        f'\n[[jobs]]  # job {n}\n# a note\nprovider = "deepo"\nid = {n}\n'
        f'label = "réunion {n} [x]"   # shown\n'
        for n in range(100)
    )
    same_as_tomllib(text)
    same_as_tomllib(text.replace("\n", "\r\n"))


def test_blocks_between_tables() -> None:
    same_as_tomllib(blocks(70) + "\n" + HEAD + blocks(70) + '\n[ui]\ntheme = "x"\n')


@pytest.mark.parametrize(
    "text",
    [
        HEAD + blocks(10),  # too few to bother
        HEAD + blocks(100) + '\n[defaults]\nnote = """\n[[jobs]]\nid = "1"\n"""\n',
        HEAD + blocks(100, extra='tags = ["a",\n  "b"]\n'),
        HEAD + blocks(100, extra='id = "again"\n'),
        HEAD + blocks(100) + "\n[jobs.extra]\nx = 1\n",
        HEAD + blocks(100, extra='label = "a \\"quoted\\" word"\n'),
        "jobs = []\n" + HEAD + blocks(100),
    ],
    ids=["few", "multi-line string", "multi-line array", "duplicate key", "sub-table",
         "escapes", "jobs key"],
)
def test_anything_else_is_left_to_tomllib(text: str) -> None:
    assert split_jobs(text) is None


def test_a_duplicate_key_is_still_an_error_with_its_line(tmp_path: Path) -> None:
    text = HEAD + blocks(100)
    text += '\n[[jobs]]\nprovider = "deepo"\nid = "x"\nid = "y"\n'
    file = tmp_path / "config.toml"
    file.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    assert caught.value.line == text.count("\n")


def test_an_error_in_job_5000_names_its_line(tmp_path: Path) -> None:
    text = HEAD + blocks(5000) + '\n[[jobs]]\nprovider = "nope"\nid = "z"\n'
    file = tmp_path / "config.toml"
    file.write_text(text)
    with pytest.raises(ConfigError, match='no provider named "nope"') as caught:
        load_config(file)
    assert caught.value.line == text.count("\n") - 1
    assert caught.value.key == "jobs[5000].provider"


def test_numbers_become_ids_and_unknown_keys_still_warn(tmp_path: Path) -> None:
    text = HEAD + blocks(99) + '\n[[jobs]]\nprovider = "deepo"\nid = 770\ncolour = "red"\n'
    file = tmp_path / "config.toml"
    file.write_text(text)
    config = load_config(file)
    assert len(config.jobs) == 100
    assert config.jobs[-1].id == "770"
    assert any("jobs[99].colour: unknown key (ignored)" in w for w in config.warnings)
