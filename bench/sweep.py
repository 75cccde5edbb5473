"""How fast one `status --all` sweep is, against a sequential one-GET-per-job client.

    .venv/bin/python bench/sweep.py [--per-provider 2000] [--rounds 3] [--rate 1000]

Starts the simulator (speed 0: jobs hold still, so both sides fetch the same
thing), watches N jobs per provider in a throwaway store, then alternates
rounds of:

- engine: ``Engine.sweep(all_jobs=True)`` — batching, concurrency, one
  store writer;
- sequential: the same providers' keep-alive httpx clients, one
  ``fetch([id])`` (one GET, parse included) per job, one after another.

It prints jobs/s for both, their ratio, and the Deepomatic request count of
an engine sweep read from ``/_sim/stats`` (expected ⌈N/100⌉).

Rate limit: Tensor.Art documents 5 requests/s and jobtui uses that when the
config sets none, so 2,000 Tensor.Art jobs alone would take 400 s. The
simulator does not enforce 5 QPS unless told to, so this bench sets
``rate_limit`` (``--rate``) on every provider explicitly. Against the real
service, keep the documented budget. The numbers are for people; tests never
assert them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from jobtui.config import load_config

from jobtui.engine import Engine
from jobtui.providers import create_provider
from jobtui.sim import Simulator
from jobtui.store import Store


def _config_text(sim: Simulator, rate: float, concurrency: int) -> str:
    data: dict[str, Any] = tomllib.loads(sim.config_toml(store_jobs=True))
    for table in data.get("providers", {}).values():
        table["rate_limit"] = rate
        table["max_concurrency"] = concurrency
    return tomli_w.dumps(data)


def _deepomatic_requests(stats: dict[str, Any]) -> int:
    """Requests the simulator served for deepomatic (tolerates a nested or flat layout)."""
    for key in ("deepomatic", "requests"):
        value = stats.get(key)
        if isinstance(value, dict):
            inner = value.get("requests", value.get("deepomatic"))
            if isinstance(inner, int):
                return inner
            if isinstance(inner, dict):
                return int(sum(v for v in inner.values() if isinstance(v, int)))
    return -1


async def _engine_round(config: Any, store_file: Path) -> tuple[float, int]:
    store = Store(store_file)
    engine = Engine(config, store, discover=False)
    try:
        await engine.load()
        count = len(engine.jobs())
        started = time.perf_counter()
        await engine.sweep(all_jobs=True)
        return time.perf_counter() - started, count
    finally:
        await engine.aclose()
        store.close()


async def _sequential_round(config: Any, ids: dict[str, list[str]]) -> tuple[float, int]:
    providers = {name: create_provider(cfg) for name, cfg in config.providers.items()}
    try:
        count = 0
        started = time.perf_counter()
        for name, provider in providers.items():
            for job_id in ids.get(name, []):
                await provider.fetch([job_id])
                count += 1
        return time.perf_counter() - started, count
    finally:
        for provider in providers.values():
            await provider.aclose()


def main() -> None:
    """Run the alternating rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-provider", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    sim = Simulator(jobs=args.per_provider, seed=1, faults=0.0, speed=0.0)
    sim.start_in_thread()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config_file = Path(tmp) / "config.toml"
            config_file.write_text(_config_text(sim, args.rate, args.concurrency))
            config = load_config(config_file)
            store_file = Path(tmp) / "store.db"
            ids: dict[str, list[str]] = {}
            for job in config.jobs:
                ids.setdefault(job.provider, []).append(job.id)
            engine_rates: list[float] = []
            sequential_rates: list[float] = []
            deepo_requests = -1
            for _ in range(args.rounds):
                before = _deepomatic_requests(sim.stats())
                seconds, count = asyncio.run(_engine_round(config, store_file))
                deepo_requests = _deepomatic_requests(sim.stats()) - before
                engine_rates.append(count / seconds)
                seconds, count = asyncio.run(_sequential_round(config, ids))
                sequential_rates.append(count / seconds)
            total = sum(len(v) for v in ids.values())
            engine_rate = statistics.median(engine_rates)
            sequential_rate = statistics.median(sequential_rates)
            print(f"jobs: {total:,} ({args.per_provider:,} per provider), rounds: {args.rounds}")
            print(f"engine sweep:      {engine_rate:10,.0f} jobs/s  {engine_rates}")
            print(f"sequential client: {sequential_rate:10,.0f} jobs/s  {sequential_rates}")
            print(f"ratio: {engine_rate / sequential_rate:.1f}x")
            deepo = len(ids.get("deepomatic", []))
            print(f"deepomatic requests per sweep: {deepo_requests} (jobs {deepo})")
    finally:
        sim.stop_in_thread()


if __name__ == "__main__":
    main()
