"""Seeded jobs for the dashboard shell's tests: real Job objects, a fixed clock."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobtui.config.model import PROVIDER_CONFIG_TYPES, Config, UiConfig
from jobtui.model import Job, JobState
from jobtui.store import PollOutcome, Store, WatchedJob

NOW = datetime(2026, 3, 4, 12, 0, 0, tzinfo=UTC)
"""The frozen "now" of every shell test."""

PROVIDERS: tuple[tuple[str, str], ...] = (
    ("deepo", "deepomatic"),
    ("tart", "tensorart"),
    ("cdf", "cognite"),
    ("ii", "imageintelligence"),
    ("sai", "superai"),
)

HOSTILE_LABEL = "[bold]x[/] \x1b[31mred\x1b]52;c;aGk=\x07"
"""Rich markup, an ANSI colour and an OSC 52 clipboard write, in one label."""


class FrozenClock:
    """A clock stuck at ``NOW`` (or wherever it is moved)."""

    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        """The frozen time."""
        return self.current


def watched(
    provider: str,
    job_id: str,
    state: JobState,
    *,
    kind: str | None = None,
    label: str | None = None,
    summary: str = "",
    minutes_old: float = 1.0,
    progress: float | None = None,
    queue: tuple[int, int] | None = None,
    poll_error: str | None = None,
    raw: object = None,
) -> WatchedJob:
    """A stored job as the store would return it."""
    kind = kind or dict(PROVIDERS).get(provider, "deepomatic")
    created = NOW - timedelta(minutes=minutes_old)
    job = Job(
        kind=kind,
        provider=provider,
        id=job_id,
        state=state,
        raw_status=state.value.upper(),
        created_at=created,
        updated_at=created + timedelta(seconds=30),
        progress=progress,
        queue_position=queue[0] if queue else None,
        queue_length=queue[1] if queue else None,
        summary=summary,
        raw=raw if raw is not None else {"id": job_id, "status": state.value.upper()},
    )
    return WatchedJob(
        provider=provider,
        kind=kind,
        id=job_id,
        label=label,
        added_at=created,
        job=job,
        state=state,
        next_poll_at=None,
        poll_error=poll_error,
        polled_at=NOW - timedelta(seconds=10),
    )


def seeded_jobs() -> list[WatchedJob]:
    """A dozen jobs covering every state, a long uuid, a queue and a progress bar."""
    return [
        watched("deepo", "269999729", JobState.SUCCEEDED, label="retriever",
                summary="golden retriever 0.95", minutes_old=2),
        watched("tart", "1f3c9a7e-5b2d-4c8e-9f01-23456789abcd", JobState.RUNNING,
                summary="RUNNING 62% step 3/5", progress=0.62, minutes_old=3),
        watched("cdf", "123", JobState.FAILED, summary="2 of 3 files failed", minutes_old=4),
        watched("ii", "ask-42", JobState.PARTIAL, label="batch A",
                summary="3 of 4 images ok", minutes_old=5),
        watched("sai", "job-7", JobState.QUEUED, queue=(3, 17), minutes_old=6),
        watched("sai", "job-8", JobState.PAUSED, summary="suspended by operator", minutes_old=7),
        watched("tart", "job-9", JobState.CANCELED, summary="canceled", minutes_old=8),
        watched("deepo", "269999730", JobState.UNKNOWN, summary="", minutes_old=9,
                poll_error="HTTP 503: service unavailable"),
        watched("deepo", "269999731", JobState.RUNNING, summary="pending", minutes_old=10),
        watched("cdf", "124", JobState.SUCCEEDED, summary="segmented 12 images",
                minutes_old=65),
        watched("ii", "ask-43", JobState.SUCCEEDED, label=HOSTILE_LABEL,
                summary="[red]not markup[/red] \x1b[2J", minutes_old=120),
        watched("tart", "job-10", JobState.QUEUED, queue=(1, 2), minutes_old=1500),
    ]


def seed_store(store: Store, jobs: Iterable[WatchedJob]) -> None:
    """Write ``jobs`` into a real store: watch them, then record each snapshot or poll error."""
    jobs = list(jobs)
    store.add_jobs((job.provider, job.kind, job.id, job.label) for job in jobs)
    outcomes = [
        PollOutcome(job.provider, job.id, NOW - timedelta(seconds=20), None, job=job.job)
        for job in jobs
        if job.job is not None
    ]
    outcomes += [
        PollOutcome(job.provider, job.id, NOW - timedelta(seconds=10), None, error=job.poll_error)
        for job in jobs
        if job.poll_error
    ]
    store.save_outcomes(outcomes)


def shell_config(**ui: object) -> Config:
    """A config naming the five seeded providers (no secrets: nothing is polled)."""
    providers = {
        name: PROVIDER_CONFIG_TYPES[kind](name=name, kind=kind) for name, kind in PROVIDERS
    }
    return Config(ui=UiConfig(**ui), providers=providers)  # type: ignore[arg-type]


def open_store(path: Path) -> Store:
    """A real store file at ``path`` (the caller closes it)."""
    return Store(path)
