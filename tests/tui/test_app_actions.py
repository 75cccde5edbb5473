"""The dashboard's job actions driven by Pilot: add, remove, marks, copy, pause, toasts."""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import pytest

from jobtui.model import JobState
from jobtui.store import Store, WatchedJob
from jobtui.tui.app import JobtuiApp, make_app
from jobtui.tui.feed.enginelink import collect_changes
from jobtui.tui.screens.add_jobs import AddJobsScreen, split_ids
from jobtui.tui.screens.confirm import ConfirmScreen
from jobtui.tui.widgets.statusbar import StatusBar

from support.data import REAL_PAYLOADS
from support.tui_data import (
    HOSTILE_LABEL,
    FrozenClock,
    open_store,
    seed_store,
    shell_config,
    watched,
)
from support.waiting import wait_until, wait_until_settled

pytestmark = pytest.mark.usefixtures("no_user_config", "remote_clipboard")


@pytest.fixture(autouse=True)
def _environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


def messages(app: JobtuiApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


async def started(app: JobtuiApp, pilot: object) -> list[str]:
    """Capture what the app writes to the terminal for the clipboard."""
    await app.loaded.wait()
    written: list[str] = []
    app.terminal_write = written.append
    return written


def test_split_ids_accepts_any_separator() -> None:
    assert split_ids("a b,c;d\n\n e\ta a") == ["a", "b", "c", "d", "e"]


async def test_add_jobs_modal_writes_to_the_store(app: JobtuiApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("a")
        assert isinstance(app.screen, AddJobsScreen)
        await pilot.press(*"new-1", "enter", *"new-2, new-3")
        await pilot.press("tab")  # to the label input
        await pilot.press(*"pasted batch", "enter")
        await wait_until(
            pilot,
            lambda: not isinstance(app.screen, AddJobsScreen)
            and app.model.row(("deepo", "new-3")) is not None
            and app.model.cursor_key == ("deepo", "new-1"),
            "the add screen closed and the new jobs listed, the cursor on the first",
        )
        stored = {job.id: job for job in store.list_jobs(provider="deepo")}
        assert {"new-1", "new-2", "new-3"} <= set(stored)
        assert stored["new-2"].label == "pasted batch"
        assert app.model.row(("deepo", "new-3")) is not None
        assert app.model.cursor_key == ("deepo", "new-1")
        assert any("Watching 3 new jobs" in m for m in messages(app))


async def test_add_jobs_needs_an_id(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("a", "ctrl+s")
        assert isinstance(app.screen, AddJobsScreen)
        assert "at least one job id" in str(app.screen.query_one("#add-error").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, AddJobsScreen)


async def test_delete_asks_and_no_keeps_the_job(app: JobtuiApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        key = app.model.cursor_key
        assert key is not None
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirm")
        await pilot.press("enter")  # the focused button is "No"
        await wait_until(
            pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the confirm closed"
        )
        await wait_until_settled(pilot)
        assert store.get_job(*key) is not None
        await pilot.press("delete", "y")
        await wait_until(
            pilot,
            lambda: app.model.row(key) is None and store.get_job(*key) is None,
            "the job removed from the list and the store",
        )


async def test_marks_make_delete_act_on_every_marked_row(app: JobtuiApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        order = app.model.visible_keys()
        await pilot.press("space", "j", "space")  # marks rows 0 and 2
        await wait_until(
            pilot,
            lambda: "2 marked" in str(app.dashboard.query_one("#jobs-pane").border_title),
            "two marks named in the title",
        )
        assert app.dashboard.job_list.marks == {order[0], order[2]}
        assert "•" in app.dashboard.job_list.render_line(1).text[:2]
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirm")
        assert "2 marked jobs" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: store.get_job(*order[0]) is None
            and store.get_job(*order[2]) is None
            and not app.dashboard.job_list.marks,
            "both marked jobs removed and the marks cleared",
        )
        assert store.get_job(*order[1]) is not None
        assert app.dashboard.job_list.marks == set()


async def test_escape_clears_marks(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("space", "space")
        assert len(app.dashboard.job_list.marks) == 2
        await pilot.press("escape")
        assert app.dashboard.job_list.marks == set()


async def test_copy_id_writes_osc52(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        written = await started(app, pilot)
        key = app.model.cursor_key
        assert key is not None
        await pilot.press("c")
        assert written == [f"\x1b]52;c;{base64.b64encode(key[1].encode()).decode()}\x07"]


async def test_copy_marked_ids_inside_tmux(app: JobtuiApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,1,0")
    async with app.run_test(size=(120, 36)) as pilot:
        written = await started(app, pilot)
        order = app.model.visible_keys()
        await pilot.press("space", "space", "c")
        payload = base64.b64encode(f"{order[0][1]}\n{order[1][1]}".encode()).decode()
        assert written == [f"\x1bPtmux;\x1b\x1b]52;c;{payload}\x07\x1b\\"]
        assert any(m.startswith("2 job ids: ") for m in messages(app)), messages(app)


async def test_copy_json_sends_the_raw_payload(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        written = await started(app, pilot)
        await pilot.press("C")
        assert len(written) == 1 and written[0].startswith("\x1b]52;c;")
        decoded = base64.b64decode(written[0][len("\x1b]52;c;"):-1]).decode()
        key = app.model.cursor_key
        assert key is not None
        assert f'"id": "{key[1]}"' in decoded


async def test_pause_shows_a_badge(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        bar = app.dashboard.query_one(StatusBar)
        assert "PAUSED" not in bar.render().plain
        assert "p pause" in bar.render().plain
        await pilot.press("p")
        assert app.paused and "PAUSED" in bar.render().plain
        assert "p resume" in bar.render().plain and "p pause" not in bar.render().plain
        await pilot.press("p")
        assert not app.paused and "PAUSED" not in bar.render().plain
        assert "p pause" in bar.render().plain


async def test_plus_and_minus_scale_the_interval(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        bar = app.dashboard.query_one(StatusBar)
        await pilot.press("plus", "plus")
        assert bar.interval_scale == 4.0 and "intervals x4" in bar.render().plain
        await pilot.press("minus")
        assert bar.interval_scale == 2.0


async def test_refresh_without_a_poller_says_so(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("r", "R", "ctrl+r")
        assert sum("No poller is running" in m for m in messages(app)) == 3


async def test_cancel_is_hidden_without_support(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("x")
        assert not isinstance(app.screen, ConfirmScreen)
        assert "cancel" not in app.dashboard.query_one(StatusBar).render().plain


async def test_open_json_reports_a_terminal_that_cannot_suspend(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("e")
        assert any("cannot hand the screen" in m for m in messages(app))


async def test_hostile_strings_are_shown_literally(app: JobtuiApp) -> None:
    async with app.run_test(size=(150, 36)) as pilot:
        await app.loaded.wait()
        app.dashboard.job_list.set_columns(["state", "id", "label", "summary"])
        index = app.model.index_of(("ii", "ask-43"))
        assert index is not None
        await wait_until(
            pilot,
            lambda: "[bold]x[/]" in app.dashboard.job_list.render_line(index + 1).text,
            "the hostile label drawn in the new columns",
        )
        text = app.dashboard.job_list.render_line(index + 1).text
        assert "[bold]x[/]" in text and "[red]not markup[/red]" in text
        assert "[bold]x[/] \\x1b[31m" in text and "\\x1b[2J" in text
        assert "\x1b" not in text and "\x07" not in text


@dataclass(frozen=True)
class Changed:
    """An event shaped like the engine's JobChanged."""

    job: WatchedJob
    previous_state: JobState | None


@pytest.mark.parametrize(
    ("mode", "bell", "expected_toasts", "expected_bells"),
    [("failures", True, 1, 1), ("all", False, 1, 0), ("none", True, 0, 0)],
)
async def test_toast_when_a_job_finishes(
    store: Store, mode: str, bell: bool, expected_toasts: int, expected_bells: int
) -> None:
    app = make_app(shell_config(notify=mode, bell=bell), store, FrozenClock(), None,
                   ascii_only=False, tz=UTC)
    bells: list[None] = []
    app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        events = [
            Changed(watched("sai", "job-7", JobState.FAILED, label=HOSTILE_LABEL),
                    JobState.QUEUED),
            Changed(watched("deepo", "269999731", JobState.SUCCEEDED), JobState.RUNNING),
            Changed(watched("cdf", "123", JobState.FAILED), JobState.FAILED),  # no news
        ]
        changes = collect_changes(events)
        app.dashboard.apply_changes(changes)
        app.announce(changes)
        await wait_until_settled(pilot)
        toasts = [m for m in messages(app) if "sai" in m or "deepo" in m]
        assert len(toasts) == expected_toasts
        assert len(bells) == expected_bells
        assert all("\x1b" not in m for m in toasts)
        # Provider text in a toast is never read as markup ("[/]" would not even parse).
        assert all(not n.markup for n in app._notifications)
        assert app.model.row(("sai", "job-7")).state is JobState.FAILED  # type: ignore[union-attr]


REAL_PAYLOAD = REAL_PAYLOADS / "cognite--vision-extract-get-completed-sdk-fixture.json"


@pytest.fixture
def real_payload() -> object:
    import json

    return json.loads(REAL_PAYLOAD.read_text())


async def test_real_payload_row_and_its_json_copy(tmp_path: Path, real_payload: object) -> None:
    import json

    from jobtui.providers.cognite.client import parse

    payload = real_payload
    job = parse(payload, provider="cdf")
    real = dataclasses.replace(watched("cdf", job.id, job.state, kind="cognite"), job=job)
    store = open_store(tmp_path / "real.sqlite")
    try:
        seed_store(store, [real])
        app = make_app(shell_config(), store, FrozenClock(), None, ascii_only=False, tz=UTC)
        async with app.run_test(size=(120, 36)) as pilot:
            written = await started(app, pilot)
            row = app.dashboard.job_list.render_line(1).text
            assert f"{job.state.value}" in row and "cdf" in row
            await pilot.press("C")
            encoded = written[0][len("\x1b]52;c;"):-1]
            assert json.loads(base64.b64decode(encoded)) == payload
    finally:
        store.close()


async def test_add_without_providers_says_how_to_get_one(tmp_path: Path) -> None:
    from jobtui.config.model import Config

    store = open_store(tmp_path / "empty.sqlite")
    app = make_app(Config(), store, FrozenClock(), None,
                   prefs_path=tmp_path / "prefs.toml", ascii_only=False, tz=UTC)  # fmt: skip
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("a")
        assert isinstance(app.screen, AddJobsScreen)
        screen = app.screen
        def said() -> str:
            return str(screen.query_one("#add-error").render())

        await wait_until(
            pilot, lambda: "No provider is configured" in said(), "the dialog's hint", detail=said
        )
        shown = said()
        assert "jobtui config init" in shown and "jobtui demo" in shown
    store.close()
