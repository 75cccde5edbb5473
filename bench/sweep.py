"""How fast one `status --all` sweep is, against a sequential client and the simulator's ceiling.

    .venv/bin/python -m bench.sweep [--per-provider 2000] [--rounds 3] [--rate 1000]

Starts ``jobtui sim`` in a child process pinned to CPU 0 (speed 0: jobs hold
still, so every side fetches the same thing) and runs the clients on CPU 1.
It watches N jobs per provider in a throwaway store, then alternates, round
after round:

- engine: ``Engine.sweep(all_jobs=True)`` (what ``jobtui status --all``
  does) — batching, concurrency, one store writer;
- (a) sequential: the same providers' keep-alive httpx clients, one
  ``fetch([id])`` (one GET, parse included) per job, one after another —
  what a provider SDK's waiter does;
- (b) ceiling: ``bench.rawhttp`` replaying one prepared raw GET per job
  over 16 connections, no parsing — the most the simulator can answer.

It reports jobs/s for each, the engine's ratio to (a), its fraction of (b)
(above 1 where batching beats one GET per job: Deepomatic takes 100 ids a
request), and the requests per provider of an engine sweep read from
``/_sim/stats`` (Deepomatic: ⌈N/100⌉).

Loopback answers in well under a millisecond, so there the sweep measures
client CPU per request, not waiting. A second, smaller comparison runs the
engine and (a) through ``bench.latency_proxy``, which adds 20 ms to every
answer, as a provider API in a nearby region would.

Rate limit: Tensor.Art documents 5 requests/s and jobtui uses that when the
config sets none, so 2,000 Tensor.Art jobs alone would take 400 s. The
simulator does not enforce it, so this bench sets ``rate_limit``
(``--rate``) on every provider explicitly. Against the real service, keep
the documented budget. The numbers are for people; tests never assert them.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from bench.common import MODES, Figure, LatencyProxy, Mode, SimProcess, median, pin, unpin
from bench.rawhttp import Target, get, replay
from bench.simrequests import job_requests

__all__ = ["measure", "run"]

SECTION = "sweep"
CEILING_CONNECTIONS = 16
FAR_DELAY = 0.02
"""Seconds the latency proxy adds to every answer: a provider API in a nearby region."""


def config_text(sim_config: str, rate: float, concurrency: int) -> str:
    """The simulator's config with an explicit budget on every provider."""
    data: dict[str, Any] = tomllib.loads(sim_config)
    for table in data.get("providers", {}).values():
        table["rate_limit"] = rate
        table["max_concurrency"] = concurrency
    return tomli_w.dumps(data)


async def _requests_by_kind(target: Target) -> dict[str, int]:
    stats = await target.call_json(get(target.netloc, "/_sim/stats"))
    assert isinstance(stats, dict)
    return {str(kind): int(n) for kind, n in stats.get("requests", {}).items()}


TRANSPORTS = ("aiohttp", "httpx", "httpx-aiohttp")
"""The engine's sides: jobtui's aiohttp transport (the default), httpx's own
(httpcore), and the ``httpx-aiohttp`` package's transport when installed."""
TRANSPORTS_RUN: tuple[str, ...] = TRANSPORTS
"""The sides this run measures (``--transports``; aiohttp always)."""


def _httpx_aiohttp(verify: Any, limits: Any, kind: str | None = None) -> Any:
    """``httpx_aiohttp.AiohttpTransport`` with a session that reads proxies from the env."""
    import aiohttp
    import httpx
    from httpx_aiohttp import AiohttpTransport

    def session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=limits.max_connections,
                ssl=httpx.create_ssl_context(verify=verify),
            ),
            trust_env=True,
        )

    return AiohttpTransport(client=session)


def use_transport(name: str) -> None:
    """Make ``make_client`` build clients on transport ``name`` (one of ``TRANSPORTS``)."""
    from jobtui.providers import http

    if not hasattr(http, "_bench_default_transport"):
        http._bench_default_transport = http.default_transport  # type: ignore[attr-defined]
    original = http._bench_default_transport  # type: ignore[attr-defined]
    if name == "httpx-aiohttp":
        http.default_transport = _httpx_aiohttp  # type: ignore[assignment]
    else:
        http.default_transport = original
        http.TRANSPORT = name


def available_transports() -> tuple[str, ...]:
    """``TRANSPORTS`` less ``httpx-aiohttp`` when that package is not installed."""
    from importlib.util import find_spec

    return tuple(t for t in TRANSPORTS if t != "httpx-aiohttp" or find_spec("httpx_aiohttp"))


async def _engine_round(
    config: Any, store_file: Path, transport: str = "aiohttp"
) -> tuple[float, int]:
    from jobtui.engine import Engine
    from jobtui.store import Store

    use_transport(transport)
    store = Store(store_file)
    engine = Engine(config, store, discover=False)
    try:
        await engine.load()
        count = len(engine.jobs())
        started, cpu = time.perf_counter(), time.process_time()
        await engine.sweep(all_jobs=True)
        _CPU_PER_JOB.setdefault(transport, []).append((time.process_time() - cpu) / count)
        return time.perf_counter() - started, count
    finally:
        await engine.aclose()
        store.close()


