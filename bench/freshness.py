"""How soon a change at the provider reaches the store, and what polling costs per job-hour.

    .venv/bin/python -m bench.freshness [--per-provider 400] [--seconds 120] [--speed 5]

Runs the simulator (in a thread: this section measures delays of seconds, not
CPU) with jobs at every point of their lives and time running at ``speed``
simulated seconds per real second, and the engine with the config a user
gets (default poll intervals) for ``seconds``. Each time a job's provider
status changes in the store, the job's plan in the simulator says when it
entered that status; the delay is the real time between the two.

Polls are counted per job and split by what the store knew before the poll:
an active job or a finished one (the first poll of each job, which finds out
where it stands, is counted apart). Finished jobs must cost 0 polls.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import MODES, Figure, Mode, median, percentile

__all__ = ["measure", "run"]

SECTION = "freshness"


@dataclass
class _Seen:
    raw_status: str | None
    terminal: bool
    since: float  # monotonic time of the latest poll
    virtual: float  # simulator time of the latest poll


class _Observer:
    """Counts polls and change delays from the engine's event batches."""

    def __init__(self, sim: object, speed: float) -> None:
        self.sim = sim
        self.speed = speed
        self.seen: dict[tuple[str, str], _Seen] = {}
        self.delays: list[float] = []
        self.polls = {"active": 0, "finished": 0, "first": 0}
        self.job_seconds = {"active": 0.0, "finished": 0.0}
        self.unmatched = 0

    def _entered(self, kind: str, job_id: str, virtual: float) -> float | None:
        sim_of_kind = self.sim.sim(kind)  # type: ignore[attr-defined]
        job = getattr(sim_of_kind, "jobs", {}).get(job_id)
        if job is None:
            return None
        plan = job.plan
        return float(plan.started(plan.index_at(virtual)))

    def __call__(self, events: Sequence[object]) -> None:
        from jobtui.engine import JobChanged

        now = time.monotonic()
        virtual = self.sim.clock.now()  # type: ignore[attr-defined]
        for event in events:
            if not isinstance(event, JobChanged) or event.previous_state is None:
                continue  # loading the watch list is not a poll
            watched = event.job
            key = (watched.provider, watched.id)
            raw = watched.job.raw_status if watched.job is not None else None
            terminal = watched.state.terminal
            before = self.seen.get(key)
            self.seen[key] = _Seen(raw, terminal, now, virtual)
            if before is None:
                self.polls["first"] += 1
                continue
            group = "finished" if before.terminal else "active"
            self.polls[group] += 1
            self.job_seconds[group] += now - before.since
            if raw == before.raw_status:
                continue
            entered = self._entered(watched.kind, watched.id, virtual)
            if entered is None or entered < before.virtual:
                self.unmatched += 1  # the change predates the previous poll: not a fresh one
                continue
            self.delays.append((virtual - entered) / self.speed)

    def close(self) -> None:
        """Count each job's time since its latest poll, up to now."""
        now = time.monotonic()
        for seen in self.seen.values():
            group = "finished" if seen.terminal else "active"
            self.job_seconds[group] += now - seen.since


async def _observe(config: object, store_file: Path, observer: _Observer, seconds: float) -> int:
    from jobtui.engine import Engine
    from jobtui.store import Store

    store = Store(store_file)
    # A short tick: event batching must not add to the delay being measured.
    engine = Engine(config, store, tick=0.01, discover=False)  # type: ignore[arg-type]
    engine.subscribe(observer)
    task = asyncio.create_task(engine.run())
    try:
        await asyncio.sleep(seconds)
    finally:
        engine.stop()
        await task
        await engine.aclose()
        writes = engine.writes
        store.close()
    return writes


def measure(per_provider: int, seconds: float, speed: float) -> list[Figure]:
    """Watch the simulator's jobs for ``seconds`` real seconds."""
    from jobtui.config import load_config
    from jobtui.sim import Simulator

    sim = Simulator(jobs=per_provider, seed=3, speed=speed)
    sim.start_in_thread()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config_file = Path(tmp) / "config.toml"
            config_file.write_text(sim.config_toml(store_jobs=True))
            config = load_config(config_file)
            observer = _Observer(sim, speed)
            before = int(sim.stats()["total"])
            writes = asyncio.run(_observe(config, Path(tmp) / "store.sqlite", observer, seconds))
            observer.close()
            requests = int(sim.stats()["total"]) - before
    finally:
        sim.stop_in_thread()

    poll_interval = config.providers[next(iter(config.providers))].poll_interval
    context = {"jobs": per_provider * len(config.providers), "seconds": seconds,
               "speed": speed, "poll_interval": poll_interval, "changes": len(observer.delays),
               "changes_before_previous_poll": observer.unmatched}

    def per_hour(group: str) -> float:
        hours = observer.job_seconds[group] / 3600
        return observer.polls[group] / hours if hours else math.nan

    finished = per_hour("finished")
    return [
        Figure(SECTION, "change -> store delay, median", median(observer.delays), "s",
               detail=context),
        Figure(SECTION, "change -> store delay, p95", percentile(observer.delays, 0.95), "s",
               detail={"max": max(observer.delays, default=math.nan)}),
        Figure(SECTION, "polls per job-hour, active jobs", per_hour("active"), "polls/job-h",
               detail={"polls": observer.polls["active"],
                       "job_hours": observer.job_seconds["active"] / 3600}),
        Figure(SECTION, "polls per job-hour, finished jobs", finished, "polls/job-h", "= 0",
               observer.polls["finished"] == 0,
               {"polls": observer.polls["finished"],
                "job_hours": observer.job_seconds["finished"] / 3600}),
        Figure(SECTION, "simulator requests during the run", float(requests), "requests",
               detail={"first_polls": observer.polls["first"], "store_transactions": writes}),
    ]


def run(mode: Mode) -> list[Figure]:
    """The section as ``python -m bench`` runs it."""
    return measure(mode.fresh_per_provider, mode.fresh_seconds, mode.fresh_speed)


def main() -> None:
    """Run the freshness measurement and print its figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    full = MODES["full"]
    parser.add_argument("--per-provider", type=int, default=full.fresh_per_provider)
    parser.add_argument("--seconds", type=float, default=full.fresh_seconds)
    parser.add_argument("--speed", type=float, default=full.fresh_speed)
    args = parser.parse_args()
    for figure in measure(args.per_provider, args.seconds, args.speed):
        print(f"  {figure.name:40s} {figure.value:12,.2f} {figure.unit}")


if __name__ == "__main__":
    main()
