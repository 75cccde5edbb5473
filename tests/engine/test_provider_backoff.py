"""Provider-level back-off: a provider that is down is held as a whole and probed.

Real parts: the engine polls super.AI providers over loopback HTTP, either a
closed port (connection refused), a server that never answers (timeouts), or
``ScriptedServer`` answering 5xx for everything and then coming back. Time is
a ``ManualClock`` moved from one wake-up to the next; requests are counted at
the server (or, for a closed port, by the engine's own request counter).
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from jobtui.config.model import Config, SecretRef, SuperaiConfig, WatchedJobConfig
from jobtui.engine import Backoff, Engine, Event, IntervalPolicy, ManualClock, ProviderChanged
from jobtui.engine.schedule import HOLD_AFTER, ProviderHold
from jobtui.model import HealthState, JobState, ProviderHealth
from jobtui.store import Store

from support.engine_sim import settle
from support.scripted_server import Recorded, Reply, ScriptedServer, serve

START = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
TEN_MINUTES = timedelta(minutes=10)
POLL = 5.0
CAP = 300.0
CONCURRENCY = 4


def superai(name: str, url: str, **fields: Any) -> SuperaiConfig:
    values: dict[str, Any] = {
        "name": name,
        "base_url": url,
        "timeout": 5.0,
        "poll_interval": POLL,
        "max_interval": CAP,
        "max_concurrency": CONCURRENCY,
        "secrets": {
            "api_key": SecretRef(key="api_key", source="literal", literal=SecretStr("k-123"))
        },
        **fields,
    }
    return SuperaiConfig.model_validate(values)


def closed_port_url() -> str:
    """A loopback address nothing listens on: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def job_ids(count: int) -> list[str]:
    return [str(1000 + n) for n in range(count)]


def running_job(job_id: str) -> dict[str, object]:
    return {"id": job_id, "status": "IN_PROGRESS", "created": "2026-05-01T07:00:00+00:00"}


class Switch:
    """Answers every job's path: ``status`` while down, a running job once up; logs each ask."""

    def __init__(
        self, server: ScriptedServer, ids: Sequence[str], clock: ManualClock, status: int = 503
    ) -> None:
        self.down = True
        self.status = status
        self.clock = clock
        self.bad: set[str] = set()
        """Jobs that fail even while the provider is up."""
        self.sent: list[tuple[datetime, str]] = []
        for job_id in ids:
            server.handle("GET", f"/v1/jobs/{job_id}", self.answer)

    def answer(self, request: Recorded) -> Reply:
        job_id = request.path.rsplit("/", 1)[-1]
        self.sent.append((self.clock.now(), job_id))
        if self.down or job_id in self.bad:
            return Reply(self.status, {"message": "service unavailable"})
        return Reply(200, running_job(job_id))

    def times_of(self, job_id: str) -> list[datetime]:
        return [at for at, sent in self.sent if sent == job_id]


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serve() as running_server:
        yield running_server


def make_engine(
    tmp_path: Path,
    clock: ManualClock,
    providers: dict[str, SuperaiConfig],
    jobs: dict[str, list[str]],
    seed: int = 7,
) -> Engine:
    config = Config(
        providers=providers,
        jobs=tuple(WatchedJobConfig(provider=p, id=i) for p, ids in jobs.items() for i in ids),
    )
    store = Store(tmp_path / "jobs.sqlite")
    return Engine(config, store, clock=clock, discover=False, rng=random.Random(seed), tick=0.0)


@asynccontextmanager
async def running(engine: Engine) -> AsyncIterator[Engine]:
    """The engine polling in the background; stopped and closed on exit."""
    runner = asyncio.create_task(engine.run())
    try:
        yield engine
    finally:
        engine.stop()
        await runner
        await engine.aclose()
        engine.store.close()


async def next_wakeup(engine: Engine, clock: ManualClock, end: datetime) -> bool:
    """Move the clock to the engine's next wake-up (if before ``end``) and let it work."""
    deadline = clock.next_deadline()
    if deadline is None or deadline > end:
        return False
    clock.advance(max(0.0, (deadline - clock.now()).total_seconds()))
    await settle(engine)
    return True


