"""Which finished jobs to toast, and when: ``ui.notify``, one round every few seconds.

The first finish is shown at once; finishes that arrive within the next
:data:`ROUND_SECONDS` wait and join the next round. A round is one toast,
whatever its size (a few jobs by name, then how many more), and it is gone
when the next may come: at most one toast over the detail pane. Time comes from the caller (the
dashboard's injected clock), so tests decide when time has passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from jobtui.model import JobState
from jobtui.store import WatchedJob
from jobtui.tui.terminal.safe_text import safe

__all__ = ["ROUND_SECONDS", "TOAST_SECONDS", "FinishNotices", "Round", "Toast"]

NotifyMode = Literal["all", "failures", "none"]
Severity = Literal["information", "warning", "error"]

_FAILURES = frozenset({JobState.FAILED, JobState.PARTIAL})
_NAMED = 3
"""Jobs named in a round's toast; the rest are counted."""
ROUND_SECONDS = 3.0
"""The shortest time between two rounds."""
TOAST_SECONDS = ROUND_SECONDS
"""How long a finish toast stays: until the next round may come."""


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
        if self._last_round is not None and now - self._last_round < ROUND_SECONDS:
            return None
        jobs, self._held = self._held, []
        self._last_round = now
        failures = sum(job.state in _FAILURES for job in jobs)
        severity: Severity = "error" if failures else "information"
        lines = [_line(job) for job in jobs[:_NAMED]]
        if len(jobs) > _NAMED:
            lines.append(f"… and {len(jobs) - _NAMED:,} more")
        if len(jobs) == 1:
            title = "Job finished"
        else:
            title = f"{len(jobs):,} jobs finished"
            if failures:
                title += f", {failures:,} failed or partial"
        return Round((Toast("\n".join(lines), title, severity),), failures)


def _line(job: WatchedJob) -> str:
    """``provider id (label): state``, safe to display; the id always, as labels repeat."""
    label = f" ({job.label})" if job.label else ""
    return safe(f"{job.provider} {job.id}{label}: {job.state.value}")
