"""The failures view (F): snapshots at both sizes, and a group term composing with `/`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from jobtui.store import Store
from jobtui.tui.app import JobtuiApp, make_app
from jobtui.tui.screens.failures import FailuresScreen
from jobtui.tui.screens.stats import StatsScreen

from support.tui_data import NOW, FrozenClock, open_store, seed_store, seeded_jobs, shell_config
from support.waiting import wait_until, wait_until_settled

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def _environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "store.sqlite")
    seed_store(store, seeded_jobs())
    # Requests in the budget window (frozen clock): the gauges show some use.
    store.record_requests({("tart", NOW - timedelta(minutes=1)): 900,
                           ("deepo", NOW - timedelta(minutes=2)): 120})  # fmt: skip
    yield store
    store.close()


def dashboard(
    store: Store, tmp_path: Path | None = None, *, ascii_only: bool = False
) -> JobtuiApp:
    prefs = {"prefs_path": tmp_path / "prefs.toml"} if tmp_path else {}
    return make_app(shell_config(), store, FrozenClock(), None, ascii_only=ascii_only, tz=UTC,
                    **prefs)  # fmt: skip


def opened(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, JobtuiApp)
        await app.loaded.wait()
        await pilot.press(*keys)
        await wait_until(pilot, lambda: isinstance(app.screen, FailuresScreen), "the failures view")
        await wait_until_settled(pilot)

    return run_before


def stats_opened() -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, JobtuiApp)
        await app.loaded.wait()
        await pilot.press("I")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, StatsScreen) and app.screen.report is not None,
            "the stats pane's figures",
        )
        await wait_until_settled(pilot)

    return run_before


def test_failures_view_no_color(
    snap_compare: SnapCompare, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(dashboard(store), terminal_size=(80, 24), run_before=opened("F"))


def test_failures_view_ascii(snap_compare: SnapCompare, store: Store) -> None:
    app = dashboard(store, ascii_only=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=opened("F"))


def test_stats_pane_120x36(snap_compare: SnapCompare, store: Store) -> None:
    assert snap_compare(dashboard(store), terminal_size=(120, 36), run_before=stats_opened())


def test_stats_pane_80x24(snap_compare: SnapCompare, store: Store) -> None:
    assert snap_compare(dashboard(store), terminal_size=(80, 24), run_before=stats_opened())


def test_stats_pane_no_color(
    snap_compare: SnapCompare, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(dashboard(store), terminal_size=(120, 36), run_before=stats_opened())


def test_stats_pane_ascii(snap_compare: SnapCompare, store: Store) -> None:
    app = dashboard(store, ascii_only=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=stats_opened())


def test_failures_view_120x36(snap_compare: SnapCompare, store: Store) -> None:
    assert snap_compare(dashboard(store), terminal_size=(120, 36), run_before=opened("F"))


def test_failures_view_80x24(snap_compare: SnapCompare, store: Store) -> None:
    assert snap_compare(dashboard(store), terminal_size=(80, 24), run_before=opened("F"))


async def test_a_group_term_joins_the_filter_already_typed(store: Store, tmp_path: Path) -> None:
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.loaded.wait()
        await pilot.press("slash", *"provider:ii", "enter")
        await wait_until(pilot, lambda: app.model.query is not None, "the typed filter")
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, FailuresScreen), "the failures view")
        screen = app.screen
        assert isinstance(screen, FailuresScreen)
        ii = next(g for g in screen.groups if "ii" in g.providers)
        index = screen.groups.index(ii)
        await pilot.press(*(["down"] * index), "enter")
        await wait_until(pilot, lambda: "sig:" in (app.model.query.text if app.model.query else ""),
                    "the group's term in the filter")  # fmt: skip
        assert app.model.query is not None
        assert app.model.query.text == f"provider:ii {ii.signature.term}"
        assert [key[1] for key in app.model.visible_keys()] == ["ask-42"]


async def test_a_read_only_dashboard_offers_no_bulk_key_in_the_failures_view(
    store: Store, tmp_path: Path
) -> None:
    app = make_app(shell_config(), store, FrozenClock(), None, tz=UTC, read_only=True,
                   prefs_path=tmp_path / "prefs.toml")  # fmt: skip
    async with app.run_test(size=(80, 24)) as pilot:
        await app.loaded.wait()
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, FailuresScreen), "the failures view")
        await wait_until_settled(pilot)
        hint = str(app.screen.query_one("#failures-hint", Static).render())
        assert "filter to it" in hint and "esc close" in hint
        for offered in ("refresh", "stop watching", "cancel"):
            assert offered not in hint
        before = store.pending_requests()
        await pilot.press("r", "d", "x")
        await wait_until_settled(pilot)
        # Still the view, nothing asked of a poller, no confirmation opened.
        assert isinstance(app.screen, FailuresScreen)
        assert store.pending_requests() == before


@pytest.mark.parametrize(("size", "narrow"), [((80, 24), True), ((120, 36), False)])
async def test_the_stats_table_shows_its_other_columns_on_a_narrow_terminal(
    store: Store, tmp_path: Path, size: tuple[int, int], narrow: bool
) -> None:
    app = dashboard(store, tmp_path)
    async with app.run_test(size=size) as pilot:
        await stats_opened()(pilot)
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        table = screen.query_one("#stats-table", DataTable)
        hint = screen.query_one("#stats-hint", Static)
        await wait_until(pilot, lambda: "esc closes" in str(hint.render()), "the hint")

        def visible_text() -> str:
            return "\n".join(table.render_line(y).text for y in range(table.size.height))

        assert ("other columns" in str(hint.render())) is narrow
        if not narrow:
            assert "CREDITS" in visible_text() and table.max_scroll_x == 0
            return
        assert "CREDITS" not in visible_text() and table.max_scroll_x > 0
        for _ in range(40):  # one column's worth of cells a press
            if table.scroll_x >= table.max_scroll_x:
                break
            await pilot.press("l")
        await wait_until(pilot, lambda: "CREDITS" in visible_text(), "the last column in view",
                         detail=visible_text)  # fmt: skip
        await pilot.press(*["h"] * 40)
        await wait_until(pilot, lambda: table.scroll_x == 0, "back to the first column")
        assert "PROVIDER" in visible_text()


def test_a_group_line_names_the_kind_once() -> None:
    from jobtui.insights.failures import FailureGroup, Signature
    from jobtui.tui.screens.failures import group_line

    def line(providers: set[str], code: str | None, message: str) -> str:
        group = FailureGroup(Signature("superai", code, message), count=7, providers=providers)
        return " ".join(group_line(group).plain.split())

    # A provider named after its kind: the kind is not said again.
    assert line({"superai"}, None, "job failed") == "7 superai job failed"
    assert line({"superai"}, "EXPIRED", "") == "7 superai EXPIRED"
    assert line({"superai"}, "EXPIRED", "after <n>h") == "7 superai EXPIRED: after <n>h"
    # Named otherwise (or several): the signature keeps its kind.
    assert line({"sai"}, None, "job failed") == "7 sai superai: job failed"
    assert line({"superai", "sai2"}, None, "job failed") == "7 sai2,superai superai: job failed"
