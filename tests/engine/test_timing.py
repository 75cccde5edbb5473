"""The engine's clock, token bucket, interval policy and back-off, on a manual clock."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest

from jobtui.engine import Backoff, IntervalPolicy, ManualClock, TokenBucket
from jobtui.model import JobState

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def settle() -> None:
    """Let woken tasks run (no time passes)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_manual_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = ManualClock(START)
    woke: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(name)

    tasks = [asyncio.create_task(sleeper("late", 10)), asyncio.create_task(sleeper("soon", 2))]
    await settle()
    assert clock.sleepers == 2
    assert clock.next_deadline() == START + timedelta(seconds=2)
    clock.advance(1.9)
    await settle()
    assert woke == []
    clock.advance(0.1)
    await settle()
    assert woke == ["soon"]
    clock.advance(100)
    await settle()
    assert woke == ["soon", "late"]
    assert clock.now() == START + timedelta(seconds=102)
    await asyncio.gather(*tasks)


async def test_manual_clock_skips_cancelled_sleepers() -> None:
    clock = ManualClock(START)
    task = asyncio.create_task(clock.sleep(5))
    await settle()
    task.cancel()
    await settle()
    assert clock.sleepers == 0
    clock.advance(10)  # must not raise on the cancelled future


def test_manual_clock_refuses_naive_start_and_backwards_time() -> None:
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        ManualClock(START).advance(-1)


def test_bucket_allows_burst_then_rate() -> None:
    clock = ManualClock(START)
    bucket = TokenBucket(5.0, clock)
    assert [bucket.try_take() for _ in range(6)] == [True] * 5 + [False]
    assert bucket.wait_time() == pytest.approx(0.2)
    clock.advance(0.2)
    assert bucket.try_take()
    assert not bucket.try_take()
    clock.advance(10)  # idle time refills only up to the burst
    assert sum(bucket.try_take() for _ in range(20)) == 5


async def test_bucket_acquire_paces_requests_on_the_injected_clock() -> None:
    clock = ManualClock(START)
    bucket = TokenBucket(2.0, clock, burst=1)
    sent: list[datetime] = []

    async def request() -> None:
        await bucket.acquire()
        sent.append(clock.now())

    tasks = [asyncio.create_task(request()) for _ in range(3)]
    await settle()
    assert sent == [START]
    for _ in range(4):
        clock.advance(0.25)
        await settle()
    assert sent == [START, START + timedelta(seconds=0.5), START + timedelta(seconds=1.0)]
    await asyncio.gather(*tasks)


async def test_a_request_arriving_while_others_wait_queues_behind_them() -> None:
    # The lock-free path is for an idle bucket only: a token freed while a request
    # waits goes to that request, not to one arriving at that moment.
    clock = ManualClock(START)
    bucket = TokenBucket(2.0, clock, burst=1)
    sent: list[str] = []

    async def request(name: str) -> None:
        await bucket.acquire()
        sent.append(name)

    first = asyncio.create_task(request("first"))
    second = asyncio.create_task(request("second"))
    await settle()
    assert sent == ["first"]
    clock.advance(0.5)  # a token for "second", which has not woken yet
    late = asyncio.create_task(request("late"))
    await settle()
    assert sent == ["first", "second"]
    clock.advance(0.5)
    await settle()
    assert sent == ["first", "second", "late"]
    await asyncio.gather(first, second, late)


async def test_bucket_block_until_holds_every_request() -> None:
    clock = ManualClock(START)
    bucket = TokenBucket(None, clock)
    bucket.block_until(START + timedelta(seconds=30))
    bucket.block_until(START + timedelta(seconds=10))  # an earlier block never shortens it
    assert bucket.wait_time() == pytest.approx(30)
    task = asyncio.create_task(bucket.acquire())
    await settle()
    clock.advance(29)
    await settle()
    assert not task.done()
    clock.advance(1)
    await settle()
    assert task.done()
    bucket.block_until(clock.now() + timedelta(seconds=60))
    bucket.clear_block()
    assert bucket.try_take()


def test_bucket_rejects_non_positive_rate() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0, ManualClock(START))


def test_interval_grows_while_unchanged_and_resets_on_change() -> None:
    policy = IntervalPolicy(poll_interval=5, max_interval=60)
    running = JobState.RUNNING
    first = policy.next_interval(running, None, changed=True)
    assert first == 5
    grown = [first]
    for _ in range(10):
        nxt = policy.next_interval(running, grown[-1], changed=False)
        assert nxt is not None
        grown.append(nxt)
    assert grown[1] == pytest.approx(7.5)
    assert grown[-1] == 60  # capped at max_interval
    assert policy.next_interval(running, 60, changed=True) == 5


def test_interval_terminal_jobs_are_never_polled() -> None:
    policy = IntervalPolicy(poll_interval=5, max_interval=60)
    for state in (JobState.SUCCEEDED, JobState.FAILED, JobState.PARTIAL, JobState.CANCELED):
        assert policy.next_interval(state, 5, changed=True) is None


def test_interval_long_queue_is_polled_less_often_and_scale_applies() -> None:
    policy = IntervalPolicy(poll_interval=5, max_interval=120)
    front = policy.next_interval(JobState.QUEUED, None, changed=True, queue_position=1)
    deep = policy.next_interval(JobState.QUEUED, None, changed=True, queue_position=16)
    assert front == 5
    assert deep == 20
    assert policy.next_interval(JobState.QUEUED, None, changed=True, queue_position=10**6) == 120
    assert policy.next_interval(JobState.RUNNING, None, changed=True, scale=2.0) == 10


def test_backoff_full_jitter_is_bounded_and_reproducible() -> None:
    backoff = Backoff(base=1.0, cap=30.0, rng=random.Random(7))
    delays = [[backoff.delay(n) for _ in range(200)] for n in range(8)]
    for attempt, draws in enumerate(delays):
        ceiling = min(30.0, 2.0**attempt)
        assert all(0.0 <= d <= ceiling for d in draws)
        # Full jitter: the draws spread over the whole range, not around the ceiling.
        assert min(draws) < ceiling * 0.1 and max(draws) > ceiling * 0.9
    again = Backoff(base=1.0, cap=30.0, rng=random.Random(7))
    assert [again.delay(0) for _ in range(200)] == delays[0]
    assert Backoff(1.0, 30.0, random.Random(1)).delay(10_000) <= 30.0
