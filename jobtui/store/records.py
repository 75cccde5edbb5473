"""The store's records and how they travel to and from SQLite rows.

``jobtui.store`` re-exports the records: import them from there.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from jobtui.errors import JobtuiError
from jobtui.model import Job, JobState

__all__ = [
    "JOB_COLUMNS",
    "JOB_COLUMNS_LEAN",
    "UPDATE_JOB",
    "PollOutcome",
    "PreparedOutcome",
    "StoreError",
    "Transition",
    "WatchedJob",
    "chunks",
    "gc_paused",
    "stamp",
    "state_of",
    "transition_from_row",
    "watch_rows",
    "watched_jobs",
]

log = logging.getLogger("jobtui.store")

# Keys per "IN (...)" query: well under SQLite's smallest variable limit (999).
_CHUNK = 500

JOB_COLUMNS = (
    "provider, kind, id, label, added_at, snapshot, state, next_poll_at, poll_error, polled_at"
)
"""The columns ``watched_jobs`` expects, in order."""

_WITHOUT_RAW = "WHEN json_valid(snapshot) THEN json_remove(snapshot, '$.raw') ELSE snapshot END"

JOB_COLUMNS_WITHOUT_RAW = JOB_COLUMNS.replace(
    "snapshot",
    # SQLite drops the payload in C, far faster than parsing it into Python and
    # throwing it away; a malformed snapshot is passed on for the usual warning.
    f"CASE {_WITHOUT_RAW}",
)
"""``JOB_COLUMNS`` with each snapshot's ``raw`` payload left out (it reads as None)."""

JOB_COLUMNS_LEAN = JOB_COLUMNS.replace(
    "snapshot",
    # The listing column (schema 3) holds the snapshot without raw and items, kept
    # beside it on every write; a row written before it existed falls back.
    f"COALESCE(listing, CASE {_WITHOUT_RAW})",
)
"""``JOB_COLUMNS`` with each snapshot read from ``listing``: no ``raw``, no ``items``."""

JOB_COLUMNS_RAW_UP_TO = JOB_COLUMNS.replace(
    "snapshot", f"CASE WHEN length(snapshot) <= ? THEN snapshot {_WITHOUT_RAW}"
)
"""``JOB_COLUMNS`` with ``raw`` left out of snapshots longer than the first parameter."""


