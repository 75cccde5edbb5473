"""Shared fixtures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from jobtui.sim import Simulator


@pytest.fixture
async def start_sim() -> AsyncIterator[Callable[..., Simulator]]:
    """A factory: ``sim = start_sim(jobs=5, speed=0)`` → a Simulator serving on a free port.

    In an async test it serves from the test's own loop (listening at once, accepting
    at the loop's next turn), so talk to it with async clients there: a blocking call
    would stall the very loop that serves it. In a sync test it serves from a thread.
    Stopped at teardown.
    """
    started: list[tuple[Simulator, bool]] = []

    def factory(**kwargs: Any) -> Simulator:
        kwargs.setdefault("port", 0)
        sim = Simulator(**kwargs)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            sim.start_in_thread()
            started.append((sim, True))
        else:
            sim.start_soon()
            started.append((sim, False))
        return sim

    yield factory
    for sim, threaded in reversed(started):
        if threaded:
            sim.stop_in_thread()
        else:
            await sim.stop()
