"""Config errors name the file, the line and the key, for every kind of mistake."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from jobtui.config import load_config
from jobtui.errors import ConfigError

DEEPO = """\
[providers.deepo]
kind = "deepomatic"
api_key_env = "DEEPOMATIC_API_KEY"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(0o600)
    return path


def error_of(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value


def test_wrong_type_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [ui]
        theme = "jobtui-dark"

        [providers.deepo]
        kind = "deepomatic"
        api_key_env = "DEEPOMATIC_API_KEY"
        poll_interval = "often"
        """,
    )
    error = error_of(path)
    assert (error.file, error.line, error.key) == (path, 7, "providers.deepo.poll_interval")
    assert str(error) == f'{path}:7: providers.deepo.poll_interval: expected a number, got "often"'


@pytest.mark.parametrize(
    ("body", "line", "key", "words"),
    [
        ('[ui]\nnotify = "sometimes"\n', 2, "ui.notify", 'one of "all", "failures", "none"'),
        ("[ui]\nbell = 1\n", 2, "ui.bell", "expected true or false, got 1"),
        ("[ui.keys]\nquit = 5\n", 2, "ui.keys.quit", "expected a string, got 5"),
        ("[defaults]\ntimeout = -1\n", 2, "defaults.timeout", "greater than 0, got -1"),
        ("[defaults]\nmax_concurrency = 2.5\n", 2, "defaults.max_concurrency", "whole number"),
        ("[defaults]\npoll_interval = inf\n", 2, "defaults.poll_interval", "finite number"),
        (
            "[defaults]\npoll_interval = 30\nmax_interval = 10\n",
            3,
            "defaults.max_interval",
            "must be at least poll_interval",
        ),
        (DEEPO + "batch_size = 5000\n", 4, "providers.deepo.batch_size", "at most 1000"),
        (DEEPO + "verify = 5\n", 4, "providers.deepo.verify", "true, false or a CA bundle"),
        (DEEPO + "max_body_bytes = 10\n", 4, "providers.deepo.max_body_bytes", "at least 1024"),
        (
            DEEPO + 'kind2 = 1\n[providers.ii]\nkind = "imageintelligence"\njob_type = "ask2"\n',
            7,
            "providers.ii.job_type",
            'one of "ask", "detect", "match", "feedback"',
        ),
        ("[providers.x]\nbase_url = 'https://x'\n", 1, "providers.x.kind", "missing required"),
        (
            '[providers.x]\nkind = "dall-e"\n',
            2,
            "providers.x.kind",
            'unknown provider kind "dall-e"',
        ),
        ("[providers.x]\nkind = 3\n", 2, "providers.x.kind", "unknown provider kind 3"),
        ('[providers.t]\nkind = "tensorart"\n', 1, "providers.t.base_url", "missing required"),
        (
            '[providers.c]\nkind = "cognite"\ncluster = "api"\n',
            1,
            "providers.c.project",
            "missing required",
        ),
        (
            '[providers.c]\nkind = "cognite"\nproject = "p"\n',
            1,
            "providers.c.cluster",
            "set cluster",
        ),
        (
            '[providers.c]\nkind = "cognite"\nproject = "p"\ncluster = "evil.com/x?"\n',
            4,
            "providers.c.cluster",
            "not a CDF cluster name",
        ),
        (
            '[providers.c]\nkind = "cognite"\ncluster = "api"\nproject = "p"\n'
            'scopes = [\n  "a",\n  5,\n]\n',
            5,
            "providers.c.scopes[1]",
            "expected a string, got 5",
        ),
        ("providers = 3\n", 1, "providers", "expected a table, got 3"),
        ("[providers]\ndeepo = true\n", 2, "providers.deepo", "expected a table, got true"),
        ("jobs = 3\n", 1, "jobs", "expected an array of tables"),
        ("jobs = [1]\n" + DEEPO, 1, "jobs[0]", "expected a table, got 1"),
        (
            DEEPO + "poll_interval = 60\nmax_interval = 30\n",
            5,
            "providers.deepo.max_interval",
            "must be at least poll_interval (60)",
        ),
    ],
)
def test_mistake_is_located(tmp_path: Path, body: str, line: int, key: str, words: str) -> None:
    error = error_of(write(tmp_path, body))
    assert (error.line, error.key) == (line, key), str(error)
    assert words in error.message


def test_syntax_error_reports_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, DEEPO + "\n[providers.cdf\nkind = 'cognite'\n")
    error = error_of(path)
    assert error.line == 5
    assert "TOML syntax error" in error.message
    assert str(error).startswith(f"{path}:5: ")


def test_syntax_error_at_end_of_document(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, 'x = """unterminated\n'))
    assert error.line is not None and error.line >= 1


@pytest.mark.parametrize(
    ("jobs", "line", "key", "words"),
    [
        ('[[jobs]]\nprovider = "deepo"\n', 4, "jobs[0].id", "missing required key"),
        ('[[jobs]]\nprovider = "deepo"\nid = ""\n', 6, "jobs[0].id", "empty"),
        ('[[jobs]]\nprovider = "deepo"\nid = [1]\n', 6, "jobs[0].id", "expected a string"),
    ],
)
def test_bad_jobs_entry(tmp_path: Path, jobs: str, line: int, key: str, words: str) -> None:
    error = error_of(write(tmp_path, DEEPO + jobs))
    assert (error.line, error.key) == (line, key), str(error)
    assert words in error.message


def test_job_for_an_unknown_provider_names_its_index_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        DEEPO
        + """
[[jobs]]
provider = "deepo"
id = "1"

[[jobs]]
provider = "deepo"
id = "2"

[[jobs]]
id = "3"
provider = "deepomatic"
""",
    )
    error = error_of(path)
    assert (error.line, error.key) == (15, "jobs[2].provider")
    assert 'no provider named "deepomatic" (configured: "deepo")' in error.message


