"""Fixtures the dashboard tests share: a seeded store, the shell app on it, a clean user.

A module that needs other rows defines its own ``store`` (a module's fixture
wins over this one), as ``test_payloads.py`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest

from jobtui.store import Store
from jobtui.tui.app import JobtuiApp, make_app

from support.tui_data import FrozenClock, open_store, seed_store, seeded_jobs, shell_config


@pytest.fixture
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No themes or prefs of the person running the tests: an empty config home."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture
def remote_clipboard(monkeypatch: pytest.MonkeyPatch) -> None:
    """A remote session: copies go through the terminal (OSC 52), never a local tool."""
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 1 10.0.0.2 22")
    monkeypatch.delenv("TMUX", raising=False)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A real store file holding the shell's seeded jobs; closed at teardown."""
    store = open_store(tmp_path / "store.sqlite")
    seed_store(store, seeded_jobs())
    yield store
    store.close()


@pytest.fixture
def app(store: Store, tmp_path: Path) -> JobtuiApp:
    """The dashboard on ``store``: frozen clock, no engine, UTF-8 glyphs, UTC, prefs in tmp."""
    return make_app(
        shell_config(), store, FrozenClock(), None,
        prefs_path=tmp_path / "prefs.toml", ascii_only=False, tz=UTC,
    )  # fmt: skip
