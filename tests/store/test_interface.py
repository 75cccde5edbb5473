"""The store interface: ``open_store`` by location, ``mask_url``, and every command using the
config's ``store`` (``errors``, ``stats`` and ``poll`` used to ignore it)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobtui.cli import EXIT_CONFIG, EXIT_OK, main
from jobtui.config import load_config, store_target
from jobtui.errors import ConfigError
from jobtui.store import JobStore, Store, StoreError, is_url, mask_url, open_store

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def test_both_stores_satisfy_the_interface(store_location: str | Path) -> None:
    with open_store(store_location) as store:
        assert isinstance(store, Store) != is_url(store_location)
        assert isinstance(store, JobStore)
        assert store.add_jobs([("deepo", "deepomatic", "1", None)], added_at=T0) == 1
        assert [job.id for job in store.list_jobs()] == ["1"]


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("postgresql://ana:s3cret@db.example/jobs", "postgresql://ana:***@db.example/jobs"),
        ("postgres://ana:p%40ss@db:5432/jobs?x=1", "postgres://ana:***@db:5432/jobs?x=1"),
        ("postgresql://ana@db/jobs", "postgresql://ana@db/jobs"),
        ("postgresql://ana@db/jobs?password=s3cret&x=1", "postgresql://ana@db/jobs?password=***&x=1"),
        ("/var/lib/jobtui/jobs.sqlite", "/var/lib/jobtui/jobs.sqlite"),
    ],
)
def test_mask_url_hides_the_password_only(location: str, shown: str) -> None:
    assert mask_url(location) == shown


def test_an_unreachable_url_fails_with_the_password_masked_and_no_file_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://ana:s3cret@127.0.0.1:1/jobs")
    assert "s3cret" not in str(caught.value)
    assert "postgresql://ana:***@127.0.0.1:1/jobs: cannot connect" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_store_target_keeps_urls_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql://ana@db/jobs"
    monkeypatch.delenv("JOBTUI_STORE", raising=False)
    assert store_target(url) == url
    assert store_target(None, url) == url
    assert is_url(store_target(None, url))
    monkeypatch.setenv("JOBTUI_STORE", url)
    assert store_target(None, tmp_path / "other.sqlite") == url
    monkeypatch.setenv("JOBTUI_STORE", str(tmp_path / "env" / "s.sqlite"))
    assert store_target() == tmp_path / "env" / "s.sqlite"
    assert (tmp_path / "env").is_dir()


def test_config_store_may_be_a_url(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('store = "postgresql://ana@db/jobs"\n')
    assert load_config(config).store == "postgresql://ana@db/jobs"
    config.write_text('store = "sub/jobs.sqlite"\n')
    assert load_config(config).store == tmp_path / "sub" / "jobs.sqlite"


@pytest.mark.parametrize("command", [["errors"], ["stats"], ["ls"]])
def test_reports_read_the_configured_store(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("JOBTUI_STORE", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    config = tmp_path / "config.toml"
    config.write_text('store = "team.sqlite"\n')
    with Store(tmp_path / "team.sqlite") as store:
        store.add_jobs([("deepo", "deepomatic", "77", "from-config")], added_at=T0)
    assert main(["--config", str(config), *command, "--format", "json"]) == EXIT_OK
    out = capsys.readouterr().out
    if command == ["ls"]:
        assert "77" in out
    # Whatever it printed, it read the configured file, not the default one.
    assert not (tmp_path / "state" / "jobtui" / "jobs.sqlite").exists()


def test_a_url_store_fails_cleanly_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JOBTUI_STORE", "postgresql://ana:s3cret@127.0.0.1:1/jobs")
    config = tmp_path / "config.toml"
    config.write_text("")
    assert main(["--config", str(config), "ls"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "s3cret" not in err
    assert "postgresql://ana:***@127.0.0.1:1/jobs" in err


def test_config_path_prints_a_url_store_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JOBTUI_STORE", "postgresql://ana:s3cret@db.example/jobs")
    assert main(["--config", str(tmp_path / "c.toml"), "config", "path"]) == EXIT_OK
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "postgresql://ana:***@db.example/jobs"


def test_a_store_table_names_the_location_and_the_password_command(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[store]\nlocation = "postgresql://ana@db/jobs"\npassword_cmd = "pass show db"\n'
    )
    loaded = load_config(config)
    assert loaded.store == "postgresql://ana@db/jobs"
    assert loaded.store_password is not None
    assert loaded.store_password.cmd == ("pass", "show", "db")
    config.write_text('[store]\nlocation = "sub/jobs.sqlite"\n')
    assert load_config(config).store == tmp_path / "sub" / "jobs.sqlite"


@pytest.mark.parametrize(
    ("table", "complaint"),
    [
        ('location = "postgresql://a@db/j"\npassword = "x"\npassword_cmd = "y"', "one way only"),
        ('location = "postgresql://a@db/j"\nuser = "ana"', "unknown key"),
        ('password_cmd = "y"', "location"),
    ],
)
def test_a_bad_store_table_is_a_config_error(tmp_path: Path, table: str, complaint: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"[store]\n{table}\n")
    with pytest.raises(ConfigError, match=complaint) as caught:
        load_config(config)
    assert '"x"' not in str(caught.value) and '"y"' not in str(caught.value)


def test_a_sqlite_store_never_runs_the_password_command(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[store]\nlocation = "jobs.sqlite"\npassword_cmd = ["touch", "{marker}"]\n'
    )
    assert main(["--config", str(config), "ls"]) == EXIT_OK
    assert not marker.exists() and (tmp_path / "jobs.sqlite").exists()


def test_config_check_shows_the_store_masked_and_runs_its_password_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[store]\nlocation = "postgresql://ana:s3cret@db.example/jobs"\n')
    config.chmod(0o600)
    assert main(["--config", str(config), "config", "check"]) == EXIT_OK
    captured = capsys.readouterr()
    assert "store postgresql://ana:***@db.example/jobs" in captured.out
    assert "s3cret" not in captured.out + captured.err
    config.write_text(
        '[store]\nlocation = "postgresql://ana@db.example/jobs"\n'
        'password_cmd = ["sh", "-c", "echo leaked-output; exit 3"]\n'
    )
    assert main(["--config", str(config), "config", "check", "--strict"]) == EXIT_CONFIG
    captured = capsys.readouterr()
    assert "store.password_cmd" in captured.err
    assert "leaked-output" not in captured.out + captured.err
