"""When to poll a job next: adaptive intervals, and back-off after failures."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from jobtui.model import JobState

__all__ = ["Backoff", "IntervalPolicy"]


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
