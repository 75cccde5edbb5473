"""Where the config and the store are: argument > environment variable > XDG directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobtui.config import config_path, state_dir, store_path
from jobtui.errors import ConfigError


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG directories inside ``tmp_path``, and no jobtui overrides in the environment."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.delenv("JOBTUI_CONFIG", raising=False)
    monkeypatch.delenv("JOBTUI_STORE", raising=False)
    return tmp_path


def test_config_path_defaults_to_the_xdg_config_dir(xdg: Path) -> None:
    assert config_path() == xdg / "xdg-config" / "jobtui" / "config.toml"


def test_config_path_env_then_argument(xdg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBTUI_CONFIG", str(xdg / "env.toml"))
    assert config_path() == xdg / "env.toml"
    assert config_path(xdg / "arg.toml") == xdg / "arg.toml"
    assert config_path(str(xdg / "arg.toml")) == xdg / "arg.toml"


def test_empty_env_variables_are_ignored(xdg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBTUI_CONFIG", "")
    monkeypatch.setenv("JOBTUI_STORE", " ")
    assert config_path() == xdg / "xdg-config" / "jobtui" / "config.toml"
    assert store_path() == xdg / "xdg-state" / "jobtui" / "jobs.sqlite"


def test_home_is_expanded(xdg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(xdg / "home"))
    assert config_path("~/jobtui.toml") == xdg / "home" / "jobtui.toml"
    assert store_path("~/data/jobs.sqlite") == xdg / "home" / "data" / "jobs.sqlite"


def test_state_dir_is_the_xdg_state_dir(xdg: Path) -> None:
    assert state_dir() == xdg / "xdg-state" / "jobtui"


def test_store_path_default_creates_its_directory(xdg: Path) -> None:
    path = store_path()
    assert path == xdg / "xdg-state" / "jobtui" / "jobs.sqlite"
    assert path.parent.is_dir() and not path.exists()
    assert path.parent.stat().st_mode & 0o077 == 0


def test_store_path_env_then_argument(xdg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBTUI_STORE", str(xdg / "env" / "s.sqlite"))
    assert store_path() == xdg / "env" / "s.sqlite"
    assert (xdg / "env").is_dir()
    assert store_path(xdg / "arg" / "s.sqlite") == xdg / "arg" / "s.sqlite"
    assert (xdg / "arg").is_dir()


def test_store_directory_that_cannot_be_created(xdg: Path) -> None:
    (xdg / "a-file").write_text("")
    with pytest.raises(ConfigError, match="cannot create the store directory"):
        store_path(xdg / "a-file" / "jobs.sqlite")
