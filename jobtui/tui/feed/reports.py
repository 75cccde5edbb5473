"""What the stats pane (``I``) and the export (``w``) read and write; no Textual here.

The stats pane shows the figures of ``jobtui stats`` (``gather_stats``, the
very function the command prints), jobs finished and failed per minute over
the last hour, and each provider's budget: requests per second spent over
the last few minutes (the store's ``request_counts``, so every process's
polls count) against the ``rate_limit`` allowed, and how long one poll of
every active job takes at that limit.

The export writes the rows ``jobtui ls --json`` prints (``job_row``) for the
jobs the filter shows, in the list's order, as CSV or JSON lines by the file
name's suffix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jobtui.cli.formats import write_rows
from jobtui.cli.output import job_row
from jobtui.cli.stats_cmd import gather_stats, rate_limits_of
from jobtui.config.model import Config
from jobtui.insights.failures import FAILURE_STATES
from jobtui.insights.stats import ProviderStats
from jobtui.model import JobKey, JobState
from jobtui.store import JobStore

__all__ = [
    "BUDGET_WINDOW",
    "EXPORT_FORMATS",
    "SERIES_MINUTES",
    "STATS_WINDOW",
    "Budget",
    "StatsReport",
    "export_format",
    "export_rows",
    "read_stats",
    "request_rates",
    "write_export",
]

STATS_WINDOW = timedelta(hours=24)
"""The window of the per-provider table (``jobtui stats``'s default ``--since``)."""
SERIES_MINUTES = 60
"""How many minutes the sparklines cover, oldest first."""
BUDGET_WINDOW = timedelta(minutes=5)
"""Requests per second are averaged over this much of the recent past."""

EXPORT_FORMATS: dict[str, str] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
"""File name suffix → the format written."""


@dataclass(frozen=True, slots=True)
class Budget:
    """One provider's request budget as spent lately."""

    provider: str
    used: float
    """Requests per second sent over ``BUDGET_WINDOW`` (every process's)."""
    allowed: float | None
    """The ``rate_limit`` (requests per second), None when unlimited."""
    active: int
    """Jobs not finished: each costs a request per poll."""

    @property
    def share(self) -> float | None:
        """``used`` over ``allowed`` (may pass 1.0), None when unlimited."""
        return self.used / self.allowed if self.allowed else None

    @property
    def sweep_seconds(self) -> float | None:
        """Seconds to poll every active job once at the allowed rate (one job a request)."""
        return self.active / self.allowed if self.allowed else None


@dataclass(frozen=True, slots=True)
class StatsReport:
    """Everything the stats pane shows, read at ``now``."""

    now: datetime
    providers: list[ProviderStats]
    finished_per_minute: list[int]
    """Jobs reaching an end state in each of the last ``SERIES_MINUTES`` minutes."""
    failed_per_minute: list[int]
    """Of those, the ones ending failed or partial."""
    budgets: list[Budget] = field(default_factory=list)


def read_stats(store: JobStore, config: Config, now: datetime) -> StatsReport:
    """Read the stats pane's figures from ``store`` (blocking: call it off the event loop)."""
    limits = rate_limits_of(config)
    providers = gather_stats(store, now - STATS_WINDOW, now, limits)
    finished, failed = per_minute(store, now)
    rates = request_rates(store, now)
    budgets = [
        Budget(
            provider=stats.provider,
            used=rates.get(stats.provider, 0.0),
            allowed=stats.rate_limit,
            active=sum(n for state, n in stats.states.items() if not JobState(state).terminal),
        )
        for stats in providers
    ]
    return StatsReport(now, providers, finished, failed, budgets)


def request_rates(store: JobStore, now: datetime) -> dict[str, float]:
    """Requests per second each provider was sent over ``BUDGET_WINDOW`` (every process's).

    The store counts requests per minute: the window starts at a whole minute
    and runs to ``now``. Blocking: call it off the event loop.
    """
    since = (now - BUDGET_WINDOW).replace(second=0, microsecond=0)
    seconds = max((now - since).total_seconds(), 1.0)
    return {name: count / seconds for name, count in store.request_counts(since).items()}


def per_minute(store: JobStore, now: datetime) -> tuple[list[int], list[int]]:
    """Jobs finished, and failed, in each of the last ``SERIES_MINUTES`` minutes (oldest first)."""
    end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(minutes=SERIES_MINUTES)
    finished = [0] * SERIES_MINUTES
    failed = [0] * SERIES_MINUTES
    for transition in store.transitions_since(start):
        if not transition.to_state.terminal or transition.at >= end:
            continue
        if transition.from_state is not None and transition.from_state.terminal:
            continue  # a refresh that changed one end state to another: no new finish
        slot = int((transition.at - start).total_seconds() // 60)
        finished[slot] += 1
        failed[slot] += transition.to_state in FAILURE_STATES
    return finished, failed


# ---------------------------------------------------------------- export


def export_format(path: Path) -> str | None:
    """The format the file name asks for (``csv`` or ``jsonl``), None when it names none."""
    return EXPORT_FORMATS.get(path.suffix.lower())


def export_rows(store: JobStore, keys: Sequence[JobKey]) -> list[dict[str, Any]]:
    """The ``ls --json`` rows of ``keys``, in that order (blocking: off the event loop)."""
    found = {(job.provider, job.id): job for job in store.get_jobs(keys)}
    return [job_row(found[key]) for key in keys if key in found]


def write_export(path: Path, rows: Sequence[Mapping[str, Any]], fmt: str) -> None:
    """Write ``rows`` to ``path`` as ``fmt`` (``csv`` or ``jsonl``), replacing the file."""
    with path.open("w", encoding="utf-8", newline="") as out:
        write_rows([dict(row) for row in rows], fmt, out)
