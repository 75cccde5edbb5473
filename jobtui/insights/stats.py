"""Per-provider statistics over a time window, from the store's jobs and transitions.

Queue time is from a job's first ``queued`` transition to its first
``running`` one; run time from that ``running`` to its first terminal
transition. Only what the store saw counts: a job first seen running has no
queue time, one first seen finished has neither. Percentiles interpolate
linearly between the closest ranks (``statistics.quantiles(...,
method="inclusive")``, numpy's default).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jobtui.insights.failures import FAILURE_STATES
from jobtui.model import JobState
from jobtui.store import Transition, WatchedJob

__all__ = ["ProviderStats", "percentile", "provider_stats", "queue_and_run_times"]


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` (0–1) percentile of ``values`` by linear interpolation; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def queue_and_run_times(
    transitions: Sequence[Transition], since: datetime | None = None
) -> tuple[float | None, float | None]:
    """(queue seconds, run seconds) of one job's transitions (oldest first), when seen.

    With ``since``, a queue time counts when the job started running in the
    window, a run time when it finished in it.
    """
    queued_at = running_at = finished_at = None
    for transition in transitions:
        state = transition.to_state
        if state is JobState.QUEUED and queued_at is None and running_at is None:
            queued_at = transition.at
        elif state is JobState.RUNNING and running_at is None:
            running_at = transition.at
        elif state.terminal and finished_at is None:
            finished_at = transition.at
            break
    queue = run = None
    if queued_at is not None and running_at is not None and (since is None or running_at >= since):
        queue = (running_at - queued_at).total_seconds()
    if (
        running_at is not None
        and finished_at is not None
        and (since is None or finished_at >= since)
    ):
        run = (finished_at - running_at).total_seconds()
    return queue, run


@dataclass(slots=True)
class ProviderStats:
    """One provider's figures over the window."""

    provider: str
    kind: str
    window_hours: float
    states: Counter[str] = field(default_factory=Counter)
    finished: int = 0
    failed: int = 0
    queue_times: list[float] = field(default_factory=list)
    run_times: list[float] = field(default_factory=list)
    requests: int = 0
    rate_limit: float | None = None
    credits: float | None = None

    @property
    def finished_per_hour(self) -> float:
        """Jobs that reached a terminal state in the window, per hour."""
        return self.finished / self.window_hours if self.window_hours > 0 else 0.0

    @property
    def failure_rate(self) -> float | None:
        """Failed and partial jobs among those finished in the window (None: none finished)."""
        return self.failed / self.finished if self.finished else None

    @property
    def budget(self) -> float | None:
        """Requests the rate limit allows over the window (None: no limit configured)."""
        if self.rate_limit is None:
            return None
        return self.rate_limit * self.window_hours * 3600

    def as_json(self) -> dict[str, Any]:
        """The figures as ``jobtui stats --json`` prints them (times in seconds)."""
        return {
            "provider": self.provider,
            "kind": self.kind,
            "jobs": sum(self.states.values()),
            "states": {s.value: self.states.get(s.value, 0) for s in JobState},
            "finished": self.finished,
            "finished_per_hour": round(self.finished_per_hour, 3),
            "failed": self.failed,
            "failure_rate": None if self.failure_rate is None else round(self.failure_rate, 4),
            "queue_p50": _rounded(percentile(self.queue_times, 0.5)),
            "queue_p95": _rounded(percentile(self.queue_times, 0.95)),
            "run_p50": _rounded(percentile(self.run_times, 0.5)),
            "run_p95": _rounded(percentile(self.run_times, 0.95)),
            "requests": self.requests,
            "rate_limit": self.rate_limit,
            "budget": None if self.budget is None else round(self.budget),
            "budget_used": (round(self.requests / self.budget, 6) if self.budget else None),
            "credits": self.credits,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _credits(watched: WatchedJob) -> float | None:
    raw = watched.job.raw if watched.job is not None else None
    if isinstance(raw, Mapping):
        body = raw.get("job", raw)
        value = body.get("credits") if isinstance(body, Mapping) else None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    return None


def provider_stats(
    jobs: Iterable[WatchedJob],
    transitions: Mapping[tuple[str, str], Sequence[Transition]],
    *,
    since: datetime,
    now: datetime,
    requests: Mapping[str, int] | None = None,
    rate_limits: Mapping[str, float | None] | None = None,
) -> list[ProviderStats]:
    """Figures per provider, by provider name, over ``since``..``now``.

    ``requests`` are the counts the store recorded in the window; ``rate_limits``
    the configured budgets (requests per second). Tensor.Art credits are summed
    over jobs finished in the window whose snapshots kept their payload.
    """
    hours = max((now - since).total_seconds() / 3600, 0.0)
    table: dict[str, ProviderStats] = {}
    limits = rate_limits or {}
    for watched in jobs:
        stats = table.get(watched.provider)
        if stats is None:
            stats = table[watched.provider] = ProviderStats(
                watched.provider, watched.kind, hours, rate_limit=limits.get(watched.provider)
            )
        stats.states[watched.state.value] += 1
        history = transitions.get((watched.provider, watched.id), ())
        ending = next((t for t in history if t.to_state.terminal), None)
        if ending is not None and since <= ending.at <= now:
            stats.finished += 1
            stats.failed += ending.to_state in FAILURE_STATES
            spent = _credits(watched) if watched.kind == "tensorart" else None
            if spent is not None:
                stats.credits = (stats.credits or 0.0) + spent
        queue, run = queue_and_run_times(history, since)
        if queue is not None:
            stats.queue_times.append(queue)
        if run is not None:
            stats.run_times.append(run)
    for name, count in (requests or {}).items():
        if name in table:
            table[name].requests = count
    return [table[name] for name in sorted(table)]