@pytest.mark.parametrize(
    ("body", "line", "key"),
    [
        # A dotted key at the top level.
        ('providers.deepo.kind = "deepomatic"\nproviders.deepo.timeout = "x"\n', 2, None),
        # An inline table: the line of the table's key.
        ('[providers]\n\ndeepo = { kind = "deepomatic", timeout = "x" }\n', 3, None),
        # Quoted names.
        ('[providers."my deepo"]\nkind = "deepomatic"\n"timeout" = "x"\n', 3, "my deepo"),
        # Look-alike statements inside a multi-line string and a multi-line array.
        (
            '[ui]\ntheme = """\n[providers.deepo]\ntimeout = 1\n"""\n'
            "[ui.keys]\nquit = '''\n[x]'''\n"
            '[providers.deepo]\nkind = "deepomatic"\nbatch_size = [\n"[", \'timeout = 2\',\n]\n'
            'timeout = "x"  # [providers.deepo]\n',
            14,
            None,
        ),
    ],
)
def test_line_found_through_toml_syntax(
    tmp_path: Path, body: str, line: int, key: str | None
) -> None:
    error = error_of(write(tmp_path, body))
    name = "deepo" if key is None else f'"{key}"'
    assert (error.line, error.key) == (line, f"providers.{name}.timeout"), str(error)


def test_two_sources_for_one_secret(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, DEEPO + 'api_key_file = "key.txt"\n'))
    assert (error.line, error.key) == (4, "providers.deepo.api_key_file")
    assert "api_key_env is set too" in error.message


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(DEEPO.encode() + b'label = "caf\xe9"\n')
    error = error_of(path)
    assert (error.line, error.message) == (4, "not UTF-8 text")


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    error = error_of(tmp_path / "nowhere.toml")
    assert error.file == tmp_path / "nowhere.toml"
    assert "no such file" in error.message


def test_values_in_messages_cannot_drive_the_terminal(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, '[ui]\nnotify = "\\u001b[31mred\\u009b"\n'))
    assert "\x1b" not in str(error) and "\x9b" not in str(error)
    assert "\\u001b[31mred\\u009b" in str(error)
