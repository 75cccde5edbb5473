"""When to poll next: adaptive job intervals, back-off after failures, holding a provider."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jobtui.model import HealthState, JobState

__all__ = ["HOLD_AFTER", "Backoff", "IntervalPolicy", "ProviderHold"]

HOLD_AFTER = 3
"""Requests in a row that got nothing through before a whole provider is held back."""


@dataclass(frozen=True)
class IntervalPolicy:
    """Per-job poll intervals for one provider.

    A job that just changed is polled every ``poll_interval``; each poll that
    finds it unchanged stretches the interval by ``growth`` up to
    ``max_interval``; a queued job far back in a long queue is polled less
    often; a terminal job is not polled again (None).
    """

    poll_interval: float
    max_interval: float
    growth: float = 1.5

    def next_interval(
        self,
        state: JobState,
        previous: float | None,
        *,
        changed: bool,
        queue_position: int | None = None,
        scale: float = 1.0,
    ) -> float | None:
        """Seconds until the next poll, or None when the job needs no more polls."""
        if state.terminal:
            return None
        ceiling = max(self.poll_interval, self.max_interval) * scale
        base = self.poll_interval * scale
        interval = base if changed or previous is None else previous * self.growth
        if state is JobState.QUEUED and queue_position is not None and queue_position > 1:
            # Deep in a queue the job cannot start soon: sqrt keeps the first places brisk.
            interval = max(interval, base * math.sqrt(queue_position))
        return min(max(interval, base), ceiling)


@dataclass
class Backoff:
    """Exponential back-off with full jitter: a delay drawn from [0, min(cap, base·2^n)]."""

    base: float
    cap: float
    rng: random.Random

    def delay(self, attempt: int) -> float:
        """The delay before retry number ``attempt`` (0 for the first retry)."""
        ceiling = min(self.cap, self.base * (2.0 ** min(attempt, 60)))
        return self.rng.uniform(0.0, ceiling)


@dataclass
class ProviderHold:
    """Holds a whole provider back while it is down, and says when to probe it.

    Every request either got through (any answer that is not a 5xx, a refused
    connection or a timeout: a job, a 404, a 429, a broken body) or did not.
    After ``threshold`` requests in a row got nothing through, covering at
    least two jobs (one job's failures are that job's back-off, not the
    provider's), the provider is held: only a probe (one job's poll) goes, at
    exponentially growing intervals with full jitter. The first answer that
    gets through releases it.
    """

    backoff: Backoff
    threshold: int = HOLD_AFTER
    until: datetime | None = None
    """When the next probe is due; None while the provider is not held."""
    attempt: int = 0
    """Probes that failed in this hold."""
    state: HealthState = HealthState.UNREACHABLE
    """What the hold looks like: unreachable (no answer) or degraded (5xx)."""
    _streak: int = 0
    _streak_jobs: set[str] = field(default_factory=set)

    @property
    def held(self) -> bool:
        """Whether the provider is held back."""
        return self.until is not None

    def due(self, now: datetime) -> bool:
        """Whether a probe may go now."""
        return self.until is not None and now >= self.until

    def answered(self) -> bool:
        """A request got through: forget the streak; True when that ended a hold."""
        released = self.until is not None
        self.until = None
        self.attempt = 0
        self._streak = 0
        self._streak_jobs.clear()
        return released

    def failed(self, ids: Iterable[str], now: datetime, *, probe: bool, unreachable: bool) -> bool:
        """A request got nothing through; True when the probe time moved (hold began or grew).

        While held, only the probe's failure moves the next probe: answers to
        requests sent before the hold began say nothing new.
        """
        if self.until is not None:
            if not probe:
                return False
            self.attempt += 1
        else:
            self._streak += 1
            self._streak_jobs.update(ids)
            if self._streak < self.threshold or len(self._streak_jobs) < 2:
                return False
            self.attempt = 0
        self.state = HealthState.UNREACHABLE if unreachable else HealthState.DEGRADED
        self.until = now + timedelta(seconds=self.backoff.delay(self.attempt))
        return True

    def probe_now(self, now: datetime) -> None:
        """Let the next probe go at once (the user asked), keeping the back-off's growth."""
        if self.until is not None:
            self.until = min(self.until, now)