def cadence(policy: IntervalPolicy, start: datetime, end: datetime) -> list[datetime]:
    """When an unchanging running job is polled from ``start`` to ``end`` (engine's policy)."""
    times = [start]
    interval: float | None = None
    while True:
        interval = policy.next_interval(JobState.RUNNING, interval, changed=interval is None)
        assert interval is not None
        later = times[-1] + timedelta(seconds=interval)
        if later > end:
            return times
        times.append(later)


def probe_ceiling(attempt: int) -> float:
    return min(CAP, POLL * 2.0**attempt)


# --- the hold itself -----------------------------------------------------------------------


def test_hold_needs_a_streak_over_two_jobs_and_only_probes_move_it() -> None:
    hold = ProviderHold(Backoff(base=POLL, cap=CAP, rng=random.Random(3)))
    draws = Backoff(base=POLL, cap=CAP, rng=random.Random(3))
    # One job failing over and over is that job's back-off, never the provider's.
    for _ in range(10):
        assert not hold.failed(["a"], START, probe=False, unreachable=True)
    assert not hold.held
    assert not hold.answered()
    for n in range(HOLD_AFTER - 1):
        assert not hold.failed([f"j{n}"], START, probe=False, unreachable=False)
    assert hold.failed(["z"], START, probe=False, unreachable=False)
    assert hold.held and hold.state is HealthState.DEGRADED
    assert hold.until == START + timedelta(seconds=draws.delay(0))
    first = hold.until
    # Late answers to requests sent before the hold say nothing new.
    assert not hold.failed(["y"], START, probe=False, unreachable=True)
    assert hold.until == first
    later = START + timedelta(seconds=10)
    assert hold.due(later) and not hold.due(START - timedelta(seconds=1))
    assert hold.failed(["z"], later, probe=True, unreachable=True)
    assert hold.state is HealthState.UNREACHABLE and hold.attempt == 1
    assert hold.until == later + timedelta(seconds=draws.delay(1))
    hold.probe_now(later)
    assert hold.until == later and hold.due(later)
    assert hold.answered() and not hold.held and hold.until is None
    # Released: the streak starts over.
    assert not hold.failed(["a"], later, probe=False, unreachable=True)


def test_probe_delays_grow_exponentially_with_full_jitter_up_to_the_cap() -> None:
    hold = ProviderHold(Backoff(base=POLL, cap=CAP, rng=random.Random(5)))
    for n in range(HOLD_AFTER):
        hold.failed([str(n)], START, probe=False, unreachable=True)
    now = START
    gaps = []
    for attempt in range(12):
        assert hold.until is not None
        gap = (hold.until - now).total_seconds()
        assert 0.0 <= gap <= probe_ceiling(attempt)
        gaps.append(gap)
        now = hold.until
        hold.failed(["0"], now, probe=True, unreachable=True)
    assert max(gaps[8:]) > POLL * 2**4  # the ceiling did grow past the early ones


# --- a whole provider down -------------------------------------------------------------------


async def test_connection_refused_holds_the_provider_and_probes_rarely(tmp_path: Path) -> None:
    clock = ManualClock(START)
    ids = job_ids(500)
    engine = make_engine(
        tmp_path, clock, {"down": superai("down", closed_port_url())}, {"down": ids}
    )
    end = START + TEN_MINUTES
    async with running(engine):
        await settle(engine)
        health = engine.health()["down"]
        assert health.state is HealthState.UNREACHABLE and not health.paused
        assert health.next_retry_at is not None and health.next_retry_at >= START
        # The first round stopped once the streak was seen: in flight plus the streak.
        assert HOLD_AFTER <= health.requests <= HOLD_AFTER + CONCURRENCY
        # Every job carries the provider's error, though most sent no request.
        errors = {j.poll_error for j in engine.jobs().values()}
        assert errors == {health.last_error}, errors
        probes = 0
        while True:
            health = engine.health()["down"]
            # The engine's only wake-up is the probe the dashboard shows as "next retry".
            expected = health.next_retry_at
            before = health.requests
            if not await next_wakeup(engine, clock, end):
                break
            assert clock.now() == expected
            assert engine.health()["down"].requests == before + 1
            probes += 1
        total = engine.health()["down"].requests
        assert probes >= 4
        assert total < 20, f"{total} requests in ten minutes"
        health = engine.health()["down"]
        assert health.state is HealthState.UNREACHABLE
        assert health.next_retry_at is not None and health.next_retry_at > end
        assert health.failures == total


