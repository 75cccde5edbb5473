"""What the dashboard needs from the engine, and how its events become row changes.

The dashboard works without an engine (it then shows the store, read-only
apart from adding and removing jobs); with one, it subscribes to its events.
``EngineLike`` is the part of ``jobtui.engine.Engine`` the dashboard calls.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from jobtui.model import JobKey, JobState, ProviderHealth
from jobtui.store import WatchedJob

__all__ = ["ClockLike", "EngineLike", "TickChanges", "collect_changes"]



class ClockLike(Protocol):
    """The clock the dashboard reads ages from (``jobtui.engine.Clock`` is one)."""

    def now(self) -> datetime:
        """The current time, aware UTC."""
        ...


class EngineLike(Protocol):
    """The engine as the dashboard uses it."""

    paused: bool
    interval_scale: float

    def subscribe(self, callback: Callable[[Sequence[Any]], None]) -> Callable[[], None]: ...
    def jobs(self) -> Mapping[JobKey, WatchedJob]: ...
    async def load_stored(self) -> Mapping[JobKey, WatchedJob]: ...
    def health(self) -> Mapping[str, ProviderHealth]: ...
    async def run(self) -> None: ...
    def stop(self) -> None: ...
    def refresh(self, keys: Iterable[JobKey] | None = None) -> None: ...
    def retry_provider(self, name: str) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def scale_intervals(self, factor: float) -> None: ...
    async def add_jobs(
        self, provider: str, ids: Sequence[str], label: str | None = None
    ) -> int: ...
    async def remove_jobs(self, keys: Iterable[JobKey]) -> int: ...
    def can_cancel(self, provider: str) -> bool: ...
    async def cancel(self, provider: str, job_id: str) -> None: ...
    async def aclose(self) -> None: ...


@dataclass
class TickChanges:
    """One tick's engine events, sorted into what the dashboard applies."""

    jobs: dict[JobKey, WatchedJob] = field(default_factory=dict)
    removed: set[JobKey] = field(default_factory=set)
    health: dict[str, ProviderHealth] = field(default_factory=dict)
    finished: list[tuple[WatchedJob, JobState | None]] = field(default_factory=list)
    """Jobs seen moving from an active state to a terminal one this tick, with the state before."""

    def __bool__(self) -> bool:
        return bool(self.jobs or self.removed or self.health)


def collect_changes(events: Collection[object], into: TickChanges | None = None) -> TickChanges:
    """Fold engine events (``JobChanged``, ``JobRemoved``, ``ProviderChanged``) into changes.

    The events are recognised by their fields, so the dashboard depends on
    the engine's contract rather than on its module.
    """
    changes = into if into is not None else TickChanges()
    for event in events:
        job = getattr(event, "job", None)
        health = getattr(event, "health", None)
        if isinstance(job, WatchedJob):
            key = (job.provider, job.id)
            changes.jobs[key] = job
            changes.removed.discard(key)
            previous = getattr(event, "previous_state", None)
            # From "never seen" (None) or "never fetched" (UNKNOWN) it is a first sighting:
            # the job may have finished long ago, so it is not news.
            if (
                job.state.terminal
                and previous is not None
                and previous is not JobState.UNKNOWN
                and not previous.terminal
            ):
                changes.finished.append((job, previous))
        elif isinstance(health, ProviderHealth):
            changes.health[health.provider] = health
        else:
            provider = getattr(event, "provider", None)
            job_id = getattr(event, "id", None)
            if isinstance(provider, str) and isinstance(job_id, str):
                changes.jobs.pop((provider, job_id), None)
                changes.removed.add((provider, job_id))
    return changes
