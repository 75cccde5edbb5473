"""The most GETs per second jobtui's HTTP client can send, with nothing else to do.

    .venv/bin/python -m bench.httpx_floor [--jobs 2000] [--rounds 3]

The poller's loopback target (a sweep at >= 40 % of the simulator's
ceiling) holds jobtui's whole work per job against raw GETs. This measures
the floor under it: ``httpx.AsyncClient`` as ``make_client`` builds it (its
aiohttp transport, 16 requests in flight), streaming each answer's bytes
as ``request_json`` does, and nothing else: no JSON decoding, no parsing,
no store. The simulator (speed 0) runs pinned to CPU 0, this client on
CPU 1; each round replays the same GETs raw first (``bench.rawhttp``, the
ceiling), then through httpx. The numbers are for people; tests never
assert them.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.common import SimProcess, pin
from bench.rawhttp import Target, replay
from bench.simrequests import job_ids, job_requests
from bench.sweep import config_text

__all__ = ["measure"]

CONCURRENCY = 16
"""Requests in flight, for the raw client and for httpx alike."""


async def measure(sim: SimProcess, workdir: Path, rounds: int) -> list[tuple[float, float, float]]:
    """Each round: (raw ceiling req/s, httpx req/s, httpx CPU ms per request)."""
    from jobtui.config import load_config
    from jobtui.providers.http import make_client
    from jobtui.sim import CREDENTIALS

    target = Target(sim.url)
    ids = {"superai": (await job_ids(target))["superai"]}
    raw = (await job_requests(target, ids))["superai"]
    config_file = workdir / "config.toml"
    config_file.write_text(config_text(sim.config_text(), 1000.0, CONCURRENCY))
    provider = load_config(config_file).providers["superai"]
    client = make_client(provider, sim.url + "/superai")
    headers = {"API-KEY": str(CREDENTIALS["superai"]["api_key"])}
    paths = [f"/v1/jobs/{job_id}" for job_id in ids["superai"]]
    results: list[tuple[float, float, float]] = []
    try:
        for _ in range(rounds):
            seconds, _statuses = await replay(target, raw, CONCURRENCY)
            pending = list(paths)

            async def worker(pending: list[str] = pending) -> None:
                while pending:
                    async with client.stream("GET", pending.pop(), headers=headers) as answer:
                        async for _chunk in answer.aiter_bytes():
                            pass

            started, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            results.append((len(raw) / seconds, len(paths) / wall, 1000 * cpu / len(paths)))
    finally:
        await client.aclose()
    return results


def main() -> None:
    """Print each round's ceiling, httpx's rate and its share of the ceiling."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000, help="super.AI jobs (one GET each)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        SimProcess(Path(tmp), jobs=args.jobs, speed=0.0, cpu=0) as sim,
    ):
        pin(1)
        for ceiling, rate, cpu in asyncio.run(measure(sim, Path(tmp), args.rounds)):
            print(
                f"raw ceiling {ceiling:8,.0f} req/s   httpx (jobtui's client) {rate:8,.0f} req/s"
                f"   {cpu:.3f} ms CPU/request   {rate / ceiling:.2f} of the ceiling"
            )


if __name__ == "__main__":
    main()
