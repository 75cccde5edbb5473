"""Helpers for engine tests against the simulator: configs, and driving both clocks."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import tomli_w

from jobtui.config import load_config
from jobtui.config.model import Config
from jobtui.engine import Engine, ManualClock
from jobtui.sim import Simulator

T = TypeVar("T")


def write_config(
    path: Path,
    sim: Simulator,
    *,
    jobs: bool = True,
    defaults: Mapping[str, object] | None = None,
    providers: Mapping[str, Mapping[str, object]] | None = None,
    only: tuple[str, ...] | None = None,
) -> Path:
    """The simulator's own config, with ``[defaults]`` and per-provider keys changed."""
    data: dict[str, Any] = tomllib.loads(sim.config_toml(store_jobs=jobs))
    if only is not None:
        data["providers"] = {k: v for k, v in data["providers"].items() if k in only}
        data["jobs"] = [j for j in data.get("jobs", []) if j["provider"] in only]
    if defaults:
        data["defaults"] = dict(defaults)
    for name, changes in (providers or {}).items():
        data["providers"][name].update(changes)
    path.write_text(tomli_w.dumps(data))
    return path


def sim_config(path: Path, sim: Simulator, **kwargs: Any) -> Config:
    """``write_config`` then ``load_config``: the same path a user's config takes."""
    return load_config(write_config(path, sim, **kwargs))


async def settle(engine: Engine) -> None:
    """Return once the engine waits only for time: no request in flight, no write pending.

    Woken pollers reach their request through ready callbacks only, so a few
    loop turns show them; loopback answers need the loop to poll its sockets.
    """
    quiet = 0
    for _ in range(20_000):
        for _ in range(20):
            await asyncio.sleep(0)
        if engine.busy:
            quiet = 0
            await asyncio.sleep(0.001)  # let the loop read the sockets
            continue
        quiet += 1
        if quiet >= 3:
            return
    raise AssertionError("the engine never went quiet")


async def drive(
    engine: Engine,
    clock: ManualClock,
    sim: Simulator,
    done: Callable[[], bool],
    *,
    step: float,
    limit: int,
    each_step: Callable[[], Any] | None = None,
) -> int:
    """Advance both clocks by ``step`` until ``done()``; returns the steps taken."""
    for taken in range(limit):
        await settle(engine)
        if each_step is not None:
            result = each_step()
            if asyncio.iscoroutine(result):
                await result
        if done():
            return taken
        sim.clock.advance(step)
        clock.advance(step)
    raise AssertionError(f"not done after {limit} steps of {step}s")


async def run_to_end(engine: Engine, clock: ManualClock, work: Awaitable[T]) -> T:
    """Await ``work``, moving ``clock`` to the next wake-up whenever only time is awaited."""
    task = asyncio.ensure_future(work)
    while not task.done():
        await settle(engine)
        deadline = clock.next_deadline()
        if task.done() or deadline is None:
            await asyncio.sleep(0.001)
            continue
        clock.advance(max(0.0, (deadline - clock.now()).total_seconds()))
    return task.result()


def frozen_simulator(seed: int) -> Iterator[Simulator]:
    """A simulator at speed 0 (a fresh job stays in its first state), serving in a thread."""
    simulator = Simulator(jobs=0, speed=0, seed=seed)
    simulator.start_in_thread()
    yield simulator
    simulator.stop_in_thread()