class StoreError(JobtuiError):
    """The store file cannot be used: not a jobtui store, or written by a newer jobtui."""


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

    @property
    def awaiting_first_poll(self) -> bool:
        """Added and never polled: no snapshot, no attempt, no error yet."""
        return self.job is None and self.polled_at is None and self.poll_error is None


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

    ``claimed_by`` names the shared poller whose claim this poll answers:
    the outcome is written only while that claim is still its own (a claim
    that lapsed and went to another poller makes it stale) and the write
    clears the claim.
    """

    provider: str
    id: str
    polled_at: datetime
    next_poll_at: datetime | None
    job: Job | None = None
    error: str | None = None
    mark_state: JobState | None = None
    claimed_by: str | None = None

    def __post_init__(self) -> None:
        if (self.job is None) == (self.error is None):
            raise ValueError("a PollOutcome holds exactly one of job and error")


def stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("store timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _moment(value: str | datetime) -> datetime:
    # SQLite stores text with "+00:00": fromisoformat gives back an aware UTC
    # datetime. PostgreSQL hands datetimes over already (its sessions speak UTC).
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


_STATES: dict[str, JobState] = {state.value: state for state in JobState}
# One validation call for a whole listing: pydantic's loop runs in Rust.
_SNAPSHOTS: TypeAdapter[list[Job | None]] = TypeAdapter(list[Job | None])


def state_of(text: str) -> JobState:
    # A dict lookup, not JobState(text): enum calls cost more than the rest of a row.
    return _STATES.get(text, JobState.UNKNOWN)


def _snapshot(text: str | None, provider: str, job_id: str) -> Job | None:
    if text is None:
        return None
    try:
        return Job.model_validate_json(text)
    except ValidationError:
        # One unreadable snapshot (hand-edited file, older layout) must not hide
        # every other job: this one shows as never fetched until its next poll.
        log.warning("unreadable stored snapshot of %s/%s ignored", provider, job_id)
        return None


def _snapshots(rows: Sequence[tuple[Any, ...]]) -> list[Job | None]:
    texts = [row[5] or "null" for row in rows]
    try:
        jobs = _SNAPSHOTS.validate_json("[" + ",".join(texts) + "]")
    except ValidationError:
        jobs = []
    # Row by row when the joined parse failed or may have drifted (a hand-edited
    # snapshot spanning two rows): each job must land on its own row.
    if len(jobs) != len(rows) or any(
        job is not None and (job.id, job.provider) != (row[2], row[0])
        for job, row in zip(jobs, rows, strict=True)
    ):
        jobs = [_snapshot(row[5], row[0], row[2]) for row in rows]
    return jobs


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cycle collector while building many acyclic objects.

    Rebuilding 100k jobs allocates millions of objects; each allocation
    threshold triggers a collection that walks the growing heap, which more
    than doubles the time of a listing. Nothing built here forms a cycle.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def watched_jobs(rows: list[tuple[Any, ...]]) -> list[WatchedJob]:
    """Rows of ``JOB_COLUMNS`` as watched jobs, ordered by provider, time added, id."""
    with gc_paused():
        # ISO timestamps of one format order as text; sorting here spares
        # SQLite from sorting whole rows, snapshots included.
        rows.sort(key=lambda row: (row[0], row[4], row[2]))
        return [_watched(row, job) for row, job in zip(rows, _snapshots(rows), strict=True)]


def _watched(row: tuple[Any, ...], job: Job | None) -> WatchedJob:
    provider, kind, job_id, label, added_at, _, state, next_poll, error, polled = row
    # Positional: this runs once per row of a 100k listing.
    return WatchedJob(
        provider,
        kind,
        job_id,
        label,
        _moment(added_at),
        job,
        state_of(state),
        None if next_poll is None else _moment(next_poll),
        error,
        None if polled is None else _moment(polled),
    )


def transition_from_row(row: tuple[Any, ...]) -> Transition:
    provider, job_id, at, from_state, to_state, raw_status = row
    return Transition(
        provider=provider,
        id=job_id,
        at=_moment(at),
        from_state=None if from_state is None else state_of(from_state),
        to_state=state_of(to_state),
        raw_status=raw_status,
    )


Stamp = TypeVar("Stamp")


def watch_rows(
    entries: Iterable[tuple[str, str, str, str | None]], since: Stamp
) -> list[tuple[str, str, str, str | None, Stamp]]:
    """``add_jobs``' entries as rows (provider, id, kind, label, since), each checked."""
    rows = []
    for provider, kind, job_id, label in entries:
        if not provider or not job_id:
            raise ValueError("a watched job needs a provider name and an id")
        rows.append((provider, job_id, kind, label, since))
    return rows


def chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


UPDATE_JOB = """
UPDATE jobs SET
    kind = COALESCE(?, kind),
    state = COALESCE(?, state),
    state_seen = MAX(state_seen, ?),
    raw_status = CASE WHEN ? THEN ? ELSE raw_status END,
    snapshot = COALESCE(?, snapshot),
    listing = COALESCE(json_remove(?, '$.raw', '$.items'), listing),
    next_poll_at = ?,
    poll_error = ?,
    polled_at = ?
WHERE provider = ? AND id = ?
"""


@dataclass(frozen=True, slots=True)
class PreparedOutcome:
    """An outcome turned into ``UPDATE_JOB`` parameters, ahead of the transaction."""

    outcome: PollOutcome
    update: tuple[Any, ...]
    new_state: JobState | None  # the state it records, if any
    at: datetime

    @classmethod
    def of(cls, outcome: PollOutcome) -> PreparedOutcome:
        next_poll = None if outcome.next_poll_at is None else stamp(outcome.next_poll_at)
        polled = stamp(outcome.polled_at)
        at = outcome.polled_at.astimezone(UTC)
        job = outcome.job
        update: tuple[Any, ...]
        if job is not None:
            # Defaults left out: a third less to parse when listing, same Job back.
            snapshot = job.model_dump_json(exclude_defaults=True)
            update = (
                job.kind, job.state.value, 1, True, job.raw_status, snapshot, snapshot,
                next_poll, None, polled, outcome.provider, outcome.id,
            )  # fmt: skip
            return cls(outcome, update, job.state, at)
        marked = outcome.mark_state
        # The snapshot and its status word stay: a failed poll keeps the last good job.
        update = (
            None, None if marked is None else marked.value, 0 if marked is None else 1,
            False, None, None, None, next_poll, outcome.error, polled, outcome.provider,
            outcome.id,
        )  # fmt: skip
        return cls(outcome, update, marked, at)
