"""Event coalescing: one batch per tick, latest per job wins."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from jobtui.engine.events import Event, EventHub, JobChanged, JobRemoved, ProviderChanged
from jobtui.model import HealthState, Job, JobState, ProviderHealth
from jobtui.store import WatchedJob

AT = datetime(2026, 3, 1, tzinfo=UTC)


def watched(job_id: str, state: JobState, provider: str = "deepo") -> WatchedJob:
    job = Job(kind="deepomatic", provider=provider, id=job_id, state=state)
    return WatchedJob(provider, "deepomatic", job_id, None, AT, job, state, None, None, AT)


def test_latest_change_per_job_wins_and_keeps_the_first_previous_state() -> None:
    hub = EventHub()
    batches: list[Sequence[Event]] = []
    hub.subscribe(batches.append)
    hub.publish(JobChanged(watched("1", JobState.RUNNING), JobState.QUEUED))
    hub.publish(JobChanged(watched("1", JobState.SUCCEEDED), JobState.RUNNING))
    hub.publish(JobChanged(watched("2", JobState.RUNNING), None))
    assert hub.pending == 2
    hub.flush()
    assert len(batches) == 1
    changes = {e.job.id: e for e in batches[0] if isinstance(e, JobChanged)}
    assert changes["1"].job.state is JobState.SUCCEEDED
    assert changes["1"].previous_state is JobState.QUEUED
    assert changes["2"].previous_state is None
    hub.flush()  # nothing pending: no empty batch
    assert len(batches) == 1


def test_removal_replaces_a_pending_change_and_health_coalesces() -> None:
    hub = EventHub()
    batches: list[Sequence[Event]] = []
    unsubscribe = hub.subscribe(batches.append)
    hub.publish(JobChanged(watched("1", JobState.RUNNING), None))
    hub.publish(JobRemoved("deepo", "1"))
    hub.publish(ProviderChanged(ProviderHealth(provider="deepo", kind="deepomatic")))
    bad = ProviderHealth(provider="deepo", kind="deepomatic", state=HealthState.AUTH_FAILED)
    hub.publish(ProviderChanged(bad))
    hub.flush()
    assert batches[0] == [ProviderChanged(bad), JobRemoved("deepo", "1")]
    unsubscribe()
    hub.publish(JobRemoved("deepo", "2"))
    hub.flush()
    assert len(batches) == 1


def test_a_failing_subscriber_does_not_starve_the_others() -> None:
    hub = EventHub()
    seen: list[Sequence[Event]] = []

    def broken(_: Sequence[Event]) -> None:
        raise RuntimeError("boom")

    hub.subscribe(broken)
    hub.subscribe(seen.append)
    hub.publish(JobRemoved("deepo", "1"))
    hub.flush()
    assert seen == [[JobRemoved("deepo", "1")]]


async def test_delivery_happens_once_per_tick_in_the_loop() -> None:
    hub = EventHub(tick=0.0)
    batches: list[Sequence[Event]] = []
    hub.subscribe(batches.append)
    for n in range(50):
        hub.publish(JobChanged(watched("1", JobState.RUNNING), None))
        hub.publish(JobChanged(watched(str(n), JobState.RUNNING), None))
    assert batches == []  # nothing is delivered synchronously
    await asyncio.sleep(0)  # one loop turn: the tick-0 timer fires
    await asyncio.sleep(0)
    assert len(batches) == 1
    assert len(batches[0]) == 50
