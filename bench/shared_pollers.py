"""Jobs polled per second by 1, 2 and 3 ``jobtui poll --shared`` on one store.

    .venv/bin/python -m bench.shared_pollers [--jobs 3000] [--window 10] [--backend both]

The simulator serves ``--jobs`` active Deepomatic jobs (batches of 100 ids a
request); every job is due again 0.1 s after its poll, so the pollers poll
as fast as they can. For each pool size the store is fresh, the pollers are
real processes, and the figure is what the simulator saw: job polls (each
id of a batch counts) per second over ``--window`` seconds once every poller
has joined, with the busiest second of requests. Two budgets: none (what the
pool can do on this machine) and ``rate_limit = 20`` (the team's budget:
the figure must not grow with the pool). Ratios are against one poller in
the same run; the load average is printed beside them.

PostgreSQL is a throwaway server started for the run, as the tests start it
(``tests/support/pgserver.py``), on a unix socket of the same machine.
"""

from __future__ import annotations

import argparse
import bisect
import os
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import tomli_w

from jobtui.sim import Simulator
from jobtui.store import open_store

REPO = Path(__file__).resolve().parent.parent
KIND = "deepomatic"


def write_config(path: Path, sim: Simulator, rate: float | None) -> Path:
    """The simulator's Deepomatic table alone, every job due 0.1 s after its poll."""
    data = tomllib.loads(sim.config_toml(store_jobs=False))
    data["providers"] = {KIND: data["providers"][KIND]}
    data.pop("jobs", None)
    data["defaults"] = {"poll_interval": 0.1, "max_interval": 0.1}
    if rate is not None:
        data["providers"][KIND]["rate_limit"] = rate
    path.write_text(tomli_w.dumps(data))
    return path


def asks(sim: Simulator) -> tuple[int, list[float]]:
    """Job polls so far (each id of a batch counts) and every request's time."""
    detail = sim.stats(detail=True)["detail"].get(KIND, {"jobs": {}, "times": []})
    return sum(len(times) for times in detail["jobs"].values()), list(detail["times"])


def busiest_second(times: list[float]) -> int:
    """The most requests in any one-second window."""
    times = sorted(times)
    return max(
        (bisect.bisect_left(times, start + 1.0) - n for n, start in enumerate(times)), default=0
    )


def one_pool(
    sim: Simulator, ids: list[str], location: str, config: Path, pollers: int, window: float
) -> tuple[float, int]:
    """(job polls per second, busiest second of requests) for ``pollers`` processes."""
    with open_store(location) as store:
        store.add_jobs([(KIND, KIND, job_id, None) for job_id in ids])
    work = Path(tempfile.mkdtemp(prefix="jobtui-pool-"))
    env = dict(os.environ, JOBTUI_LEASE_PERIOD="5", XDG_STATE_HOME=str(work))
    logs = [work / f"poll{n}.log" for n in range(pollers)]

    def start(log: Path) -> subprocess.Popen[bytes]:
        argv = ["--config", str(config), "--store", location, "--log-file", str(log)]
        return subprocess.Popen(
            [sys.executable, "-m", "jobtui", *argv, "poll", "--shared"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )

    processes = [start(log) for log in logs]
    try:
        deadline = time.monotonic() + 120
        while not all(log.exists() and "polling deepomatic" in log.read_text() for log in logs):
            if time.monotonic() > deadline:
                raise SystemExit("the pollers never started")
            time.sleep(0.2)
        before, _ = asks(sim)
        started = time.monotonic()
        time.sleep(window)  # the measuring window itself
        after, times = asks(sim)
        elapsed = time.monotonic() - started
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
    cutoff = time.time() - elapsed
    return (after - before) / elapsed, busiest_second([t for t in times if t >= cutoff])


def measure(
    backends: dict[str, Callable[[], str]], jobs: int, window: float, work: Path
) -> list[tuple[str, str, int, float, int]]:
    """(backend, budget, pollers, job polls/s, busiest second) for every combination."""
    rows: list[tuple[str, str, int, float, int]] = []
    for rate in (None, 20.0):
        budget = "none" if rate is None else f"{rate:.0f}/s"
        for backend, fresh in backends.items():
            for pollers in (1, 2, 3):
                sim = Simulator(jobs=0, speed=0, port=0)
                sim.start_in_thread()
                try:
                    ids = [sim.create_job(KIND) for _ in range(jobs)]
                    config = write_config(work / f"config-{len(rows)}.toml", sim, rate)
                    rate_per_s, busiest = one_pool(sim, ids, fresh(), config, pollers, window)
                finally:
                    sim.stop_in_thread()
                rows.append((backend, budget, pollers, rate_per_s, busiest))
                print(
                    f"  {backend:10} budget {budget:5} pollers {pollers}:"
                    f" {rate_per_s:8.0f} job polls/s, busiest second {busiest} requests",
                    flush=True,
                )
    return rows


def main() -> None:
    """Start what is needed, measure every pool size on every backend, print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3000)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    load_before = os.getloadavg()
    server = None
    with tempfile.TemporaryDirectory(prefix="jobtui-bench-") as scratch:
        work = Path(scratch)
        backends: dict[str, Callable[[], str]] = {}
        if args.backend in ("sqlite", "both"):
            counter = iter(range(1_000_000))
            backends["sqlite"] = lambda: str(work / f"store{next(counter)}.sqlite")
        if args.backend in ("postgresql", "both"):
            sys.path.insert(0, str(REPO / "tests"))
            from support.pgserver import PostgresServer, find_bin_dir

            bin_dir = find_bin_dir()
            if bin_dir is None:
                raise SystemExit("no PostgreSQL binaries: apt-get install postgresql")
            server = PostgresServer(bin_dir)
            server.start()
            started = server
            backends["postgresql"] = lambda: started.url(started.fresh_database())
        try:
            rows = measure(backends, args.jobs, args.window, work)
        finally:
            if server is not None:
                server.stop()
    print(f"\n{args.jobs} active jobs, {args.window:.0f} s windows; ratios against 1 poller")
    for backend, budget, pollers, rate, busiest in rows:
        base = next(r for b, g, p, r, _ in rows if (b, g, p) == (backend, budget, 1))
        print(
            f"  {backend:10} budget {budget:5} {pollers} poller(s): {rate:8.0f} job polls/s"
            f"  x{rate / base:.2f}  busiest second {busiest}"
        )
    print(f"  load average before/after {load_before} / {os.getloadavg()}")


if __name__ == "__main__":
    main()
