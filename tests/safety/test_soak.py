"""Soak: one simulated hour of 5,000 jobs with 5 % faults, on virtual clocks (``make soak``).

The simulator (frozen, moved by hand) and the engine (a ManualClock) advance
together in steps; after each step the test waits until the engine has
polled every job that fell due (or can make no more progress without time
moving). At the end: nothing crashed, memory stopped growing, every job is
terminal, and every job's transition history is a consecutive chain that
ends in its terminal state.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobtui.config.model import Config
from jobtui.engine import Engine, ManualClock
from jobtui.providers import KINDS
from jobtui.sim import Simulator
from jobtui.store import Store

from support.sim_configs import sim_config

STEP = 10.0
"""Virtual seconds per step."""
STALL_TURNS = 40
"""Loop turns without a store write after which the step counts as done (waiting on time)."""


@dataclass
class SoakResult:
    jobs: int
    requests: int
    faults_seen: int
    memory_growth: int
    """Bytes allocated after the warm-up and still held when the hour ends."""
    active_after_hour: int
    """Jobs still active when the hour ended (they finish during the drain)."""
    not_terminal: list[tuple[str, str, str]]
    broken_histories: list[str]
    crashes: list[BaseException]


class _ErrorLog(logging.Handler):
    """Keeps every ERROR record (with its traceback) the engine logs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(logging.Formatter().format(record))


def _requests(sim: Simulator) -> tuple[int, int]:
    """(all requests, answers with an error status) the simulator has served."""
    total = errors = 0
    for provider in sim.stats()["providers"].values():
        for statuses in provider.get("endpoints", {}).values():
            for status, count in statuses.items():
                total += count
                errors += count if str(status)[:1] in "45" else 0
    return total, errors


async def settle(engine: Engine, clock: ManualClock) -> None:
    """Let the engine poll everything due now, or until it waits on the clock."""
    quiet = 0
    writes = engine.writes
    while quiet < STALL_TURNS:
        now = clock.now()
        due = any(
            not job.state.terminal and (job.next_poll_at is None or job.next_poll_at <= now)
            for job in engine.jobs().values()
        )
        if not due:
            return
        await asyncio.sleep(0.005)
        if engine.writes == writes:
            quiet += 1
        else:
            quiet, writes = 0, engine.writes


async def soak(
    tmp_path: Path, jobs_per_kind: int, seconds: float, faults: float, drain: float
) -> SoakResult:
    """Run ``seconds``, then up to ``drain`` more until every job is terminal; report.

    Some seeded jobs legitimately outlive the hour (a Tensor.Art video runs up to an
    hour after it queued), so the faults stay on through the drain too.
    """
    sim = Simulator(jobs=jobs_per_kind, seed=5, faults=faults, speed=0, slow_delay=0.2)
    sim.start_in_thread()
    store = Store(tmp_path / "soak.sqlite")
    clock = ManualClock()
    providers = {
        kind: sim_config(
            sim, kind, poll_interval=30.0, max_interval=120.0, timeout=5.0, rate_limit=1000.0
        )
        for kind in KINDS
    }
    config = Config(providers=providers)
    store.add_jobs((kind, kind, job_id, None) for kind in KINDS for job_id in sim.job_ids(kind))
    engine = Engine(config, store, clock=clock, tick=0.0, discover=False)
    crashes: list[BaseException] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(
        lambda _loop, context: crashes.append(
            context.get("exception") or RuntimeError(str(context.get("message")))
        )
    )
    # A poller survives an exception by logging it: for the soak that is a crash all the same.
    errors_logged = _ErrorLog()
    logging.getLogger("jobtui").addHandler(errors_logged)
    await engine.load()  # so that the first step already sees every job as due
    runner = asyncio.create_task(engine.run())
    growth = 0
    active_after_hour = 0
    try:
        steps = int(seconds / STEP)
        warm_up = steps // 3
        for step in range(steps + int(drain / STEP)):
            if step == warm_up:
                gc.collect()
                tracemalloc.start()
            if step == steps:
                # The hour is over: memory is measured here, before the drain.
                gc.collect()
                growth = tracemalloc.get_traced_memory()[0]
                tracemalloc.stop()
                active_after_hour = sum(1 for j in engine.jobs().values() if not j.state.terminal)
            sim.clock.advance(STEP)
            clock.advance(STEP)
            await settle(engine, clock)
            if runner.done():
                break
            if step >= steps and all(job.state.terminal for job in engine.jobs().values()):
                break
        if tracemalloc.is_tracing():
            tracemalloc.stop()
    finally:
        engine.stop()
        if runner.done() and runner.exception() is not None:
            crashes.append(runner.exception())  # type: ignore[arg-type]
        await asyncio.gather(runner, return_exceptions=True)
        await engine.aclose()
        loop.set_exception_handler(None)
        logging.getLogger("jobtui").removeHandler(errors_logged)
        crashes.extend(RuntimeError(message) for message in errors_logged.messages)
    jobs = store.list_jobs()
    not_terminal = [(j.provider, j.id, j.state.value) for j in jobs if not j.state.terminal]
    broken: list[str] = []
    for job in jobs:
        history = store.transitions(job.provider, job.id)
        if not history:
            broken.append(f"{job.provider}/{job.id}: no transitions")
            continue
        if history[0].from_state is not None:
            broken.append(f"{job.provider}/{job.id}: first transition from {history[0].from_state}")
        for before, after in itertools.pairwise(history):
            if after.from_state != before.to_state or after.at < before.at:
                broken.append(f"{job.provider}/{job.id}: gap {before} -> {after}")
        if history[-1].to_state != job.state:
            broken.append(f"{job.provider}/{job.id}: ends {history[-1].to_state}, is {job.state}")
    requests, errors = _requests(sim)
    store.close()
    sim.stop_in_thread()
    return SoakResult(
        len(jobs), requests, errors, growth, active_after_hour, not_terminal, broken, crashes
    )


@pytest.mark.slow
async def test_one_simulated_hour_of_5000_jobs_with_5_percent_faults(tmp_path: Path) -> None:
    result = await soak(tmp_path, jobs_per_kind=1000, seconds=3600.0, faults=0.05, drain=7200.0)
    assert not result.crashes, result.crashes[:3]
    assert result.jobs == 5000
    assert result.faults_seen > 0, "no fault was injected: the soak proved nothing"
    assert not result.not_terminal, result.not_terminal[:10]
    assert not result.broken_histories, result.broken_histories[:10]
    # Flat: what the last two thirds of the hour left allocated is small and bounded
    # (every job's latest snapshot is replaced, never accumulated).
    assert result.memory_growth < 32 * 1024 * 1024, result.memory_growth
    print(f"soak: {result}")


async def test_soak_machinery_on_a_small_world(tmp_path: Path) -> None:
    # The same run in miniature, in the default tier, so the soak cannot rot unnoticed.
    result = await soak(tmp_path, jobs_per_kind=8, seconds=3600.0, faults=0.05, drain=7200.0)
    assert not result.crashes
    assert result.jobs == 40
    assert not result.not_terminal, result.not_terminal
    assert not result.broken_histories, result.broken_histories
