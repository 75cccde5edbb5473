"""A job's life as a plan: the states it passes through and when, read lazily at any instant.

A provider simulation draws a ``Plan`` once per job (from the world's seeded
random generator) and computes the job's state from ``world.now()`` on every
request: nothing ticks in the background, a frozen clock freezes every job,
and advancing the clock moves them all at once.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

__all__ = [
    "Plan",
    "Step",
    "iso_micro_z",
    "iso_offset",
    "random_uuid",
    "seed_position",
    "spread",
    "step_plan",
]


@dataclass(frozen=True)
class Step:
    """One state of a plan and when it begins, in seconds after the job's creation."""

    state: str
    at: float


@dataclass(frozen=True)
class Plan:
    """A job's lifecycle: ``created`` (virtual time) and its steps; the last one is final."""

    created: float
    steps: tuple[Step, ...]

    def index_at(self, now: float) -> int:
        """Index of the step the job is in at virtual time ``now``."""
        elapsed = now - self.created
        index = 0
        for position, step in enumerate(self.steps):
            if step.at <= elapsed:
                index = position
            else:
                break
        return index

    def state_at(self, now: float) -> str:
        """The state at virtual time ``now``."""
        return self.steps[self.index_at(now)].state

    def started(self, index: int) -> float:
        """Virtual time at which step ``index`` begins."""
        return self.created + self.steps[index].at

    def finished_at(self) -> float:
        """Virtual time at which the final step begins."""
        return self.started(len(self.steps) - 1)

    def is_final(self, now: float) -> bool:
        """Whether the job has reached its final step at ``now``."""
        return self.index_at(now) == len(self.steps) - 1

    def cut(self, now: float, state: str) -> Plan:
        """The same plan ending at ``now`` in ``state`` (a cancellation, say)."""
        elapsed = max(0.0, now - self.created)
        kept = tuple(step for step in self.steps if step.at <= elapsed)
        return replace(self, steps=(*kept, Step(state, elapsed)))


def step_plan(created: float, states: Sequence[tuple[str, float]]) -> Plan:
    """A plan from ``(state, duration)`` pairs; the last duration is ignored (final state)."""
    steps: list[Step] = []
    at = 0.0
    for state, duration in states:
        steps.append(Step(state, at))
        at += duration
    return Plan(created, tuple(steps))


def seed_position(plan: Plan, now: float, index: int, rng: random.Random) -> Plan:
    """Backdate ``plan`` so that at ``now`` it sits somewhere along its life.

    The first seeded jobs walk through every step in turn (``index``), so a first
    screen shows every state; later ones land at random, half of them finished.
    """
    count = len(plan.steps)
    if index < 3 * count:
        target = index % count
    elif rng.random() < 0.5:
        target = count - 1
    else:
        target = rng.randrange(count)
    start = plan.steps[target].at
    if target < count - 1:
        elapsed = start + rng.random() * (plan.steps[target + 1].at - start)
    else:
        elapsed = start + rng.uniform(1.0, 3600.0)
    return replace(plan, created=now - elapsed)


def iso_micro_z(unix: float) -> str:
    """``2018-03-10T20:38:12.818792Z`` (Deepomatic's format)."""
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_offset(unix: float) -> str:
    """``2020-02-12T13:41:41.695000+00:00`` (super.AI's format)."""
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="microseconds")


def random_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (deterministic, unlike ``uuid.uuid4``)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def spread(rng: random.Random) -> float:
    """A duration in seconds, from a few seconds to about an hour, mostly short."""
    roll = rng.random()
    if roll < 0.55:
        return rng.uniform(2.0, 60.0)
    if roll < 0.9:
        return rng.uniform(60.0, 600.0)
    return rng.uniform(600.0, 3600.0)
