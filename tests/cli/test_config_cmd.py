"""``jobtui config init|check|path`` through the real entry point, exit codes included."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w

from jobtui.cli import EXIT_CONFIG, EXIT_OK, main
from jobtui.config import load_config

from support.data import REPO_ROOT

ROOT = REPO_ROOT
SECRET = "s3cret-Value-42"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG directories inside ``tmp_path``; no jobtui overrides in the environment."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("JOBTUI_CONFIG", raising=False)
    monkeypatch.delenv("JOBTUI_STORE", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, document: dict[str, object], mode: int = 0o600) -> Path:
    path.write_text(tomli_w.dumps(document))
    path.chmod(mode)
    return path


def test_path_prints_config_and_store(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "config", "path")
    assert code == EXIT_OK
    assert out.splitlines() == [
        str(home / "config" / "jobtui" / "config.toml"),
        str(home / "state" / "jobtui" / "jobs.sqlite"),
    ]
    assert "no config there yet" in err
    assert not (home / "state" / "jobtui").exists(), "printing a path creates nothing"


def test_path_follows_env_and_options(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBTUI_CONFIG", str(home / "env.toml"))
    monkeypatch.setenv("JOBTUI_STORE", str(home / "env.sqlite"))
    _, out, _ = run(capsys, "config", "path")
    assert out.splitlines() == [str(home / "env.toml"), str(home / "env.sqlite")]
    (home / "arg.toml").write_text("")
    argv = ["--config", str(home / "arg.toml"), "--store", str(home / "a.sqlite")]
    _, out, err = run(capsys, *argv, "config", "path")
    assert out.splitlines() == [str(home / "arg.toml"), str(home / "a.sqlite")]
    assert err == ""


def test_init_writes_a_private_starter_that_checks(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "config", "init")
    path = home / "config" / "jobtui" / "config.toml"
    assert code == EXIT_OK and str(path) in out
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(load_config(path).providers) == 5
    code, out, err = run(capsys, "config", "check")
    assert code == EXIT_OK
    assert "OK, 5 providers" in out
    assert "warning:" in err and "DEEPOMATIC_API_KEY is not set" in err


def test_init_refuses_to_overwrite_without_force(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / "mine.toml"
    path.write_text("# my own config\n")
    code, _, err = run(capsys, "--config", str(path), "config", "init")
    assert code == EXIT_CONFIG
    assert f"{path}: already exists (use --force to overwrite it)" in err
    assert path.read_text() == "# my own config\n"
    code, _, _ = run(
        capsys, "--config", str(path), "config", "init", "--force", "--provider", "superai"
    )
    assert code == EXIT_OK
    assert list(load_config(path).providers) == ["superai"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in home.iterdir() if p.name.startswith(".config-")] == []


def test_check_counts_providers_and_jobs(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPO_KEY", SECRET)
    path = write(
        home / "c.toml",
        {
            "providers": {"deepo": {"kind": "deepomatic", "api_key_env": "DEEPO_KEY"}},
            "jobs": [{"provider": "deepo", "id": "1"}, {"provider": "deepo", "id": "2"}],
        },
    )
    code, out, err = run(capsys, "--config", str(path), "config", "check", "--strict")
    assert code == EXIT_OK, err
    assert out.strip() == f"{path}: OK, 1 provider (deepo (deepomatic)), 2 jobs"
    assert err == "" and SECRET not in out


def test_check_unresolvable_secret_warns_and_strict_fails(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "present.key").write_text(SECRET)
    command = [sys.executable, "-c", f"import sys; print({SECRET!r}); sys.exit(4)"]
    path = write(
        home / "c.toml",
        {
            "providers": {
                "a": {"kind": "deepomatic", "api_key_file": "missing.key"},
                "b": {"kind": "superai", "api_key_cmd": command},
                "c": {"kind": "deepomatic", "api_key_file": "present.key"},
            }
        },
    )
    code, out, err = run(capsys, "--config", str(path), "config", "check")
    assert code == EXIT_OK
    assert "3 providers" in out and "2 warnings" in out
    assert f"warning: {path}:3: providers.a.api_key_file: cannot read secret file" in err
    assert f"warning: {path}:7: providers.b.api_key_cmd: command" in err
    assert "exit status 4" in err and SECRET not in err + out
    code, out, err = run(capsys, "--config", str(path), "config", "check", "--strict")
    assert code == EXIT_CONFIG
    assert out == "" and "error: " in err and "2 problem(s)" in err


def test_check_reports_missing_credentials(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(home / "c.toml", {"providers": {"ii": {"kind": "imageintelligence"}}})
    code, _, err = run(capsys, "--config", str(path), "config", "check")
    assert code == EXIT_OK
    assert f"{path}:1: providers.ii: no credentials: set client_id and client_secret" in err
    assert run(capsys, "--config", str(path), "config", "check", "--strict")[0] == EXIT_CONFIG


def test_check_unknown_key_is_a_warning_unless_strict(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(home / "c.toml", {"ui": {"theme": "jobtui-dark", "colour": "red"}})
    code, out, err = run(capsys, "--config", str(path), "config", "check")
    assert code == EXIT_OK and "0 providers, 0 jobs, 1 warning" in out
    assert f"{path}:3: ui.colour: unknown key (ignored)" in err
    assert run(capsys, "--config", str(path), "config", "check", "--strict")[0] == EXIT_CONFIG


def test_check_wrong_type_exits_2_naming_file_line_and_key(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / "c.toml"
    path.write_text('[providers.deepo]\nkind = "deepomatic"\npoll_interval = "often"\n')
    code, out, err = run(capsys, "--config", str(path), "config", "check")
    assert code == EXIT_CONFIG and out == ""
    assert (
        err == f'jobtui: {path}:3: providers.deepo.poll_interval: expected a number, got "often"\n'
    )


def test_check_missing_file_exits_2(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "config", "check")
    assert code == EXIT_CONFIG
    assert "no such file" in err and "config init" in err


def run_process(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobtui", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def test_example_checks_in_a_process() -> None:
    done = run_process("--config", "config.toml.example", "config", "check")
    assert done.returncode == EXIT_OK, done.stderr
    assert done.stdout.startswith("config.toml.example: OK, 5 providers")


def test_syntax_error_in_a_process_names_the_line_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[ui]\ntheme = "x"\nnotify = \n')
    done = run_process("--config", str(path), "config", "check")
    assert done.returncode == EXIT_CONFIG
    assert done.stderr.startswith(f"jobtui: {path}:3: TOML syntax error")
    assert "Traceback" not in done.stderr


def test_config_without_an_action_is_a_usage_error() -> None:
    done = run_process("config")
    assert done.returncode == EXIT_CONFIG
    assert "init" in done.stderr and "Traceback" not in done.stderr


def test_a_log_file_that_cannot_be_opened_is_a_usage_error(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = home / "absent" / "jobtui.log"
    code, out, err = run(capsys, "--log-file", str(missing), "config", "check")
    assert code == EXIT_CONFIG and out == ""
    assert f"cannot open the log file {missing}" in err
    assert "Traceback" not in err


def test_a_fresh_init_fails_strict_check_on_its_placeholders(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "config", "init")[0] == EXIT_OK
    code, _out, err = run(capsys, "config", "check")
    assert code == EXIT_OK  # a warning without --strict
    assert "jobtui: warning:" in err and "your-client-id" in err
    assert "still the placeholder from `jobtui config init`" in err
    code, _out, err = run(capsys, "config", "check", "--strict")
    assert code == EXIT_CONFIG
    assert "jobtui: error:" in err and "client_id" in err


def test_an_unknown_key_gets_a_suggestion(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(home / "c.toml", {"providers": {"deepo": {
        "kind": "deepomatic", "api_key_env": "X", "api_key_ev": "X"}}})  # fmt: skip
    code, _out, err = run(capsys, "--config", str(path), "config", "check")
    assert code == EXIT_OK
    assert "api_key_ev: unknown key (ignored); did you mean api_key_env?" in err


def test_ls_with_a_missing_config_exits_2_naming_it(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--config", str(home / "missing.toml"), "ls")
    assert code == EXIT_CONFIG
    assert "missing.toml" in err and out == ""
    assert not (home / "state" / "jobtui").exists(), "no default store behind the user's back"


def test_a_config_names_its_own_store(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = home / "sim.toml"
    path.write_text('store = "sim-store.sqlite"\n')
    path.chmod(0o600)
    assert load_config(path).store == home / "sim-store.sqlite"
    code, _out, err = run(capsys, "--config", str(path), "ls")
    assert code == EXIT_OK, err
    assert (home / "sim-store.sqlite").exists()
    assert not (home / "state" / "jobtui" / "jobs.sqlite").exists()
