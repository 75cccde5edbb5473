"""How many requests per second the simulator serves on one core.

    .venv/bin/python -m bench.sim_throughput [--seconds 5] [--connections 16] [--jobs 200]

Starts ``jobtui sim`` in a child process pinned to one CPU (speed 0, no
faults), and drives it from this process, pinned to another CPU when there is
one, with the raw keep-alive client of ``bench.rawhttp`` (an httpx client
would be the bottleneck, not the server). Each scenario keeps
``connections`` requests in flight for ``seconds`` and reports requests/s
and the mean latency.

Scenarios: Deepomatic single task (issue target: at least 1,500 status
requests/s), a Deepomatic batch of 100 tasks, a super.AI job and an Image
Intelligence ask job (Bearer token). The figures are for people; tests never
assert them.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.common import MODES, Figure, Mode, SimProcess, pin, unpin
from bench.rawhttp import Target, get, sustain
from bench.simrequests import job_ids, job_requests

__all__ = ["measure", "run"]

SECTION = "simulator"


async def measure(url: str, seconds: float, connections: int) -> list[Figure]:
    """Run every scenario against the simulator at ``url``."""
    target = Target(url)
    ids = await job_ids(target)
    wanted = ("deepomatic", "superai", "imageintelligence")
    ids = {kind: ids[kind] for kind in wanted if kind in ids}
    requests = await job_requests(target, ids)

    def cycle(kind: str) -> Callable[[], bytes]:
        prepared = itertools.cycle(requests[kind])
        return lambda: next(prepared)

    deepo = {"X-API-KEY": "sim-deepomatic-key"}
    batch_query = "&".join(f"task_ids={job}" for job in ids["deepomatic"][:100])
    batch = get(target.netloc, f"/deepomatic/v0.7/tasks/?{batch_query}&limit=100", deepo)
    scenarios: list[tuple[str, Callable[[], bytes], str | None, float | None]] = [
        ("deepomatic GET /v0.7/tasks/{id}", cycle("deepomatic"), ">= 1500 req/s", 1500.0),
        ("deepomatic batch of 100 tasks", lambda: batch, None, None),
        ("superai GET /v1/jobs/{id}", cycle("superai"), None, None),
        ("imageintelligence GET /v2/ask/{id}", cycle("imageintelligence"), None, None),
    ]
    figures: list[Figure] = []
    for name, factory, target_text, floor in scenarios:
        rate, mean_ms, bad = await sustain(target, factory, seconds, connections)
        figures.append(
            Figure(
                SECTION,
                name,
                rate,
                "req/s",
                target_text,
                None if floor is None else rate >= floor,
                {"mean_ms": mean_ms, "non_200": bad, "connections": connections,
                 "seconds": seconds},
            )
        )
    return figures


def run(mode: Mode, connections: int = 8, jobs: int = 200) -> list[Figure]:
    """The section as ``python -m bench`` runs it."""
    with tempfile.TemporaryDirectory() as tmp, SimProcess(Path(tmp), jobs=jobs, cpu=0) as sim:
        pin(1)
        try:
            return asyncio.run(measure(sim.url, mode.sim_seconds, connections))
        finally:
            unpin()


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=200)
    args = parser.parse_args()
    mode = MODES["full"]
    mode = Mode(**{**mode.__dict__, "sim_seconds": args.seconds})
    for figure in run(mode, args.connections, args.jobs):
        print(f"  {figure.name:40s} {figure.value:8.0f} req/s   {figure.detail['mean_ms']:6.2f} ms")


if __name__ == "__main__":
    main()
