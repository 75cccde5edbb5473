"""The normalized job model every layer speaks.

Five providers describe their jobs in five shapes; each provider module maps
its wire format onto these immutable models, and nothing above the providers
ever sees a native payload except as ``Job.raw``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = [
    "POLLED_HERE",
    "TERMINAL_STATES",
    "HealthState",
    "Job",
    "JobItem",
    "JobKey",
    "JobState",
    "ProviderHealth",
    "format_age",
    "format_duration",
]


JobKey = tuple[str, str]
"""A watched job's identity above the providers: (configured provider name, job id)."""


class JobState(StrEnum):
    """A job's state, the same words for every provider."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELED = "canceled"
    UNKNOWN = "unknown"

    @property
    def terminal(self) -> bool:
        """True once the job can no longer change at the provider."""
        return self in TERMINAL_STATES

    @property
    def problem(self) -> bool:
        """True for states a user should look at: failures, partials, unknowns."""
        return self in (JobState.FAILED, JobState.PARTIAL, JobState.UNKNOWN)


TERMINAL_STATES: frozenset[JobState] = frozenset(
    {JobState.SUCCEEDED, JobState.PARTIAL, JobState.FAILED, JobState.CANCELED}
)


class JobItem(BaseModel):
    """One unit of work inside a job: an image, a file, a subtask, an output."""

    model_config = ConfigDict(frozen=True)

    id: str
    """The item's identifier at the provider (or its index when it has none)."""
    label: str = ""
    """A short human description: a file name, a label and score, a node name."""
    state: JobState = JobState.UNKNOWN
    """The item's own state."""
    error: str | None = None
    """Why the item failed, in the provider's words."""
    url: str | None = None
    """Where the item's input or output lives, when the provider says."""


class Job(BaseModel):
    """A job at a provider, normalized.

    ``raw`` keeps the payload exactly as received so that nothing the
    provider said is lost; every other field is derived from it by the
    provider's ``parse``.
    """

    model_config = ConfigDict(frozen=True)

    kind: str
    """The provider kind (one of ``jobtui.providers.KINDS``)."""
    provider: str
    """The configured provider name; defaults to the kind."""
    id: str
    """The job's identifier at the provider."""
    state: JobState
    """The normalized state."""
    raw_status: str | None = None
    """The provider's own status word, kept verbatim."""
    created_at: AwareDatetime | None = None
    """When the job was created (UTC)."""
    started_at: AwareDatetime | None = None
    """When the job started running (UTC)."""
    updated_at: AwareDatetime | None = None
    """When the provider last changed the job (UTC)."""
    finished_at: AwareDatetime | None = None
    """When the job reached a terminal state (UTC)."""
    progress: float | None = Field(default=None, ge=0.0, le=1.0)
    """Fraction done, 0.0 to 1.0, when the provider reports it."""
    queue_position: int | None = None
    """Position in the provider's queue, when waiting."""
    queue_length: int | None = None
    """Length of the provider's queue, when waiting."""
    summary: str = ""
    """One human line: the outcome, the progress, or the failure."""
    error: str | None = None
    """The job-level error, in the provider's words."""
    items: tuple[JobItem, ...] = ()
    """The job's items, each with its own state."""
    raw: Any = None
    """The payload as received."""

    @property
    def key(self) -> JobKey:
        """The job's identity across the app: (provider name, id)."""
        return (self.provider, self.id)


class HealthState(StrEnum):
    """How a provider is doing, from the poller's point of view."""

    OK = "ok"
    DEGRADED = "degraded"
    AUTH_FAILED = "auth_failed"
    RATE_LIMITED = "rate_limited"
    UNREACHABLE = "unreachable"


POLLED_HERE = "this process"
"""``ProviderHealth.polled_by`` when the process showing it holds the provider's lease."""


class ProviderHealth(BaseModel):
    """The poller's view of one configured provider."""

    model_config = ConfigDict(frozen=True)

    provider: str
    """The configured provider name."""
    kind: str
    """The provider kind."""
    state: HealthState = HealthState.OK
    """Current health."""
    last_error: str | None = None
    """The most recent failure's message, secrets removed."""
    last_latency: float | None = None
    """Seconds taken by the most recent request."""
    next_retry_at: datetime | None = None
    """When polling resumes after a back-off, if it is backing off."""
    requests: int = 0
    """Requests sent since start."""
    failures: int = 0
    """Requests that failed since start."""
    paused: bool = False
    """True when polling is stopped until a retry (auth failure) or by the user."""
    polled_by: str | None = None
    """Who polls this provider: ``POLLED_HERE``, another process as ``pid@host``, or None."""


def format_duration(seconds: float) -> str:
    """A short human duration: ``40s``, ``3m 12s``, ``2h 5m``, ``3d 4h`` (the sign is dropped).

    One wording for every layer that tells a span of time (a Tensor.Art URL's
    expiry, the detail view's queued/ran times, the timeline).
    """
    total = int(abs(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {secs}s" if secs else f"{minutes}m"
    return f"{secs}s"


def format_age(seconds: float) -> str:
    """An age in ``kubectl get``'s steps, in four characters: ``95s``, ``42m``, ``20h``, ``12d``.

    Seconds while under 2 minutes, minutes under 3 hours, hours under 2 days,
    days under 2 years, then years. kubectl also shows ``6m14s`` under 10
    minutes and ``5h12m``, ``3d4h`` on the way: those steps are left out, so an
    age fits the list's narrow column and, past 2 minutes, its text changes at
    most once a minute (an idle screen over SSH rewrites nothing each second).
    One wording for every age that ticks on screen (the job list's age columns,
    the detail pane's elapsed time). Negative ages (clock skew) read as ``0s``.
    """
    total = max(int(seconds), 0)
    minutes = total // 60
    hours = minutes // 60
    days = hours // 24
    if total < 120:
        return f"{total}s"
    if hours < 3:
        return f"{minutes}m"
    if hours < 48:
        return f"{hours}h"
    if days < 730:
        return f"{days}d"
    return f"{days // 365}y"
