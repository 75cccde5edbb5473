"""Which finished jobs to toast, and when: ``ui.notify``, at most one round per second.

The first finish is shown at once; finishes that arrive within the same
second wait and join the next round, so a burst of hundreds of jobs is one
summary toast rather than a wall of them. Time comes from the caller (the
dashboard's injected clock), so tests decide when a second has passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from jobtui.model import JobState
from jobtui.store import WatchedJob
from jobtui.tui.safe_text import safe

__all__ = ["FinishNotices", "Round", "Toast"]

NotifyMode = Literal["all", "failures", "none"]
Severity = Literal["information", "warning", "error"]

_FAILURES = frozenset({JobState.FAILED, JobState.PARTIAL})
_PER_ROUND = 3
"""More jobs than this finishing within a second get one summary toast."""
_ROUND_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Toast:
    """One notification to show (its text is already safe to display)."""

    message: str
    title: str
    severity: Severity


@dataclass(frozen=True, slots=True)
class Round:
    """The toasts of one round, and whether a failure is among them (for the bell)."""

    toasts: tuple[Toast, ...]
    failures: int


class FinishNotices:
    """Collects finished jobs and hands them out in rounds."""

    def __init__(self, mode: NotifyMode) -> None:
        self.mode = mode
        self._held: list[WatchedJob] = []
        self._last_round: float | None = None

    def add(self, finished: Iterable[WatchedJob]) -> None:
        """Note jobs that just reached a terminal state (those ``mode`` asks about)."""
        if self.mode == "none":
            return
        self._held.extend(
            job for job in finished if self.mode == "all" or job.state in _FAILURES
        )

    def take(self, now: float) -> Round | None:
        """The round due at ``now`` (epoch seconds), or None: nothing held, or too soon."""
        if not self._held:
            return None
        if self._last_round is not None and now - self._last_round < _ROUND_SECONDS:
            return None
        jobs, self._held = self._held, []
        self._last_round = now
        failures = sum(job.state in _FAILURES for job in jobs)
        if len(jobs) <= _PER_ROUND:
            toasts = tuple(
                Toast(
                    safe(f"{job.provider} {job.label or job.id}: {job.state.value}"),
                    "Job finished",
                    "error" if job.state in _FAILURES else "information",
                )
                for job in jobs
            )
            return Round(toasts, failures)
        summary = f"{len(jobs):,} jobs finished"
        if failures:
            summary += f", {failures:,} of them failed or partial"
        severity: Severity = "error" if failures else "information"
        return Round((Toast(summary, "Jobs finished", severity),), failures)
