"""Failure groups in the dashboard: bulk actions reach every job, the view follows the store.

A group or a marked filter holds more jobs than the 80x24 list shows; every
action must reach all of them, and its confirmation must say how many. With
a real engine polling the simulator, a bulk refresh sends one poll per job
of the group, and the open view regroups as the answers (and other
processes' writes, through the store follower) come in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from jobtui.config import load_config
from jobtui.config.model import Config
from jobtui.engine import Engine
from jobtui.engine.clock import ManualClock
from jobtui.model import JobState
from jobtui.providers.tensorart.client import TensorartProvider
from jobtui.sim import Simulator
from jobtui.store import Store, WatchedJob
from jobtui.tui.app import JobtuiApp, make_app
from jobtui.tui.screens.confirm import ConfirmScreen
from jobtui.tui.screens.failures import FailuresScreen

from support.tui_data import FrozenClock, open_store, seed_store, shell_config, watched
from support.waiting import wait_until, wait_until_settled

pytestmark = pytest.mark.usefixtures("no_user_config")

GROUP_SIZE = 40
DOWNLOAD = "Could not download https://img.example/{n}.jpg for task 26999{n:04d}"


def failed(provider: str, kind: str, job_id: str, error: str) -> WatchedJob:
    """A stored failed job whose error is ``error``."""
    base = watched(provider, job_id, JobState.FAILED, kind=kind, summary=error)
    assert base.job is not None
    return dataclasses.replace(base, job=base.job.model_copy(update={"error": error}))


def many_failures() -> list[WatchedJob]:
    """40 downloads failing the same way (URL and task id differ), 3 other failures, 5 fine."""
    jobs = [failed("deepo", "deepomatic", f"9{n:04d}", DOWNLOAD.format(n=n))
            for n in range(GROUP_SIZE)]  # fmt: skip
    jobs += [failed("cdf", "cognite", str(n), "Could not decode image") for n in range(3)]
    jobs += [watched("ii", f"ok-{n}", JobState.SUCCEEDED) for n in range(5)]
    return jobs


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "store.sqlite")
    seed_store(store, many_failures())
    yield store
    store.close()


def dashboard(store: Store, tmp_path: Path) -> JobtuiApp:
    return make_app(shell_config(), store, FrozenClock(), None,
                    prefs_path=tmp_path / "prefs.toml", ascii_only=False, tz=UTC)  # fmt: skip


def question(app: JobtuiApp) -> str:
    screen = app.screen
    assert isinstance(screen, ConfirmScreen), f"no confirmation but {screen!r}"
    return str(screen.query_one("#confirm-question").render())


async def open_failures(app: JobtuiApp, pilot: Pilot[Any]) -> FailuresScreen:
    await app.loaded.wait()
    await wait_until_settled(pilot)
    await pilot.press("F")
    await wait_until(pilot, lambda: isinstance(app.screen, FailuresScreen), "the failures view")
    screen = app.screen
    assert isinstance(screen, FailuresScreen)
    return screen


async def test_stop_watching_a_group_reaches_every_job_of_it(
    store: Store, tmp_path: Path
) -> None:
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_failures(app, pilot)
        assert [g.count for g in view.groups] == [GROUP_SIZE, 3]
        assert app.dashboard.job_list.size.height < GROUP_SIZE, "the group must not fit"
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "a confirmation")
        assert f"the {GROUP_SIZE} jobs of this group" in question(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: store.count_jobs() == 8, "the group's jobs removed",
                         detail=store.count_jobs)  # fmt: skip
        assert {j.provider for j in store.list_jobs()} == {"cdf", "ii"}
        # The view, still open, regrouped what is left.
        await wait_until(pilot, lambda: [g.count for g in view.groups] == [3], "the view updated")
        assert app.screen is view


async def test_marking_every_match_then_removing_reaches_the_rows_off_screen(
    store: Store, tmp_path: Path
) -> None:
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_failures(app, pilot)
        term = view.groups[0].signature.term
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.model) == GROUP_SIZE, "the list filtered to it")
        assert app.model.query is not None and app.model.query.text == term
        await pilot.press("asterisk")
        assert len(app.dashboard.job_list.marks) == GROUP_SIZE
        assert app.dashboard.job_list.size.height < GROUP_SIZE
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "a confirmation")
        assert f"{GROUP_SIZE} marked jobs" in question(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: store.count_jobs() == 8, "every marked job removed",
                         detail=store.count_jobs)  # fmt: skip
        assert not app.dashboard.job_list.marks


async def test_cancel_on_a_group_of_ended_jobs_says_none_can_be_canceled(
    store: Store, tmp_path: Path
) -> None:
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_failures(app, pilot)
        await pilot.press("x")

        def toasts() -> list[str]:
            return [str(n.message) for n in app._notifications]

        await wait_until(pilot, lambda: any("None of the 40 jobs" in t for t in toasts()),
                         "the reason nothing is canceled", detail=toasts)  # fmt: skip
        assert isinstance(app.screen, FailuresScreen), "no confirmation for nothing to do"
        assert store.count_jobs() == GROUP_SIZE + 8


async def test_long_messages_wrap_at_80_columns_instead_of_being_cut(tmp_path: Path) -> None:
    long = "Worker pool exhausted while " + " ".join(["resizing the input image"] * 8)
    store = open_store(tmp_path / "store.sqlite")
    seed_store(store, [failed("deepo", "deepomatic", "1", long)])
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await open_failures(app, pilot)
        option_list = view.query_one("#failures-list")
        await wait_until(pilot, lambda: option_list.virtual_size.height > 1, "a wrapped entry")
        lines = [option_list.render_line(y).text.rstrip() for y in range(option_list.size.height)]
        text = " ".join(" ".join(line.split()) for line in lines if line.strip())
        assert str(view.groups[0].signature.message) in text, lines
        assert max(len(line) for line in lines) <= 80 + 2, lines
    store.close()


async def test_j_k_g_G_move_between_groups_and_enter_filters_to_the_one_under_them(
    store: Store, tmp_path: Path
) -> None:
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_failures(app, pilot)
        first, second = view.groups
        assert view.highlighted_group is first
        await pilot.press("j")
        assert view.highlighted_group is second
        await pilot.press("k")
        assert view.highlighted_group is first
        await pilot.press("G")
        assert view.highlighted_group is second
        await pilot.press("g")
        assert view.highlighted_group is first
        await pilot.press("j", "enter")
        await wait_until(pilot, lambda: app.model.query is not None, "the group's filter")
        assert app.model.query is not None and app.model.query.text == second.signature.term
        assert len(app.model.visible_keys()) == second.count == 3
        # Back in the view, the cursor is on the group the list is filtered to.
        view = await open_failures(app, pilot)
        assert view.highlighted_group is not None
        assert view.highlighted_group.signature == second.signature


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_the_keys_stay_in_sight_under_a_long_list_of_groups(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    # Forty causes: more entries than the view has lines, so the list scrolls.
    causes = [f"Cause {chr(65 + n % 26) * (1 + n // 26)}" for n in range(40)]
    jobs = [failed("deepo", "deepomatic", str(n), cause) for n, cause in enumerate(causes)]
    store = open_store(tmp_path / "store.sqlite")
    seed_store(store, jobs)
    app = dashboard(store, tmp_path)
    async with app.run_test(size=size) as pilot:
        view = await open_failures(app, pilot)
        option_list = view.query_one("#failures-list")
        await wait_until(pilot, lambda: option_list.virtual_size.height >= 40, "forty entries")
        await wait_until_settled(pilot)
        hint = view.query_one("#failures-hint")
        dialog = view.query_one("#failures-dialog")
        assert option_list.max_scroll_y > 0, "the list should need scrolling"
        assert hint.region.height == 1, hint.region
        assert dialog.region.contains_region(hint.region), (hint.region, dialog.region)
        assert hint.region.bottom <= size[1], (hint.region, size)
        assert "r refresh" in str(hint.render())
    store.close()


# ------------------------------------------------- a real engine on the simulator

TART = "tensorart"
_JOB_ENDPOINT = "GET /v1/jobs/{id}"


def job_polls(sim: Simulator) -> int:
    """How many Tensor.Art job polls the simulator answered."""
    endpoints = sim.stats()["providers"].get(TART, {}).get("endpoints", {})
    return sum(endpoints.get(_JOB_ENDPOINT, {}).values())


def tart_config(sim: Simulator, tmp_path: Path) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(sim.config_toml(store_jobs=False))
    config = load_config(path)
    # A high rate limit: no request waits for the (manual) clock.
    tart = config.providers[TART].model_copy(update={"rate_limit": 1000.0})
    return config.model_copy(update={"providers": {TART: tart}})


@dataclasses.dataclass
class Rig:
    app: JobtuiApp
    sim: Simulator
    store: Store
    ids: list[str]


@pytest.fixture
async def rig(start_sim: Callable[..., Simulator], tmp_path: Path) -> AsyncIterator[Rig]:
    sim = start_sim(jobs=30, seed=3, speed=0)
    config = tart_config(sim, tmp_path)
    store = open_store(tmp_path / "store.sqlite")
    ids = sim.job_ids(TART)
    # Stored as failed the same way: ended jobs are polled again only when asked.
    seed_store(store, [failed(TART, TART, job_id, "TRANSITORY_ERROR: GPU worker 7 lost")
                       for job_id in ids])  # fmt: skip
    clock = ManualClock(datetime.now(UTC))
    engine = Engine(
        config, store, clock=clock, tick=0.0,
        providers={TART: TensorartProvider(config.providers[TART])},  # type: ignore[arg-type]
        discover=False, follow_interval=0.05,
    )  # fmt: skip
    app = make_app(config, store, clock, engine, ascii_only=False, tz=UTC)
    yield Rig(app, sim, store, ids)
    store.close()


async def test_bulk_refresh_polls_every_job_of_the_group_and_the_view_follows(rig: Rig) -> None:
    app = rig.app
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_failures(app, pilot)
        assert [g.count for g in view.groups] == [len(rig.ids)]
        assert app.dashboard.job_list.size.height < len(rig.ids)
        before = job_polls(rig.sim)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "a confirmation")
        assert f"Refresh the {len(rig.ids)} jobs of this group now?" in question(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: job_polls(rig.sim) >= before + len(rig.ids),
                         "one poll per job of the group",
                         detail=lambda: job_polls(rig.sim) - before)  # fmt: skip
        # The simulator's answers replace the stored failure: the open view regroups.
        still = {r.id for r in app.model.rows() if r.state is JobState.FAILED}

        def regrouped() -> bool:
            return all(g.signature.message != "GPU worker <n> lost" for g in view.groups)

        await wait_until(pilot, regrouped, "the view regrouped from the fresh answers",
                         detail=lambda: [str(g.signature) for g in view.groups])  # fmt: skip
        assert sum(g.count for g in view.groups) == len(
            {r.id for r in app.model.rows() if r.state in (JobState.FAILED, JobState.PARTIAL)}
        ), still


async def test_the_view_shows_failures_another_process_wrote(rig: Rig, tmp_path: Path) -> None:
    app = rig.app
    async with app.run_test(size=(120, 36)) as pilot:
        view = await open_failures(app, pilot)
        assert sum(g.count for g in view.groups) == len(rig.ids)
        # Another process (a `jobtui poll` elsewhere) records new failures in the same file.
        other = Store(tmp_path / "store.sqlite")
        try:
            seed_store(other, [failed("deepo", "deepomatic", str(n), DOWNLOAD.format(n=n))
                               for n in range(3)])  # fmt: skip
        finally:
            other.close()
        def arrived() -> bool:
            return any(g.count == 3 and g.signature.kind == "deepomatic" for g in view.groups)

        await wait_until(pilot, arrived, "the other process's failures in the open view",
                         detail=lambda: [(g.count, str(g.signature)) for g in view.groups])
        assert app.screen is view
