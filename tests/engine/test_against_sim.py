"""The engine against the simulator over real loopback HTTP, time driven by hand.

The simulator runs frozen (speed 0) in the test's loop and the engine on a
``ManualClock``; each step moves both clocks together, so every poll sees the
simulated world at a known instant and no test waits for real time.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jobtui.engine import Backoff, Engine, ManualClock
from jobtui.model import HealthState, Job, JobState
from jobtui.providers import create_provider
from jobtui.sim import Simulator
from jobtui.store import PollOutcome, Store

from support.engine_sim import drive, run_to_end, settle, sim_config
from support.waiting import wait_for

StartSim = Callable[..., Simulator]


def clock_now() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC)


FAST = {"poll_interval": 60.0, "max_interval": 60.0, "rate_limit": 1000.0}


def stats_of(sim: Simulator, kind: str) -> dict[str, Any]:
    providers: dict[str, Any] = sim.stats()["providers"]
    return providers.get(kind, {"requests": 0, "endpoints": {}, "statuses": {}})


def endpoint_count(sim: Simulator, kind: str, endpoint: str) -> int:
    return sum(stats_of(sim, kind)["endpoints"].get(endpoint, {}).values())


async def test_every_job_ends_and_the_store_holds_every_change(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=6, seed=3, speed=0)
    config = sim_config(tmp_path / "config.toml", sim, defaults=FAST)
    clock = ManualClock()
    store = Store(tmp_path / "jobs.sqlite")
    engine = Engine(config, store, clock=clock)
    # An independent observer fetches every job at every step with its own clients: the
    # distinct states it sees, in order, are the history the store must hold.
    observers = {name: create_provider(cfg) for name, cfg in config.providers.items()}
    seen: dict[tuple[str, str], list[JobState]] = {}
    all_keys = [(j.provider, j.id) for j in config.jobs]

    async def observe() -> None:
        for name, provider in observers.items():
            ids = [job_id for owner, job_id in all_keys if owner == name]
            for job_id, result in zip(ids, await provider.fetch(ids), strict=True):
                assert isinstance(result, Job), result
                states = seen.setdefault((name, job_id), [])
                if not states or states[-1] is not result.state:
                    states.append(result.state)

    def finished() -> bool:
        return all(j.state.terminal for j in engine.jobs().values())

    runner = asyncio.create_task(engine.run())
    try:
        await drive(engine, clock, sim, finished, step=60.0, limit=400, each_step=observe)
    finally:
        engine.stop()
        await runner
        await engine.aclose()
        for provider in observers.values():
            await provider.aclose()
    assert len(all_keys) == 30
    for provider, job_id in all_keys:
        history = store.transitions(provider, job_id)
        assert [t.to_state for t in history] == seen[(provider, job_id)], (provider, job_id)
        assert history[0].from_state is None
        for before, after in itertools.pairwise(history):
            assert after.from_state is before.to_state
        watched = store.get_job(provider, job_id)
        assert watched is not None and watched.job is not None
        assert watched.state.terminal and watched.next_poll_at is None
        assert watched.poll_error is None
    store.close()


async def test_finished_jobs_are_not_polled_again_unless_asked(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=6, seed=3, speed=0)
    sim.clock.advance(10 * 24 * 3600.0)  # every seeded job has ended
    config = sim_config(tmp_path / "config.toml", sim, defaults=FAST, only=("tensorart",))
    clock = ManualClock()
    store = Store(tmp_path / "jobs.sqlite")
    engine = Engine(config, store, clock=clock)
    runner = asyncio.create_task(engine.run())
    try:
        await settle(engine)
        first = endpoint_count(sim, "tensorart", "GET /v1/jobs/{id}")
        assert first == 6
        assert all(j.state.terminal for j in engine.jobs().values())
        for _ in range(5):
            clock.advance(600)
            sim.clock.advance(600)
            await settle(engine)
        assert endpoint_count(sim, "tensorart", "GET /v1/jobs/{id}") == first
        some = next(iter(engine.jobs()))
        engine.refresh([some])
        await settle(engine)
        assert endpoint_count(sim, "tensorart", "GET /v1/jobs/{id}") == first + 1
    finally:
        engine.stop()
        await runner
        await engine.aclose()
        store.close()


async def test_deepomatic_sweeps_use_one_request_per_hundred_tasks(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=250, seed=1, speed=0)
    config = sim_config(tmp_path / "config.toml", sim, defaults=FAST, only=("deepomatic",))
    store = Store(tmp_path / "jobs.sqlite")
    engine = Engine(config, store, clock=ManualClock())
    try:
        await engine.sweep(all_jobs=True)
        stats = stats_of(sim, "deepomatic")
        assert stats["requests"] == math.ceil(250 / 100)
        assert stats["endpoints"] == {"GET /v0.7/tasks/": {"200": 3}}
        assert all(j.job is not None for j in engine.jobs().values())
        # Without --all only the active ones go, still a hundred per request.
        active = sum(1 for j in engine.jobs().values() if not j.state.terminal)
        assert 0 < active < 250
        await engine.sweep()
        assert stats_of(sim, "deepomatic")["requests"] == 3 + math.ceil(active / 100)
    finally:
        await engine.aclose()
        store.close()


async def test_retry_after_holds_the_provider_for_the_asked_seconds(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=3, seed=2, speed=0)
    config = sim_config(tmp_path / "config.toml", sim, defaults=FAST, only=("imageintelligence",))
    clock = ManualClock()
    store = Store(tmp_path / "jobs.sqlite")
    engine = Engine(config, store, clock=clock)
    sim.inject_fault("imageintelligence", "429", retry_after=3)
    runner = asyncio.create_task(engine.run())
    try:
        await settle(engine)
        health = engine.health()["imageintelligence"]
        assert health.state is HealthState.RATE_LIMITED
        assert health.next_retry_at == clock.now() + timedelta(seconds=3)
        failed = [k for k, j in engine.jobs().items() if j.poll_error is not None]
        assert len(failed) == 1 and "429" in str(engine.jobs()[failed[0]].poll_error)
        assert engine.jobs()[failed[0]].next_poll_at == clock.now() + timedelta(seconds=3)
        before = stats_of(sim, "imageintelligence")["requests"]
        clock.advance(2.9)
        await settle(engine)
        assert stats_of(sim, "imageintelligence")["requests"] == before
        clock.advance(0.1)
        await settle(engine)
        assert stats_of(sim, "imageintelligence")["requests"] > before
        assert engine.jobs()[failed[0]].poll_error is None
        assert engine.health()["imageintelligence"].state is HealthState.OK
    finally:
        engine.stop()
        await runner
        await engine.aclose()
        store.close()


async def test_server_errors_back_off_exponentially_with_full_jitter(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=1, seed=2, speed=0)
    defaults = {**FAST, "poll_interval": 2.0, "max_interval": 600.0}
    config = sim_config(tmp_path / "config.toml", sim, defaults=defaults, only=("tensorart",))
    clock = ManualClock()
    store = Store(tmp_path / "jobs.sqlite")
    engine = Engine(config, store, clock=clock, rng=random.Random(11))
    # The same draws the engine makes: base min(1, poll_interval), doubling per failure.
    expected = Backoff(base=1.0, cap=600.0, rng=random.Random(11))
    key = ("tensorart", sim.job_ids("tensorart")[0])
    sim.inject_fault("tensorart", "500", count=3)
    runner = asyncio.create_task(engine.run())
    try:
        for attempt in range(3):
            await settle(engine)
            watched = engine.jobs()[key]
            delay = expected.delay(attempt)
            assert 0 <= delay <= 2.0**attempt
            assert watched.next_poll_at == clock.now() + timedelta(seconds=delay)
            assert watched.poll_error is not None and "500" in watched.poll_error
            assert engine.health()["tensorart"].state is HealthState.DEGRADED
            requests = stats_of(sim, "tensorart")["requests"]
            clock.advance(delay * 0.99)
            await settle(engine)
            assert stats_of(sim, "tensorart")["requests"] == requests
            clock.advance(delay * 0.01 + 1e-6)
        await settle(engine)
        assert engine.jobs()[key].poll_error is None
        assert engine.jobs()[key].job is not None
    finally:
        engine.stop()
        await runner
        await engine.aclose()
        store.close()


async def test_wrong_credentials_stop_one_provider_and_retry_resumes_it(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=5, seed=4, speed=0)
    config = sim_config(
        tmp_path / "config.toml",
        sim,
        defaults=FAST,
        only=("deepomatic", "superai"),
        providers={"deepomatic": {"api_key": "wrong-key"}},
    )
    clock = ManualClock()
    store = Store(tmp_path / "jobs.sqlite")
    engine = Engine(config, store, clock=clock)
    runner = asyncio.create_task(engine.run())
    try:
        await settle(engine)
        health = engine.health()["deepomatic"]
        assert health.state is HealthState.AUTH_FAILED and health.paused
        assert stats_of(sim, "deepomatic")["statuses"] == {"401": 1}
        deepo = [j for (p, _), j in engine.jobs().items() if p == "deepomatic"]
        assert all(j.state is JobState.UNKNOWN and j.poll_error for j in deepo)
        assert all("wrong-key" not in str(j.poll_error) for j in deepo)
        superai_before = stats_of(sim, "superai")["requests"]
        for _ in range(3):
            clock.advance(60)
            sim.clock.advance(60)
            await settle(engine)
        assert stats_of(sim, "deepomatic")["requests"] == 1
        assert stats_of(sim, "superai")["requests"] > superai_before
        engine.retry_provider("deepomatic")
        await settle(engine)
        assert stats_of(sim, "deepomatic")["requests"] == 2
        assert engine.health()["deepomatic"].state is HealthState.AUTH_FAILED
    finally:
        engine.stop()
        await runner
        await engine.aclose()
        store.close()


async def test_a_restart_resumes_from_the_store_with_nothing_lost_or_doubled(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=6, seed=5, speed=0)
    config = sim_config(tmp_path / "config.toml", sim, defaults=FAST)
    path = tmp_path / "jobs.sqlite"
    clock = ManualClock()

    def finished(engine: Engine) -> Callable[[], bool]:
        return lambda: all(j.state.terminal for j in engine.jobs().values())

    store = Store(path)
    first = Engine(config, store, clock=clock)
    runner = asyncio.create_task(first.run())
    for _ in range(5):
        await settle(first)
        clock.advance(60)
        sim.clock.advance(60)
    await settle(first)
    first.stop()
    await runner
    await first.aclose()
    halfway = {(j.provider, j.id): j.state for j in store.list_jobs()}
    store.close()
    assert not all(s.terminal for s in halfway.values())

    store = Store(path)
    second = Engine(config, store, clock=clock)
    runner = asyncio.create_task(second.run())
    try:
        await drive(second, clock, sim, finished(second), step=60.0, limit=400)
    finally:
        second.stop()
        await runner
        await second.aclose()
    jobs = store.list_jobs()
    assert len(jobs) == len(config.jobs) == 30
    assert {(j.provider, j.id) for j in jobs} == set(halfway)
    for watched in jobs:
        assert watched.state.terminal
        history = store.transitions(watched.provider, watched.id)
        assert history[0].from_state is None
        assert [t.from_state for t in history[1:]] == [t.to_state for t in history[:-1]]
        # A restart must not record a job's stored state a second time.
        assert all(t.from_state is not t.to_state for t in history)
        assert history[-1].to_state is watched.state
    store.close()


async def test_not_found_marks_unknown_and_keeps_the_last_good_snapshot(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=1, seed=6, speed=0)
    config = sim_config(tmp_path / "config.toml", sim, defaults=FAST, only=("superai",))
    store = Store(tmp_path / "jobs.sqlite")
    engine = Engine(config, store, clock=ManualClock())
    real = sim.job_ids("superai")[0]
    try:
        await engine.add_jobs("superai", ["987654321"])
        await engine.sweep(all_jobs=True)
        snapshot = engine.jobs()[("superai", real)].job
        assert snapshot is not None
        gone = engine.jobs()[("superai", "987654321")]
        assert gone.state is JobState.UNKNOWN and gone.poll_error == "not found at provider"
        # The same job id vanishing later: state unknown, the snapshot stays.
        await asyncio.to_thread(store.add_jobs, [("superai", "superai", "12345", None)])
        good = snapshot.model_copy(update={"id": "12345"})
        await asyncio.to_thread(
            store.save_outcomes, [PollOutcome("superai", "12345", clock_now(), None, job=good)]
        )
        fresh = Engine(config, store, clock=ManualClock())
        await fresh.sweep(all_jobs=True)
        kept = fresh.jobs()[("superai", "12345")]
        assert kept.state is JobState.UNKNOWN
        assert kept.poll_error == "not found at provider"
        # Loaded for the list without its payload; the store keeps the whole snapshot.
        assert kept.job == good.model_copy(update={"raw": None})
        whole = store.get_job("superai", "12345")
        assert whole is not None and whole.job == good and whole.state is JobState.UNKNOWN
        await fresh.aclose()
    finally:
        await engine.aclose()
        store.close()


async def test_a_hung_provider_does_not_delay_the_others(
    start_sim: StartSim, tmp_path: Path
) -> None:
    held: list[asyncio.StreamWriter] = []

    async def never_answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    hung = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = hung.sockets[0].getsockname()[1]
    sim = start_sim(jobs=4, seed=7, speed=0)
    config = sim_config(
        tmp_path / "config.toml",
        sim,
        defaults={**FAST, "timeout": 3600.0},
        only=("imageintelligence", "cognite", "deepomatic"),
        providers={"deepomatic": {"base_url": f"http://127.0.0.1:{port}"}},
    )
    clock = ManualClock()
    store = Store(tmp_path / "jobs.sqlite")
    engine = Engine(config, store, clock=clock)
    runner = asyncio.create_task(engine.run())
    try:
        def others_polled() -> bool:
            # Every job of the others polled for now while Deepomatic still hangs. Until
            # Deepomatic's request is held, the engine may still be loading its watch list
            # (which counts as busy too, with no job known yet): not a state to judge.
            now = clock.now()
            others = [
                job for (provider, _), job in engine.jobs().items() if provider != "deepomatic"
            ]
            due = [
                job
                for job in others
                if not job.state.terminal
                and (job.polled_at is None or (job.next_poll_at or now) <= now)
            ]
            return len(held) == 1 and bool(others) and engine.busy == 1 and not due

        for _ in range(3):
            await wait_for(
                others_polled,
                "the other providers polled while Deepomatic hangs",
                detail=lambda: (engine.busy, sim.stats()["requests"]),
            )
            clock.advance(60)
            sim.clock.advance(60)
        polled = [j for (p, _), j in engine.jobs().items() if p != "deepomatic"]
        assert all(j.polled_at is not None for j in polled)
        seen = {key: (j.polled_at, j.state, j.poll_error) for key, j in engine.jobs().items()}
        assert stats_of(sim, "imageintelligence")["requests"] >= 8, (sim.stats(), seen)
        assert len(held) == 1  # the hung request is still waiting
        assert all(j.polled_at is None for (p, _), j in engine.jobs().items() if p == "deepomatic")
    finally:
        engine.stop()
        await runner
        await engine.aclose()
        store.close()
        for writer in held:
            writer.close()
        hung.close()
        await hung.wait_closed()


async def test_a_sweep_retries_a_job_hit_by_a_passing_429(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=3, seed=8, speed=0)
    config = sim_config(tmp_path / "config.toml", sim, defaults=FAST, only=("superai",))
    clock = ManualClock()
    store = Store(tmp_path / "jobs.sqlite")
    engine = Engine(config, store, clock=clock)
    sim.inject_fault("superai", "429", retry_after=2)
    sweep = asyncio.create_task(engine.sweep(all_jobs=True, retries=2, max_wait=5.0))
    try:
        # The lease is taken and every job polled once: one of them met the 429.
        await wait_for(
            lambda: any(j.poll_error for j in engine.jobs().values()),
            "a poll answered 429",
            detail=lambda: {k: j.poll_error for k, j in engine.jobs().items()},
        )
        await settle(engine)
        assert not sweep.done()
        assert sum(1 for j in engine.jobs().values() if j.poll_error) == 1
        clock.advance(2)
        await sweep
        assert all(j.job is not None and j.poll_error is None for j in engine.jobs().values())
        # A wait longer than the bound is not taken: the job keeps its error.
        sim.inject_fault("superai", "429", retry_after=30)
        await engine.sweep(all_jobs=True, retries=2, max_wait=5.0)
        assert sum(1 for j in engine.jobs().values() if j.poll_error) == 1
    finally:
        await engine.aclose()
        store.close()


async def test_a_status_sweep_leaves_no_job_unknown_under_random_faults(
    start_sim: StartSim, tmp_path: Path
) -> None:
    # What `jobtui sim --faults 0.1` serves: 429s, 5xx, cut-off bodies, late answers.
    sim = start_sim(jobs=12, seed=12, speed=0, faults=0.15, slow_delay=0.01)
    config = sim_config(tmp_path / "config.toml", sim, defaults={"rate_limit": 1000.0})
    clock = ManualClock()
    store = Store(tmp_path / "jobs.sqlite")
    engine = Engine(config, store, clock=clock, rng=random.Random(1))
    try:
        await run_to_end(engine, clock, engine.sweep(all_jobs=True, retries=3, max_wait=5.0))
        faults = sum(sum(p["faults"].values()) for p in sim.stats()["providers"].values())
        assert faults >= 5  # the faults did happen...
        rows = list(engine.jobs().values())
        assert len(rows) == 60
        # ...and every job still got its answer within the one sweep.
        assert [(j.provider, j.id) for j in rows if j.poll_error or j.job is None] == []
    finally:
        await engine.aclose()
        store.close()


async def test_every_provider_reports_a_missing_job_as_not_found(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=2, seed=3, speed=0)
    config = sim_config(tmp_path / "config.toml", sim, defaults=FAST)
    store = Store(tmp_path / "jobs.sqlite")
    engine = Engine(config, store, clock=ManualClock())
    missing = {
        "imageintelligence": "00000000-0000-4000-8000-000000000000",
        "deepomatic": "123",
        "superai": "99999",
        "tensorart": "1814095271731716000",
        "cognite": "424242",
    }
    try:
        for kind, job_id in missing.items():
            await engine.add_jobs(kind, [job_id])
        await engine.sweep(all_jobs=True)
        for (provider, job_id), watched in engine.jobs().items():
            if missing[provider] == job_id:
                assert watched.state is JobState.UNKNOWN
                assert watched.poll_error == "not found at provider"
                assert watched.next_poll_at is not None  # looked at again, rarely
            else:
                assert watched.poll_error is None and watched.job is not None
        # The batch of real tasks still took one request; the missing one was confirmed alone.
        endpoints = stats_of(sim, "deepomatic")["endpoints"]
        assert endpoints["GET /v0.7/tasks/"] == {"200": 1}
    finally:
        await engine.aclose()
        store.close()


async def test_a_lean_engine_starts_without_items_and_keeps_the_store_whole(
    start_sim: StartSim, tmp_path: Path
) -> None:
    # A dashboard's engine reads the lean listing at start (no items); the
    # items stay in the store for whoever reads a job whole, and polling goes on.
    sim = start_sim(jobs=4, seed=11, speed=0)
    config = sim_config(tmp_path / "config.toml", sim, defaults=FAST)
    store = Store(tmp_path / "jobs.sqlite")
    full = Engine(config, store, discover=False)
    try:
        await full.sweep(all_jobs=True)
    finally:
        await full.aclose()
    with_items = {
        (j.provider, j.id) for j in store.list_jobs() if j.job is not None and j.job.items
    }
    assert with_items, "the simulator's jobs carry items"

    clock = ManualClock()
    lean = Engine(config, store, clock=clock, discover=False, lean=True)
    try:
        loaded = await lean.load_stored()
        assert len(loaded) == len(config.jobs)
        assert all(j.job is None or not j.job.items for j in loaded.values())
        for key in with_items:
            whole = store.get_job(*key)
            assert whole is not None and whole.job is not None and whole.job.items
        runner = asyncio.create_task(lean.run())
        lean.refresh()
        await wait_for(
            lambda: all(
                j.polled_at is not None and j.polled_at >= clock.now()
                for j in lean.jobs().values()
            ),
            "every job polled again by the lean engine",
        )
        lean.stop()
        await runner
    finally:
        await lean.aclose()
    for key in with_items:
        whole = store.get_job(*key)
        assert whole is not None and whole.job is not None and whole.job.items, key
    store.close()
