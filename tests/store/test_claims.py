"""Shared polling in the store, on both backends: claims, the shared bucket, the block.

Two store objects on one location stand for two pollers (two processes would
open the same file or database the same way).
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobtui.model import Job, JobState
from jobtui.store import JobStore, PollOutcome, open_store

from support.waiting import wait_until_sync

P = "deepo"


@pytest.fixture
def two(store_location: str | Path) -> Iterator[tuple[JobStore, JobStore]]:
    first = open_store(store_location)
    second = open_store(store_location)
    try:
        first.add_jobs([(P, "deepomatic", f"j{n:02}", None) for n in range(20)])
        yield first, second
    finally:
        first.close()
        second.close()


def now() -> datetime:
    return datetime.now(UTC)


def running(job_id: str) -> Job:
    return Job(kind="deepomatic", provider=P, id=job_id, state=JobState.RUNNING, raw_status="x")


def test_due_jobs_are_claimed_by_one_poller_each(two: tuple[JobStore, JobStore]) -> None:
    a, b = two
    start = now()
    mine = a.claim_jobs(P, "A", now=start, until=start + timedelta(seconds=30), limit=8)
    theirs = b.claim_jobs(P, "B", now=start, until=start + timedelta(seconds=30), limit=100)
    assert len(mine) == 8 and len(theirs) == 12 and not set(mine) & set(theirs)
    # Nothing is left to claim, by id either while another holds it.
    assert a.claim_jobs(P, "C", now=start, until=start, limit=5) == []
    assert a.claim_jobs(P, "C", now=start, until=start, limit=0, ids=[theirs[0]]) == []
    held = b.claims(P, now())
    assert {holder for job_id, holder in held.items() if job_id in mine} == {"A"}


def test_a_lapsed_claim_goes_to_the_next_poller(two: tuple[JobStore, JobStore]) -> None:
    a, b = two
    start = now()
    short = start + timedelta(seconds=0.2)
    assert len(a.claim_jobs(P, "A", now=start, until=short, limit=100)) == 20
    retaken: list[str] = []

    def lapsed() -> bool:
        moment = now()
        retaken.extend(
            b.claim_jobs(P, "B", now=moment, until=moment + timedelta(seconds=60), limit=100)
        )
        return len(retaken) == 20

    wait_until_sync(lapsed, "the lapsed claims taken by another poller")
    assert set(b.claims(P, now()).values()) == {"B"}


def test_claims_taken_at_once_never_overlap(store_location: str | Path) -> None:
    with open_store(store_location) as setup:
        setup.add_jobs([(P, "deepomatic", f"k{n:03}", None) for n in range(300)])
    taken: dict[str, list[str]] = {}

    def claim(name: str) -> None:
        with open_store(store_location) as store:
            got: list[str] = []
            while True:
                start = now()
                batch = store.claim_jobs(
                    P, name, now=start, until=start + timedelta(seconds=60), limit=7
                )
                if not batch:
                    break
                got.extend(batch)
            taken[name] = got

    threads = [threading.Thread(target=claim, args=(f"h{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    claimed = list(itertools.chain.from_iterable(taken.values()))
    assert sorted(claimed) == sorted(f"k{n:03}" for n in range(300))  # each once


def test_an_answer_is_written_only_under_its_own_claim(two: tuple[JobStore, JobStore]) -> None:
    a, b = two
    start = now()
    [job_id] = a.claim_jobs(P, "A", now=start, until=start + timedelta(seconds=30), limit=1)
    stale = PollOutcome(P, job_id, start, start, job=running(job_id), claimed_by="B")
    assert b.save_outcomes([stale]) == []
    assert b.get_job(P, job_id).polled_at is None  # type: ignore[union-attr]
    later = start + timedelta(seconds=5)
    fresh = PollOutcome(P, job_id, start, later, job=running(job_id), claimed_by="A")
    [change] = a.save_outcomes([fresh])
    assert change.to_state is JobState.RUNNING
    assert job_id not in b.claims(P, now())  # the write ended the claim
    # Not due until its next poll; then the earliest claimable moment.
    others = b.claim_jobs(P, "B", now=start, until=start + timedelta(seconds=30), limit=100)
    assert job_id not in others and len(others) == 19
    for other in others:
        done = PollOutcome(P, other, start, later, job=running(other), claimed_by="B")
        b.save_outcomes([done])
    found = a.next_claimable(P, start)
    assert found is not None and abs((found - later).total_seconds()) < 1.0


def test_the_shared_bucket_spends_the_rate_across_stores(two: tuple[JobStore, JobStore]) -> None:
    a, b = two
    assert a.take_tokens(P, rate=10.0, burst=1.0).granted
    refused = b.take_tokens(P, rate=10.0, burst=1.0)
    assert not refused.granted and 0 < refused.wait <= 0.1 + 1e-3
    b.give_back_tokens(P, 1.0, burst=1.0)
    assert b.take_tokens(P, rate=10.0, burst=1.0).granted
    assert a.take_tokens(P, rate=None, burst=1.0).granted  # no limit: only a block counts


def test_a_block_holds_for_every_store_until_lifted(two: tuple[JobStore, JobStore]) -> None:
    a, b = two
    soon = now() + timedelta(seconds=30)
    a.block_provider(P, state="rate_limited", until=soon, reason="429")
    a.block_provider(P, state="rate_limited", until=soon - timedelta(seconds=20), reason="x")
    grant = b.take_tokens(P, rate=10.0, burst=1.0)
    assert not grant.granted and grant.block is not None and grant.block.reason == "429"
    assert 25 < grant.wait <= 30  # the later of two blocks holds
    b.block_provider(P, state="auth_failed", until=None, reason="401 Unauthorized")
    a.block_provider(P, state="unreachable", until=soon, reason="down")
    grant = a.take_tokens(P, rate=10.0, burst=1.0)
    assert grant.block is not None and grant.block.state == "auth_failed"
    assert math.isinf(grant.wait)
    a.clear_block(P, ["unreachable", "degraded"])  # a probe's success lifts only a hold
    assert a.provider_block(P) is not None
    a.clear_block(P)
    assert b.provider_block(P) is None and b.take_tokens(P, rate=10.0, burst=1.0).block is None
