"""Fault timing through the running engine: Retry-After gaps on the ManualClock, and hangs.

The engine runs its pollers (``Engine.run``) on a ManualClock; the test moves
time by hand and waits only for the engine to go idle (every poller asleep on
the clock), never for wall-clock time to pass.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from jobtui.config.model import Config, WatchedJobConfig
from jobtui.engine import Engine, ManualClock
from jobtui.providers import KINDS
from jobtui.sim import Simulator
from jobtui.store import Store

from support.fault_proxy import FaultProxy, Forwarded
from support.scripted_server import Reply
from support.sim_configs import sim_config
from support.waiting import wait_for

IDLE_LIMIT = 20.0
"""Seconds of real time an engine may take to go idle before the test gives up (not a timing)."""


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    simulator = Simulator(jobs=0, speed=0, seed=9)
    simulator.start_in_thread()
    yield simulator
    simulator.stop_in_thread()


async def until(condition: Callable[[], bool], what: str) -> None:
    """Yield to the loop until ``condition`` holds (bounded, so a hang fails the test)."""
    await wait_for(condition, what, IDLE_LIMIT)


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("kind", KINDS)
async def test_retry_after_is_honoured_measured_on_the_engine_clock(
    sim: Simulator, tmp_path: Path, kind: str, status: int
) -> None:
    clock = ManualClock()
    proxy = FaultProxy(("127.0.0.1", sim.port), now=clock.now)
    proxy.start()
    job_id = sim.create_job(kind)
    # poll_interval 1 s: without Retry-After the engine would be back within seconds.
    cfg = sim_config(sim, kind, base_url=f"{proxy.url}/{kind}", poll_interval=1.0)
    config = Config(providers={kind: cfg}, jobs=(WatchedJobConfig(provider=kind, id=job_id),))
    store = Store(tmp_path / "jobs.sqlite")
    engine = Engine(config, store, clock=clock, discover=False)
    runner = asyncio.create_task(engine.run())
    try:
        await until(lambda: len(proxy.polls(job_id)) >= 1 and clock.sleepers >= 1, "first poll")
        await until(lambda: engine.jobs()[(kind, job_id)].polled_at is not None, "first save")
        proxy.arm(
            job_id, lambda g: Reply(status, b'{"message": "busy"}', {"Retry-After": "7"}), times=1
        )
        clock.advance(1.0)
        await until(lambda: len(proxy.faulted) == 1, "the faulted poll")
        await until(lambda: engine.jobs()[(kind, job_id)].poll_error is not None, "error saved")
        await until(lambda: clock.sleepers >= 1, "engine idle after the fault")
        faulted_at = clock.now()
        polls_after_fault = len(proxy.polls(job_id))
        for _ in range(6):
            clock.advance(1.0)
            await until(lambda: clock.sleepers >= 1, "engine idle")
            await asyncio.sleep(0)  # let a woken poller reach its request, if it would send one
        assert len(proxy.polls(job_id)) == polls_after_fault, "polled before Retry-After ran out"
        clock.advance(1.0)
        await until(lambda: len(proxy.polls(job_id)) > polls_after_fault, "poll after Retry-After")
        sent_at = [at for at, r in proxy.times if r in proxy.polls(job_id)]
        gap = sent_at[polls_after_fault]
        assert gap is not None
        assert gap - faulted_at == timedelta(seconds=7)
        await until(lambda: engine.jobs()[(kind, job_id)].poll_error is None, "error cleared")
    finally:
        engine.stop()
        await runner
        await engine.aclose()
        store.close()
        proxy.stop()


@pytest.mark.parametrize("hung_kind", KINDS)
async def test_one_hung_provider_does_not_hold_up_the_others(
    sim: Simulator, tmp_path: Path, hung_kind: str
) -> None:
    clock = ManualClock()
    proxy = FaultProxy(("127.0.0.1", sim.port), now=clock.now)
    proxy.start()
    release = threading.Event()
    ids = {kind: sim.create_job(kind) for kind in KINDS}
    # The hang is ended by the timeout; the others must never meet it, even with every
    # core busy, or a slow answer would read as a second hang.
    providers = {
        kind: sim_config(sim, kind, base_url=f"{proxy.url}/{kind}", timeout=2.5) for kind in KINDS
    }
    config = Config(
        providers=providers,
        jobs=tuple(WatchedJobConfig(provider=k, id=i) for k, i in ids.items()),
    )
    store = Store(tmp_path / "jobs.sqlite")
    engine = Engine(config, store, clock=clock, discover=False)

    def hang(genuine: Forwarded) -> Reply:
        return Reply(200, genuine.body, {"Content-Type": "application/json"}, hold=release)

    proxy.arm(ids[hung_kind], hang)
    runner = asyncio.create_task(engine.run())
    try:
        others = [k for k in KINDS if k != hung_kind]

        def others_polled() -> bool:
            held = engine.jobs()
            return all(
                (k, ids[k]) in held and held[(k, ids[k])].polled_at is not None for k in others
            )

        await until(others_polled, "the other providers' first polls")
        hung = engine.jobs()[(hung_kind, ids[hung_kind])]
        # The others finished while the hung request is still unanswered.
        assert hung.polled_at is None
        assert proxy.polls(ids[hung_kind]), "the hung provider never asked"
        assert not release.is_set()
        # Time keeps going for the others: their next polls go out, the hang notwithstanding.
        counts = {k: len(proxy.polls(ids[k])) for k in others}
        clock.advance(60)
        await until(
            lambda: all(len(proxy.polls(ids[k])) > counts[k] for k in others), "second round"
        )
        await until(
            lambda: engine.jobs()[(hung_kind, ids[hung_kind])].poll_error is not None,
            "the hung request timing out",
        )
        hung = engine.jobs()[(hung_kind, ids[hung_kind])]
        assert hung.poll_error == "request timed out"
        assert hung.next_poll_at is not None
        for kind in others:
            assert engine.jobs()[(kind, ids[kind])].poll_error is None
    finally:
        release.set()
        engine.stop()
        await runner
        await engine.aclose()
        store.close()
        proxy.stop()


def test_fault_proxy_times_use_the_given_clock() -> None:
    # Guards the measurement itself: a proxy timestamp is the injected clock's time.
    clock = ManualClock(datetime.fromisoformat("2030-01-01T00:00:00+00:00"))
    proxy = FaultProxy(("127.0.0.1", 9), now=clock.now)
    assert proxy.now is not None and proxy.now() == clock.now()