_CPU_PER_JOB: dict[str, list[float]] = {}
"""Client CPU seconds (this process, the store writer's thread included) per job, per side."""


async def _resweep_round(config: Any, store_file: Path) -> tuple[float, int]:
    """A second ``sweep(all_jobs=True)`` of one engine: every answer unchanged since the first.

    What a long-running poller (``jobtui poll``, the dashboard) does all day:
    the answers it gets are mostly the ones it got last time.
    """
    from jobtui.engine import Engine
    from jobtui.store import Store

    use_transport("aiohttp")
    store = Store(store_file)
    engine = Engine(config, store, discover=False)
    try:
        await engine.load()
        count = len(engine.jobs())
        await engine.sweep(all_jobs=True)
        started, cpu = time.perf_counter(), time.process_time()
        await engine.sweep(all_jobs=True)
        _CPU_PER_JOB.setdefault("re-sweep", []).append((time.process_time() - cpu) / count)
        return time.perf_counter() - started, count
    finally:
        await engine.aclose()
        store.close()


async def _sequential_round(config: Any, ids: dict[str, list[str]]) -> tuple[float, int]:
    from jobtui.providers import create_provider

    # The baseline is what an SDK's waiter does: plain httpx, one GET after another.
    use_transport("httpx")
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


async def measure(
    sim: SimProcess, workdir: Path, rounds: int, rate: float, concurrency: int
) -> list[Figure]:
    """Alternate engine, sequential and ceiling rounds against a running simulator."""
    from jobtui.config import load_config

    target = Target(sim.url)
    config_file = workdir / "config.toml"
    config_file.write_text(config_text(sim.config_text(), rate, concurrency))
    config = load_config(config_file)
    store_file = workdir / "store.sqlite"
    ids: dict[str, list[str]] = {}
    for job in config.jobs:
        ids.setdefault(job.provider, []).append(job.id)
    raw = await job_requests(target, ids)
    raw_requests = [request for kind in raw for request in raw[kind]]
    total = sum(len(v) for v in ids.values())

    transports = tuple(t for t in available_transports() if t in TRANSPORTS_RUN)
    by_transport: dict[str, list[float]] = {name: [] for name in transports}
    engine_rates = by_transport["aiohttp"]
    sequential_rates: list[float] = []
    ceiling_rates: list[float] = []
    resweep_rates: list[float] = []
    engine_requests: dict[str, int] = {}
    ceiling_bad = 0
    for _ in range(rounds):
        for name in transports:
            before = await _requests_by_kind(target)
            seconds, count = await _engine_round(config, store_file, name)
            after = await _requests_by_kind(target)
            if name == "aiohttp":
                engine_requests = {k: after.get(k, 0) - before.get(k, 0) for k in after}
            by_transport[name].append(count / seconds)
        seconds, count = await _sequential_round(config, ids)
        sequential_rates.append(count / seconds)
        seconds, count = await _resweep_round(config, store_file)
        resweep_rates.append(count / seconds)
        seconds, statuses = await replay(target, raw_requests, CEILING_CONNECTIONS)
        ceiling_bad = sum(n for status, n in statuses.items() if status != 200)
        ceiling_rates.append(len(raw_requests) / seconds)

    engine = median(engine_rates)
    sequential = median(sequential_rates)
    ceiling = median(ceiling_rates)
    ratio = engine / sequential
    context = {"jobs": total, "per_provider": {k: len(v) for k, v in ids.items()},
               "rounds": rounds, "rate_limit": rate, "max_concurrency": concurrency}
    figures = [
        Figure(SECTION, "engine sweep (status --all)", engine, "jobs/s",
               detail={"rounds": engine_rates, "transport": "aiohttp", **context}),
    ]
    for name in transports:
        if name == "aiohttp":
            continue
        other = median(by_transport[name])
        figures += [
            Figure(SECTION, f"engine sweep, {name} transport", other, "jobs/s",
                   detail={"rounds": by_transport[name]}),
            Figure(SECTION, f"engine aiohttp / engine {name}", engine / other, "x",
                   detail={"per_round": [a / b for a, b in zip(engine_rates, by_transport[name],
                                                               strict=True)]}),
        ]
    figures += [
        Figure(SECTION, "(a) sequential httpx, 1 GET/job", sequential, "jobs/s",
               detail={"rounds": sequential_rates}),
        Figure(SECTION, "(b) simulator ceiling, raw GETs", ceiling, "jobs/s",
               detail={"rounds": ceiling_rates, "connections": CEILING_CONNECTIONS,
                       "non_200": ceiling_bad, "kinds": sorted(raw)}),
        Figure(SECTION, "engine / (a) sequential", ratio, "x", ">= 3x (aim 10x)", ratio >= 3.0,
               {"per_round": [e / s for e, s in zip(engine_rates, sequential_rates, strict=True)]}),
        Figure(SECTION, "engine / (b) ceiling", engine / ceiling, "fraction", ">= 0.4",
               engine / ceiling >= 0.4,
               {"per_round": [e / c for e, c in zip(engine_rates, ceiling_rates, strict=True)]}),
        Figure(SECTION, "engine re-sweep, answers unchanged", median(resweep_rates), "jobs/s",
               detail={"rounds": resweep_rates}),
        # CPU per job moves far less with the machine's load than jobs/s do.
        Figure(SECTION, "engine sweep, client CPU per job",
               median(_CPU_PER_JOB["aiohttp"]) * 1000, "ms",
               detail={"rounds": _CPU_PER_JOB["aiohttp"]}),
        Figure(SECTION, "engine re-sweep, client CPU per job",
               median(_CPU_PER_JOB["re-sweep"]) * 1000, "ms",
               detail={"rounds": _CPU_PER_JOB["re-sweep"]}),
        Figure(SECTION, "engine re-sweep / (b) ceiling", median(resweep_rates) / ceiling,
               "fraction", detail={"per_round": [e / c for e, c in zip(resweep_rates,
                                                                    ceiling_rates, strict=True)]}),
    ]
    for kind in sorted(engine_requests):
        if kind.startswith("_"):
            continue
        jobs = len(ids.get(kind, []))
        expected = math.ceil(jobs / 100) if kind == "deepomatic" else None
        figures.append(
            Figure(
                SECTION,
                f"requests per sweep: {kind}",
                float(engine_requests[kind]),
                "requests",
                None if expected is None else f"= ceil(N/100) = {expected}",
                None if expected is None else engine_requests[kind] == expected,
                {"jobs": jobs},
            )
        )
    return figures


