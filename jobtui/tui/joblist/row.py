"""One watched job flattened into a row: what the list filters, sorts and draws.

Building a row does the string work once (lower-cased search text,
timestamps as floats), so filtering 100k rows is a loop over plain fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobtui.insights.failures import FAILURE_STATES, signature_of, signature_token
from jobtui.model import JobKey, JobState
from jobtui.store import WatchedJob

__all__ = [
    "SORT_COLUMNS",
    "SORT_KEYS",
    "STATE_ORDER",
    "STATE_SORT_ORDER",
    "JobKey",
    "JobRow",
    "SortKey",
]


SORT_COLUMNS: tuple[str, ...] = (
    "state",
    "provider",
    "id",
    "label",
    "progress",
    "summary",
    "age",
    "updated",
)
"""Columns the list can be sorted by, in the order ``s`` cycles through them."""

STATE_ORDER: tuple[JobState, ...] = (
    JobState.FAILED,
    JobState.PARTIAL,
    JobState.UNKNOWN,
    JobState.RUNNING,
    JobState.PAUSED,
    JobState.QUEUED,
    JobState.CANCELED,
    JobState.SUCCEEDED,
)
"""Every state, what needs attention first: the list's state sort and the sidebar's counts."""

STATE_SORT_ORDER: dict[JobState, int] = {state: rank for rank, state in enumerate(STATE_ORDER)}
"""Sorting by state puts what needs attention first."""

def _awaiting(watched: WatchedJob) -> bool:
    # As ``columns.awaiting_first_poll``: added and never polled (no snapshot, no attempt).
    return watched.job is None and watched.polled_at is None and watched.poll_error is None


def _timestamp(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


@dataclass(frozen=True, slots=True)
class JobRow:
    """One watched job flattened for filtering, sorting and drawing."""

    key: JobKey
    watched: WatchedJob
    provider: str
    kind: str
    id: str
    label: str
    state: JobState
    raw_status: str
    summary: str
    error: str
    poll_error: str
    progress: float | None
    queue_position: int | None
    queue_length: int | None
    created: float
    """Creation time at the provider, or when jobtui started watching (epoch seconds)."""
    updated: float | None
    """Last change at the provider, or the last poll (epoch seconds)."""
    haystack: str

    @property
    def sig(self) -> str:
        """The failure group token (``sig:`` filters by it); empty unless failed or partial.

        Computed on demand: only a ``sig:`` term asks, and only failures have one.
        """
        job = self.watched.job
        if job is None or self.state not in FAILURE_STATES:
            return ""
        return signature_token(signature_of(job))

    def looks_like(self, other: JobRow) -> bool:
        """Whether a line drawn from ``other`` shows what one drawn from this row would.

        Every field a column draws, and whether the job still awaits its first
        poll; not the ``watched`` record itself, whose poll times and attempt
        counts change with each poll that changes nothing on screen (a failed
        probe writing the same "network error" again).
        """
        return (
            self.key == other.key
            and self.label == other.label
            and self.summary == other.summary
            and self.error == other.error
            and self.poll_error == other.poll_error
            and self.raw_status == other.raw_status
            and self.state == other.state
            and self.progress == other.progress
            and self.queue_position == other.queue_position
            and self.queue_length == other.queue_length
            and self.created == other.created
            and self.updated == other.updated
            and _awaiting(self.watched) == _awaiting(other.watched)
        )

    @classmethod
    def from_watched(cls, watched: WatchedJob) -> JobRow:
        """Flatten a stored job."""
        job = watched.job
        label = watched.label or ""
        summary = job.summary if job else ""
        error = (job.error or "") if job else ""
        raw_status = (job.raw_status or "") if job else ""
        poll_error = watched.poll_error or ""
        created = _timestamp(job.created_at if job else None) or watched.added_at.timestamp()
        updated = _timestamp(job.updated_at if job else None) or _timestamp(watched.polled_at)
        haystack = "\x00".join(
            (watched.provider, watched.id, label, summary, raw_status, error, poll_error)
        ).lower()
        return cls(
            key=(watched.provider, watched.id),
            watched=watched,
            provider=watched.provider,
            kind=watched.kind,
            id=watched.id,
            label=label,
            state=watched.state,
            raw_status=raw_status,
            summary=summary,
            error=error,
            poll_error=poll_error,
            progress=job.progress if job else None,
            queue_position=job.queue_position if job else None,
            queue_length=job.queue_length if job else None,
            created=created,
            updated=updated,
            haystack=haystack,
        )


SortKey = tuple[Any, ...]

SORT_KEYS: dict[str, Callable[[JobRow], tuple[Any, ...]]] = {
    "state": lambda row: (STATE_SORT_ORDER[row.state],),
    "provider": lambda row: (row.provider,),
    "id": lambda row: (row.id,),
    "label": lambda row: (row.label == "", row.label.lower()),
    "progress": lambda row: (-1.0 if row.progress is None else row.progress,),
    "summary": lambda row: (row.summary.lower(),),
    "age": lambda row: (row.created,),
    "updated": lambda row: (row.updated is not None, row.updated or 0.0),
}
"""Per column, the leading part of a row's sort key."""
