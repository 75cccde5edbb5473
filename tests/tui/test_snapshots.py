"""Snapshots of the dashboard: frozen clock, seeded store, no poller, no animation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import Any

import pytest
from textual.pilot import Pilot

from jobtui.store import Store
from jobtui.tui.app import JobtuiApp, make_app

from support.tui_data import FrozenClock, shell_config
from support.waiting import wait_until_settled

SnapCompare = Callable[..., bool]


pytestmark = pytest.mark.usefixtures("no_user_config")


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)


def dashboard(store: Store) -> JobtuiApp:
    return make_app(shell_config(), store, FrozenClock(), None, ascii_only=False, tz=UTC)


def after(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """Wait for the store's rows, press ``keys``, let the screen settle."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, JobtuiApp)
        await app.loaded.wait()
        await wait_until_settled(pilot)
        if keys:
            await pilot.press(*keys)
        await wait_until_settled(pilot)

    return run_before


def test_main_screen_120x36(snap_compare: SnapCompare, store: Store) -> None:
    assert snap_compare(dashboard(store), terminal_size=(120, 36), run_before=after("j"))


def test_main_screen_80x24(snap_compare: SnapCompare, store: Store) -> None:
    assert snap_compare(dashboard(store), terminal_size=(80, 24), run_before=after())


def test_filter_active(snap_compare: SnapCompare, store: Store) -> None:
    keys = ("slash", *"provider:deepo", "enter")
    assert snap_compare(dashboard(store), terminal_size=(120, 36), run_before=after(*keys))


def test_problems_only(snap_compare: SnapCompare, store: Store) -> None:
    assert snap_compare(dashboard(store), terminal_size=(120, 36), run_before=after("E"))


def test_help(snap_compare: SnapCompare, store: Store) -> None:
    assert snap_compare(
        dashboard(store), terminal_size=(120, 36), run_before=after("question_mark")
    )


def test_add_jobs_modal(snap_compare: SnapCompare, store: Store) -> None:
    keys = ("a", *"269999800", "enter", *"269999801")
    assert snap_compare(dashboard(store), terminal_size=(120, 36), run_before=after(*keys))


def test_no_color(
    snap_compare: SnapCompare, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(dashboard(store), terminal_size=(120, 36), run_before=after("j"))


def test_help_80x24(snap_compare: SnapCompare, store: Store) -> None:
    assert snap_compare(dashboard(store), terminal_size=(80, 24), run_before=after("f1"))


def test_filter_typing_80x24(snap_compare: SnapCompare, store: Store) -> None:
    keys = ("slash", *"!state:succeeded ask")
    assert snap_compare(dashboard(store), terminal_size=(80, 24), run_before=after(*keys))


def test_detail_maximized_80x24(snap_compare: SnapCompare, store: Store) -> None:
    keys = ("j", "enter", "f")
    assert snap_compare(dashboard(store), terminal_size=(80, 24), run_before=after(*keys))


def test_sidebar_shown_at_80x24(snap_compare: SnapCompare, store: Store) -> None:
    assert snap_compare(dashboard(store), terminal_size=(80, 24), run_before=after("1"))


def test_ascii_terminal_80x24(snap_compare: SnapCompare, store: Store) -> None:
    app = make_app(shell_config(), store, FrozenClock(), None, ascii_only=True, tz=UTC)
    assert snap_compare(app, terminal_size=(80, 24), run_before=after("space"))


def test_delete_confirm_120x36(snap_compare: SnapCompare, store: Store) -> None:
    assert snap_compare(dashboard(store), terminal_size=(120, 36), run_before=after("delete"))


def test_no_color_sidebar_80x24(
    snap_compare: SnapCompare, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(dashboard(store), terminal_size=(80, 24), run_before=after("1", "j"))