async def test_timeouts_hold_the_provider_too(tmp_path: Path) -> None:
    held: list[asyncio.StreamWriter] = []

    async def never_answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    hung = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{hung.sockets[0].getsockname()[1]}"
    clock = ManualClock(START)
    engine = make_engine(
        tmp_path, clock, {"hung": superai("hung", url, timeout=0.05)}, {"hung": job_ids(40)}
    )
    try:
        async with running(engine):
            await settle(engine)
            health = engine.health()["hung"]
            assert health.state is HealthState.UNREACHABLE
            assert health.last_error == "request timed out"
            assert HOLD_AFTER <= health.requests <= HOLD_AFTER + CONCURRENCY
            first = health.requests
            for probe in range(1, 4):
                expected = engine.health()["hung"].next_retry_at
                assert await next_wakeup(engine, clock, START + TEN_MINUTES)
                assert clock.now() == expected
                assert engine.health()["hung"].requests == first + probe
    finally:
        for writer in held:
            writer.close()
        hung.close()
        await hung.wait_closed()


@pytest.mark.parametrize("status", [503, 500])
async def test_5xx_for_everything_holds_and_recovery_polls_every_job_at_once(
    tmp_path: Path, server: ScriptedServer, status: int
) -> None:
    clock = ManualClock(START)
    ids = job_ids(150)
    switch = Switch(server, ids, clock, status)
    engine = make_engine(tmp_path, clock, {"sai": superai("sai", server.url)}, {"sai": ids})
    seen: list[ProviderHealth] = []

    def on_events(batch: Sequence[Event]) -> None:
        seen.extend(e.health for e in batch if isinstance(e, ProviderChanged))

    engine.subscribe(on_events)
    end = START + TEN_MINUTES
    async with running(engine):
        await settle(engine)
        health = engine.health()["sai"]
        assert health.state is HealthState.DEGRADED
        assert str(status) in str(health.last_error)
        assert seen and seen[-1] == health  # the dashboard heard of the hold and its retry
        while True:
            expected = engine.health()["sai"].next_retry_at
            if not await next_wakeup(engine, clock, end):
                break
            assert clock.now() == expected
            assert seen[-1].next_retry_at == engine.health()["sai"].next_retry_at > clock.now()
        assert len(switch.sent) < 20, f"{len(switch.sent)} requests in ten minutes"
        announced = {h.next_retry_at for h in seen}
        assert {at for at, _ in switch.sent if at > START} <= announced, (
            "a request went out at a time no health event announced"
        )

        # The server comes back: the next probe gets through and every job is polled then.
        switch.down = False
        probe_at = engine.health()["sai"].next_retry_at
        asked = len(switch.sent)
        assert probe_at is not None
        assert await next_wakeup(engine, clock, probe_at)
        assert clock.now() == probe_at
        since = Counter(job_id for _, job_id in switch.sent[asked:])
        assert since == Counter(ids)  # each job once, all at the probe's moment
        for watched in engine.jobs().values():
            assert watched.poll_error is None and watched.state is JobState.RUNNING
            assert watched.polled_at == probe_at
        health = engine.health()["sai"]
        assert (health.state, health.next_retry_at) == (HealthState.OK, None)
        assert seen[-1] == health
        # Normal cadence again: every job due one poll interval later.
        later = probe_at + timedelta(seconds=POLL)
        assert {j.next_poll_at for j in engine.jobs().values()} == {later}


async def test_one_job_failing_while_others_answer_stays_that_jobs_back_off(
    tmp_path: Path, server: ScriptedServer
) -> None:
    clock = ManualClock(START)
    # Five jobs answering are as many as twenty here: a streak of failures counts toward
    # a hold only if it covers two jobs, and any answer ends it. Each job more only added
    # its ten minutes of polls.
    ids = job_ids(6)
    switch = Switch(server, ids, clock, 500)
    switch.down = False
    switch.bad = {ids[0]}
    engine = make_engine(
        tmp_path, clock, {"sai": superai("sai", server.url, max_interval=60.0)}, {"sai": ids}
    )
    end = START + TEN_MINUTES
    async with running(engine):
        await settle(engine)
        while await next_wakeup(engine, clock, end):
            assert engine.health()["sai"].next_retry_at is None
        expected = cadence(IntervalPolicy(POLL, 60.0), START, end)
        for job_id in ids[1:]:
            assert switch.times_of(job_id) == expected, job_id
        # The failing job keeps its own exponential back-off: far more than probes would send.
        assert len(switch.times_of(ids[0])) > 12
        failing = engine.jobs()[("sai", ids[0])]
        assert failing.poll_error is not None and "500" in failing.poll_error


