"""The SQLite store: watched jobs, their last good snapshot, and state transitions.

CONTRACT SKELETON — to be implemented (foundation issue). Signatures are the
interface the engine, the CLI and the dashboard are written against.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jobtui.model import Job, JobState


@dataclass(frozen=True, slots=True)
class WatchedJob:
    """A watched job as stored: identity, label, and the last good snapshot."""

    provider: str
    kind: str
    id: str
    label: str | None
    added_at: datetime
    job: Job | None  # last successfully parsed snapshot (None: never fetched)
    state: JobState  # job.state, or UNKNOWN when never fetched
    next_poll_at: datetime | None
    poll_error: str | None  # latest failed poll's message; None after a success
    polled_at: datetime | None  # time of the latest poll attempt (success or failure)


@dataclass(frozen=True, slots=True)
class Transition:
    """One state change of a job."""

    provider: str
    id: str
    at: datetime
    from_state: JobState | None  # None for the first state seen
    to_state: JobState
    raw_status: str | None


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of one job produced, to be written in a batch.

    Exactly one of ``job`` / ``error`` is set. With ``error``, the stored
    snapshot is kept and only ``poll_error``/``polled_at``/``next_poll_at``
    change (and, when ``mark_state`` is given — e.g. UNKNOWN for a 404 —
    the row's state becomes it, recorded as a transition).
    """

    provider: str
    id: str
    polled_at: datetime
    next_poll_at: datetime | None
    job: Job | None = None
    error: str | None = None
    mark_state: JobState | None = None


class Store:
    """One SQLite file in WAL mode. Not thread-safe: one instance per thread."""

    def __init__(self, path: Path | str) -> None: ...
    def close(self) -> None: ...
    def add_jobs(self, entries: Iterable[tuple[str, str, str, str | None]]) -> int:
        """Watch (provider, kind, id, label) entries; returns how many were new."""
        ...
    def remove_jobs(self, provider: str, ids: Sequence[str]) -> int: ...
    def save_outcomes(self, outcomes: Sequence[PollOutcome]) -> list[Transition]:
        """Write a batch in one transaction; returns the transitions it recorded."""
        ...
    def list_jobs(self, provider: str | None = None, state: JobState | None = None) -> list[WatchedJob]: ...
    def get_job(self, provider: str, job_id: str) -> WatchedJob | None: ...
    def transitions(self, provider: str, job_id: str) -> list[Transition]: ...
