"""Keys that reach the poller, with a real engine polling the simulator over loopback HTTP.

Refresh, refresh all, pause, the interval keys and cancel; and a start-up
with a provider that cannot be reached. The engine runs on a ManualClock, so
nothing is polled again unless a key (or the test) asks for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobtui.config import load_config
from jobtui.config.model import Config
from jobtui.engine import Engine
from jobtui.engine.clock import ManualClock
from jobtui.model import HealthState, JobState
from jobtui.providers.tensorart.client import TensorartProvider
from jobtui.sim import Simulator
from jobtui.store import Store
from jobtui.tui.app import JobtuiApp, make_app
from jobtui.tui.screens.confirm import ConfirmScreen
from jobtui.tui.widgets.statusbar import StatusBar

from support.tui_data import NOW, open_store, seed_store, watched
from support.waiting import wait_until, wait_until_settled

TART = "tensorart"
_JOB_ENDPOINT = "GET /v1/jobs/{id}"


pytestmark = pytest.mark.usefixtures("no_user_config")


def job_polls(sim: Simulator) -> int:
    """How many times the simulator answered a Tensor.Art job poll."""
    endpoints = sim.stats()["providers"].get(TART, {}).get("endpoints", {})
    return sum(endpoints.get(_JOB_ENDPOINT, {}).values())


def tart_config(sim: Simulator, tmp_path: Path) -> Config:
    """The simulator's config, with Tensor.Art (the provider that can cancel) alone in it.

    Its rate limit is raised so that no request waits for the (manual) clock.
    """
    path = tmp_path / "config.toml"
    path.write_text(sim.config_toml(store_jobs=False))
    config = load_config(path)
    tart = config.providers[TART].model_copy(update={"rate_limit": 1000.0})
    return config.model_copy(update={"providers": {TART: tart}})


@dataclasses.dataclass
class Rig:
    """A dashboard on a real engine, store and simulator."""

    app: JobtuiApp
    engine: Engine
    sim: Simulator
    store: Store


@pytest.fixture
async def rig(start_sim: Callable[..., Simulator], tmp_path: Path) -> AsyncIterator[Rig]:
    sim = start_sim(jobs=4, seed=3, speed=0)
    config = tart_config(sim, tmp_path)
    store = open_store(tmp_path / "store.sqlite")
    store.add_jobs((TART, TART, job_id, None) for job_id in sim.job_ids(TART))
    clock = ManualClock(datetime.now(UTC))
    engine = Engine(
        config, store, clock=clock, tick=0.0,
        providers={TART: TensorartProvider(config.providers[TART])},  # type: ignore[arg-type]
        discover=False,
    )
    app = make_app(config, store, clock, engine, ascii_only=False, tz=UTC)
    yield Rig(app, engine, sim, store)
    store.close()


def polled(rig: Rig) -> bool:
    rows = [row for row in rig.app.model.rows() if row.provider == TART]
    return bool(rows) and all(row.watched.job is not None for row in rows)


async def test_r_polls_the_selected_job_now(rig: Rig) -> None:
    app = rig.app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: polled(rig), "first poll of every job")
        before = job_polls(rig.sim)
        await pilot.press("r")
        await wait_until(pilot, lambda: job_polls(rig.sim) == before + 1, "one more poll")
        assert any("Refreshing 1 job" in str(n.message) for n in app._notifications)
        # The providers pane counts the requests (they change without a health event).
        app._tick()
        await pilot.press("1", "j")

        def details() -> str:
            return str(app.dashboard.sidebar.query_one("#provider-health").render())

        await wait_until(
            pilot,
            lambda: f"requests {rig.engine.health()[TART].requests}," in details(),
            "the providers pane counting the engine's requests",
            detail=details,
        )
        assert "requests 0," not in details()


@pytest.mark.parametrize("key", ["R", "ctrl+r"])
async def test_refresh_all_polls_every_job(rig: Rig, key: str) -> None:
    app = rig.app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: polled(rig), "first poll of every job")
        before = job_polls(rig.sim)
        jobs = sum(1 for row in app.model.rows() if row.provider == TART)
        await pilot.press(key)
        await wait_until(pilot, lambda: job_polls(rig.sim) >= before + jobs, "a poll of each job")


async def test_p_pauses_the_engine_and_plus_minus_scale_it(rig: Rig) -> None:
    app = rig.app
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        bar = app.dashboard.query_one(StatusBar)
        await pilot.press("p")
        assert rig.engine.paused and "PAUSED" in bar.render().plain
        await pilot.press("p")
        assert not rig.engine.paused and "PAUSED" not in bar.render().plain
        await pilot.press("plus")
        assert rig.engine.interval_scale == 2.0 and "intervals x2" in bar.render().plain
        await pilot.press("minus", "minus")
        assert rig.engine.interval_scale == 0.5 and "intervals x0.5" in bar.render().plain


async def test_x_asks_then_cancels_at_the_provider(rig: Rig) -> None:
    app = rig.app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: polled(rig), "first poll of every job")
        running = [
            row.key for row in app.model.rows()
            if row.provider == TART and row.state is JobState.RUNNING
        ]
        assert running, "the seeded world has a running Tensor.Art job"
        app.dashboard.job_list.move_cursor_to_key(running[0])
        await wait_until(
            pilot,
            lambda: "cancel" in app.dashboard.query_one(StatusBar).render().plain,
            "cancel hinted for a running job",
        )
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirm")
        await pilot.press("n")
        await wait_until(
            pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the confirm closed on n"
        )
        await pilot.press("x", "y")
        await wait_until(
            pilot,
            lambda: app.model.row(running[0]).state is JobState.CANCELED,  # type: ignore[union-attr]
            "the job shows canceled",
        )
        assert any("Cancel sent for 1 job" in str(n.message) for n in app._notifications)
        # Canceled now: nothing left to cancel, so the key is neither hinted nor active.
        await wait_until(
            pilot,
            lambda: " cancel " not in app.dashboard.query_one(StatusBar).render().plain,
            "cancel no longer hinted",
        )
        await pilot.press("x")
        await wait_until_settled(pilot)
        assert app.screen is app.dashboard


async def test_start_up_paints_stored_jobs_while_the_provider_is_unreachable(
    start_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = start_sim(jobs=0, seed=3, speed=0)
    config = tart_config(sim, tmp_path)
    # Port 9 (discard) is closed on loopback: every connection is refused at once.
    dead = config.providers[TART].model_copy(update={"base_url": "http://127.0.0.1:9"})
    config = config.model_copy(update={"providers": {TART: dead}})
    store = open_store(tmp_path / "store.sqlite")
    seed_store(store, [watched(TART, "t-1", JobState.RUNNING, kind=TART, summary="stored")])
    clock = ManualClock(NOW)
    engine = Engine(
        config, store, clock=clock, tick=0.0,
        providers={TART: TensorartProvider(dead)},  # type: ignore[arg-type]
        discover=False,
    )
    app = make_app(config, store, clock, engine, ascii_only=False, tz=UTC)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await app.loaded.wait()
            assert app.model.row((TART, "t-1")) is not None  # painted from the store
            await wait_until(
                pilot,
                lambda: TART in app.health and app.health[TART].state is not HealthState.OK,
                "the provider's health turns bad",
            )
            await pilot.press("1", "j")

            def health_text() -> str:
                return str(app.dashboard.sidebar.query_one("#provider-health").render())

            await wait_until(
                pilot,
                lambda: "unreachable" in health_text() and "last error:" in health_text(),
                "the unreachable provider's health shown",
                detail=health_text,
            )
            details = health_text()
            assert "data as of 11:59:40" in details
            prompts = [str(o.prompt) for o in app.dashboard.sidebar.option_list.options]
            assert any(TART in prompt and "unreachable" in prompt for prompt in prompts)
            # The stored row is still there, as it was.
            row = app.model.row((TART, "t-1"))
            assert row is not None and row.summary == "stored"
    finally:
        store.close()