async def test_a_provider_down_does_not_change_anothers_cadence(
    tmp_path: Path, server: ScriptedServer
) -> None:
    clock = ManualClock(START)
    up_ids = job_ids(10)
    switch = Switch(server, up_ids, clock)
    switch.down = False
    down_ids = [f"9{n:03d}" for n in range(300)]
    engine = make_engine(
        tmp_path,
        clock,
        {
            "up": superai("up", server.url, max_interval=60.0),
            "down": superai("down", closed_port_url()),
        },
        {"up": up_ids, "down": down_ids},
    )
    end = START + TEN_MINUTES
    async with running(engine):
        await settle(engine)
        while await next_wakeup(engine, clock, end):
            pass
        expected = cadence(IntervalPolicy(POLL, 60.0), START, end)
        for job_id in up_ids:
            assert switch.times_of(job_id) == expected, job_id
        assert engine.health()["up"].state is HealthState.OK
        assert engine.health()["down"].state is HealthState.UNREACHABLE
        assert engine.health()["down"].requests < 20


async def test_retry_and_refresh_probe_at_once(tmp_path: Path, server: ScriptedServer) -> None:
    clock = ManualClock(START)
    ids = job_ids(60)
    switch = Switch(server, ids, clock)
    engine = make_engine(tmp_path, clock, {"sai": superai("sai", server.url)}, {"sai": ids})
    async with running(engine):
        await settle(engine)
        # Let the hold grow so that the scheduled probe is well ahead.
        for _ in range(4):
            assert await next_wakeup(engine, clock, START + TEN_MINUTES)
        health = engine.health()["sai"]
        assert health.next_retry_at is not None and health.next_retry_at > clock.now()
        now = clock.now()
        asked = len(switch.sent)
        engine.retry_provider("sai")
        await settle(engine)
        assert clock.now() == now
        assert len(switch.sent) == asked + 1  # one probe, now
        health = engine.health()["sai"]
        assert health.state is HealthState.DEGRADED  # still down: held again
        assert health.next_retry_at is not None and health.next_retry_at > now
        assert clock.next_deadline() == health.next_retry_at
        # A refresh of one job probes with that job.
        wanted = ids[37]
        engine.refresh([("sai", wanted)])
        await settle(engine)
        assert len(switch.sent) == asked + 2
        assert switch.sent[-1] == (now, wanted)
        assert engine.jobs()[("sai", wanted)].polled_at == now
        # Back up: a retry releases the provider and every job goes without time passing.
        switch.down = False
        asked = len(switch.sent)
        engine.retry_provider("sai")
        await settle(engine)
        assert clock.now() == now
        assert Counter(job_id for _, job_id in switch.sent[asked:]) == Counter(ids)
        assert all(j.poll_error is None for j in engine.jobs().values())
        assert engine.health()["sai"].state is HealthState.OK


async def test_rate_limiting_of_everything_stays_the_token_buckets_hold(
    tmp_path: Path, server: ScriptedServer
) -> None:
    clock = ManualClock(START)
    ids = job_ids(100)
    for job_id in ids:
        server.script(
            "GET", f"/v1/jobs/{job_id}", Reply(429, {"message": "slow"}, {"Retry-After": "30"})
        )
    engine = make_engine(tmp_path, clock, {"sai": superai("sai", server.url)}, {"sai": ids})
    async with running(engine):
        await settle(engine)
        health = engine.health()["sai"]
        assert health.state is HealthState.RATE_LIMITED
        assert health.next_retry_at == START + timedelta(seconds=30)
        assert len(server.requests) <= CONCURRENCY
        clock.advance(29.9)
        await settle(engine)
        assert len(server.requests) <= CONCURRENCY
