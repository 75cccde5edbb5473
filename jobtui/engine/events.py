"""What the engine tells its subscribers, coalesced to one batch per tick."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jobtui.model import JobKey, JobState, ProviderHealth
from jobtui.store import WatchedJob

__all__ = ["Event", "EventHub", "JobChanged", "JobRemoved", "ProviderChanged"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobChanged:
    """A watched job was added or polled; ``previous_state`` is None for a new job."""

    job: WatchedJob
    previous_state: JobState | None


@dataclass(frozen=True)
class JobRemoved:
    """A job left the watch list."""

    provider: str
    id: str


@dataclass(frozen=True)
class ProviderChanged:
    """A provider's health changed."""

    health: ProviderHealth


Event = JobChanged | JobRemoved | ProviderChanged
Subscriber = Callable[[Sequence[Event]], None]


class EventHub:
    """Collects events and hands subscribers one coalesced batch per tick.

    Within a tick the latest event per job wins (a change keeps the state the
    subscriber saw before the tick as ``previous_state``), and the latest
    health per provider wins.
    """

    def __init__(self, tick: float = 0.1) -> None:
        self.tick = tick
        self._subscribers: list[Subscriber] = []
        self._jobs: dict[JobKey, JobChanged | JobRemoved] = {}
        self._providers: dict[str, ProviderChanged] = {}
        self._scheduled: asyncio.TimerHandle | None = None

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Deliver batches to ``callback``; returns the function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: Event) -> None:
        """Queue one event for the next batch."""
        if isinstance(event, ProviderChanged):
            self._providers[event.health.provider] = event
        elif isinstance(event, JobRemoved):
            self._jobs[(event.provider, event.id)] = event
        else:
            key = (event.job.provider, event.job.id)
            earlier = self._jobs.get(key)
            if isinstance(earlier, JobChanged):
                event = JobChanged(event.job, earlier.previous_state)
            self._jobs[key] = event
        self._schedule()

    def _schedule(self) -> None:
        if self._scheduled is not None or not self._subscribers:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: the next flush() delivers
        self._scheduled = loop.call_later(self.tick, self.flush)

    @property
    def pending(self) -> int:
        """How many coalesced events wait for delivery."""
        return len(self._jobs) + len(self._providers)

    def flush(self) -> None:
        """Deliver what is queued now, as one batch."""
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        if not self._jobs and not self._providers:
            return
        batch: list[Event] = [*self._providers.values(), *self._jobs.values()]
        self._jobs.clear()
        self._providers.clear()
        for callback in list(self._subscribers):
            try:
                callback(batch)
            except Exception:
                # One broken subscriber must not stop the poller or the others.
                log.exception("event subscriber failed")
