"""An outline of every watched job: what the list's first page and the sidebar need.

At 100,000 jobs the whole lean listing takes over a second (parsing each
snapshot); the dashboard's first screen shows a few dozen rows and the
sidebar's counts. The outline is one narrow query: each job's key, state,
creation time (the one snapshot field the default sort needs, picked out by
the database) and its newest successful poll. From it the caller counts the
states and picks the keys of the first page in the list's own order, then
reads those few jobs whole (``get_jobs``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from jobtui.model import JobState
from jobtui.store.records import gc_paused, state_of

__all__ = ["OUTLINE_POSTGRES", "OUTLINE_SQLITE", "JobOutline", "outlines"]

_FRESH = "CASE WHEN COALESCE(poll_error, '') = '' AND snapshot IS NOT NULL THEN polled_at END"

OUTLINE_SQLITE = (
    "SELECT provider, id, state, json_extract(COALESCE(listing,"
    " CASE WHEN json_valid(snapshot) THEN snapshot END), '$.created_at'), added_at,"
    f" {_FRESH} FROM jobs"
)
"""The outline's query on SQLite (``listing``: the snapshot without its payloads)."""

OUTLINE_POSTGRES = (
    "SELECT provider, id, state, COALESCE(listing, snapshot)::jsonb ->> 'created_at',"
    f" added_at, {_FRESH} FROM jobs"
)
"""The outline's query on PostgreSQL."""


class JobOutline(NamedTuple):
    """One job as the first page and the sidebar see it before the whole list is read."""

    provider: str
    id: str
    state: JobState
    created: float
    """As ``JobRow.created``: the snapshot's creation time, else when it was added (epoch s)."""
    fresh_at: datetime | None
    """The latest poll when it succeeded and left a snapshot (None otherwise)."""


def _moment(value: str | datetime) -> datetime:
    # SQLite gives ISO text (what pydantic and ``stamp`` write), PostgreSQL datetimes.
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _created(created: Any, added: str | datetime) -> float:
    if created:
        try:
            stamp = _moment(created).timestamp()
        except (TypeError, ValueError):
            stamp = 0.0  # unreadable: the snapshot will not parse either
        if stamp:
            return stamp
    return _moment(added).timestamp()


def outlines(rows: list[tuple[Any, ...]]) -> list[JobOutline]:
    """The outline query's rows as outlines."""
    with gc_paused():
        return [
            JobOutline(
                provider,
                job_id,
                state_of(state),
                _created(created, added),
                None if fresh is None else _moment(fresh),
            )
            for provider, job_id, state, created, added, fresh in rows
        ]