async def measure_far(
    sim: SimProcess, proxy_url: str, workdir: Path, rounds: int, rate: float, concurrency: int
) -> list[Figure]:
    """Engine against sequential through the latency proxy (the provider 20 ms away)."""
    from jobtui.config import load_config

    config_file = workdir / "config-far.toml"
    text = config_text(sim.config_text(), rate, concurrency).replace(sim.url, proxy_url)
    config_file.write_text(text)
    config = load_config(config_file)
    ids: dict[str, list[str]] = {}
    for job in config.jobs:
        ids.setdefault(job.provider, []).append(job.id)
    engine_rates: list[float] = []
    sequential_rates: list[float] = []
    for _ in range(rounds):
        seconds, count = await _engine_round(config, workdir / "store-far.sqlite")
        engine_rates.append(count / seconds)
        seconds, count = await _sequential_round(config, ids)
        sequential_rates.append(count / seconds)
    engine = median(engine_rates)
    sequential = median(sequential_rates)
    ratio = engine / sequential
    label = f"{FAR_DELAY * 1000:.0f} ms away"
    jobs = sum(len(v) for v in ids.values())
    return [
        Figure(SECTION, f"engine sweep, provider {label}", engine, "jobs/s",
               detail={"rounds": engine_rates, "jobs": jobs, "delay_s": FAR_DELAY}),
        Figure(SECTION, f"(a) sequential httpx, provider {label}", sequential, "jobs/s",
               detail={"rounds": sequential_rates}),
        Figure(SECTION, f"engine / (a) sequential, provider {label}", ratio, "x",
               ">= 3x (aim 10x)", ratio >= 3.0,
               {"per_round": [e / s for e, s in zip(engine_rates, sequential_rates,
                                                    strict=True)]}),
    ]


def run(mode: Mode, rate: float = 1000.0, concurrency: int = 16) -> list[Figure]:
    """The section as ``python -m bench`` runs it."""
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with SimProcess(workdir, jobs=mode.sweep_per_provider, cpu=0) as sim:
            pin(1)
            try:
                figures += asyncio.run(measure(sim, workdir, mode.rounds, rate, concurrency))
            finally:
                unpin()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with (
            SimProcess(workdir, jobs=mode.far_per_provider, cpu=0) as sim,
            LatencyProxy(sim.url, FAR_DELAY, cpu=0) as proxy,
        ):
            pin(1)
            try:
                figures += asyncio.run(
                    measure_far(sim, proxy.url, workdir, mode.rounds, rate, concurrency)
                )
            finally:
                unpin()
    return figures


def main() -> None:
    """Run the alternating rounds and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--per-provider", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--transports", default=",".join(TRANSPORTS),
        help="engine sides to measure, comma-separated (aiohttp is always measured)",
    )
    args = parser.parse_args()
    global TRANSPORTS_RUN
    TRANSPORTS_RUN = ("aiohttp", *(t for t in args.transports.split(",") if t != "aiohttp"))
    mode = Mode(**{**MODES["full"].__dict__, "sweep_per_provider": args.per_provider,
                   "rounds": args.rounds})
    for figure in run(mode, args.rate, args.concurrency):
        print(f"  {figure.name:40s} {figure.value:12,.2f} {figure.unit}")


if __name__ == "__main__":
    main()
