"""The single path from poll results to the store and the in-memory model."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime

from jobtui.engine.events import EventHub, JobChanged
from jobtui.model import JobKey
from jobtui.store import JobStore, PollOutcome, WatchedJob

__all__ = ["JobModel", "StoreWriter"]

JobModel = dict[JobKey, WatchedJob]


def apply_outcome(previous: WatchedJob, outcome: PollOutcome) -> WatchedJob:
    """The watched job as the store holds it after ``outcome`` (same rules as the store)."""
    if outcome.job is not None:
        return dataclasses.replace(
            previous,
            kind=outcome.job.kind,
            job=outcome.job,
            state=outcome.job.state,
            next_poll_at=outcome.next_poll_at,
            poll_error=None,
            polled_at=outcome.polled_at,
        )
    return dataclasses.replace(
        previous,
        state=outcome.mark_state if outcome.mark_state is not None else previous.state,
        next_poll_at=outcome.next_poll_at,
        poll_error=outcome.error,
        polled_at=outcome.polled_at,
    )


class StoreWriter:
    """Writes poll outcomes in as few transactions as the load allows.

    Outcomes that arrive while a write is in flight are gathered into the
    next transaction, so thousands of single-job polls cost a handful of
    commits, and SQLite work never runs on the event loop.
    """

    def __init__(self, store: JobStore, jobs: JobModel, hub: EventHub) -> None:
        self._store = store
        self._jobs = jobs
        self._hub = hub
        self._pending: list[PollOutcome] = []
        # Requests sent, by (provider, minute): written with the next batch of outcomes.
        self._requests: dict[tuple[str, datetime], int] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._task: asyncio.Task[None] | None = None
        self.transactions = 0

    @property
    def busy(self) -> bool:
        """Whether a write is waiting or running."""
        return bool(self._pending) or (self._task is not None and not self._task.done())

    async def save(
        self, outcomes: list[PollOutcome], *, request: tuple[str, datetime] | None = None
    ) -> None:
        """Write ``outcomes`` (with whatever else is waiting) and update the model.

        ``request`` (provider, when) counts the request these outcomes came from.
        """
        if request is not None:
            minute = request[1].replace(second=0, microsecond=0)
            key = (request[0], minute)
            self._requests[key] = self._requests.get(key, 0) + 1
        if not outcomes:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.extend(outcomes)
        self._waiters.append(future)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        await future

    async def _drain(self) -> None:
        while self._pending:
            batch, waiters = self._pending, self._waiters
            requests, self._requests = self._requests, {}
            self._pending, self._waiters = [], []
            try:
                await asyncio.to_thread(self._store.save_outcomes, batch, requests)
            except Exception as exc:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(exc)
                continue
            self.transactions += 1
            for outcome in batch:
                key = (outcome.provider, outcome.id)
                previous = self._jobs.get(key)
                if previous is None:
                    continue  # removed while the poll was in flight
                updated = apply_outcome(previous, outcome)
                self._jobs[key] = updated
                self._hub.publish(JobChanged(updated, previous.state))
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
