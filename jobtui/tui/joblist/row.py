"""One watched job flattened into a row: what the list filters, sorts and draws.

Building a row does the string work once (lower-cased search text,
timestamps as floats), so filtering 100k rows is a loop over plain fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

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

class JobRow(NamedTuple):
    """One watched job flattened for filtering, sorting and drawing.

    A named tuple rather than a frozen dataclass: as immutable, and built in a
    fifth of the time (a frozen dataclass sets each of its 17 fields through
    ``object.__setattr__``), which is most of building 100,000 rows at start-up.
    """

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
            and self.watched.awaiting_first_poll == other.watched.awaiting_first_poll
        )

    @classmethod
    def from_watched(cls, watched: WatchedJob) -> JobRow:
        """Flatten a stored job."""
        job = watched.job
        label = watched.label or ""
        poll_error = watched.poll_error or ""
        polled_at = watched.polled_at
        # One branch on the snapshot, timestamps inline: this runs once per row of
        # 100k at start-up, where every call and repeated test showed.
        if job is None:
            summary = error = raw_status = ""
            progress = queue_position = queue_length = None
            created = watched.added_at.timestamp()
            updated = None if polled_at is None else polled_at.timestamp()
        else:
            summary = job.summary
            error = job.error or ""
            raw_status = job.raw_status or ""
            progress, queue_position, queue_length = (
                job.progress, job.queue_position, job.queue_length
            )  # fmt: skip
            created_at, updated_at = job.created_at, job.updated_at
            created = (created_at.timestamp() if created_at is not None else 0.0) or (
                watched.added_at.timestamp()
            )
            updated = (updated_at.timestamp() if updated_at is not None else None) or (
                None if polled_at is None else polled_at.timestamp()
            )
        haystack = "\x00".join(
            (watched.provider, watched.id, label, summary, raw_status, error, poll_error)
        ).lower()
        # Positional: this runs once per row of a 100k listing, and keyword
        # arguments cost more than building the tuple.
        return cls(
            (watched.provider, watched.id),
            watched,
            watched.provider,
            watched.kind,
            watched.id,
            label,
            watched.state,
            raw_status,
            summary,
            error,
            poll_error,
            progress,
            queue_position,
            queue_length,
            created,
            updated,
            haystack,
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
