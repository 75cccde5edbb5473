"""What one member of a shared pool learns about a provider holds for every member.

Two engines in shared mode on one store file (two ``Store`` objects, as two
processes would open it), the simulator over loopback. A 429 with
Retry-After answered to one of them quiets both; refused credentials stop
both, and a retry from either lifts it for both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from jobtui.engine import Engine
from jobtui.model import HealthState
from jobtui.sim import Simulator
from jobtui.store import Store

from support.engine_sim import sim_config
from support.waiting import wait_for

StartSim = Callable[..., Simulator]
DEEPO = "deepomatic"
PERIOD = 2.0


def request_times(sim: Simulator) -> list[float]:
    detail = sim.stats(detail=True)["detail"]
    return sorted(detail.get(DEEPO, {"times": []})["times"])


@pytest.fixture
async def pool(
    start_sim: StartSim, tmp_path: Path
) -> AsyncIterator[tuple[Simulator, list[Engine]]]:
    """A simulator with 300 active Deepomatic jobs and two shared engines polling them."""
    sim = start_sim(jobs=0, seed=31, speed=0)
    ids = [sim.create_job(DEEPO) for _ in range(300)]
    steady = {"poll_interval": 0.5, "max_interval": 0.5, "rate_limit": 50.0}
    config = sim_config(tmp_path / "config.toml", sim, jobs=False, only=(DEEPO,), defaults=steady)
    path = tmp_path / "jobs.sqlite"
    stores = [Store(path), Store(path)]
    stores[0].add_jobs([(DEEPO, DEEPO, job_id, None) for job_id in ids])
    engines = [
        Engine(config, store, lease_period=PERIOD, shared=True, discover=False) for store in stores
    ]
    runs = [asyncio.create_task(engine.run()) for engine in engines]
    try:
        await wait_for(
            lambda: all(e.polls_here(DEEPO) and e.health()[DEEPO].requests for e in engines),
            "both engines polling",
        )
        yield sim, engines
    finally:
        for engine in engines:
            engine.stop()
        await asyncio.gather(*runs, return_exceptions=True)
        for engine in engines:
            await engine.aclose()
        for store in stores:
            store.close()


async def test_a_retry_after_seen_by_one_member_quiets_every_member(
    pool: tuple[Simulator, list[Engine]],
) -> None:
    sim, engines = pool
    sim.inject_fault(DEEPO, "429", retry_after=2, count=1)
    await wait_for(
        lambda: sim.stats()["providers"][DEEPO]["faults"].get("429", 0) >= 1, "the 429 answered"
    )
    refused_at = max(request_times(sim))  # the 429 is the newest request when it is counted
    await wait_for(
        lambda: request_times(sim)[-1] > refused_at + 2.0, "requests again after the quiet"
    )
    times = request_times(sim)
    # Requests already granted when the 429 came may still land; after that, silence.
    quiet = [t for t in times if refused_at + 0.5 < t < refused_at + 1.9]
    assert not quiet, f"{len(quiet)} requests during the Retry-After"
    blocked = [e.store.provider_block(DEEPO) for e in engines]
    assert all(b is not None and b.state == "rate_limited" for b in blocked), blocked


async def test_refused_credentials_stop_every_member_and_a_retry_lifts_it(
    pool: tuple[Simulator, list[Engine]],
) -> None:
    sim, engines = pool
    engines[0].store.block_provider(DEEPO, state="auth_failed", until=None, reason="401 refused")
    await wait_for(
        lambda: all(e.health()[DEEPO].state is HealthState.AUTH_FAILED for e in engines),
        "both members see the auth failure",
    )
    stopped = len(request_times(sim))
    engines[1].retry_provider(DEEPO)
    await wait_for(
        lambda: all(e.health()[DEEPO].state is HealthState.OK for e in engines),
        "both members polling again",
        timeout=3 * PERIOD + 10,
    )
    await wait_for(lambda: len(request_times(sim)) > stopped, "requests again")
