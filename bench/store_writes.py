"""What a store write costs: ``save_outcomes`` per 1,000 job updates, SQLite vs PostgreSQL.

    .venv/bin/python -m bench.store_writes [--per-provider 200] [--rounds 5] [--batch 50]

The outcomes are real-shaped: one real sweep of ``jobtui sim`` fills a
SQLite store (``bench.realstore``), and its jobs, payloads included, become
the poll outcomes written here. Each round writes every job once to a fresh
SQLite file and to a fresh PostgreSQL database, in batches of ``--batch``
(what the engine's writer hands the store when many polls finish at once),
the two backends alternating round after round; the median per 1,000 updates
and the ratio PostgreSQL/SQLite are printed, with the notifications the
PostgreSQL store sent (bounded by its throttle), how long a waiting viewer
takes to see a write (NOTIFY, then ``changes_since``) and the load average.

PostgreSQL is a throwaway server started for the run, as the tests start it
(``tests/support/pgserver.py``: ``initdb`` + ``pg_ctl``, ``fsync`` off, on a
unix socket of the same machine): the figure is the store's own cost, not
the network's or the disk's. ``--url`` measures an existing server instead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from jobtui.store import JobStore, PollOutcome, Store, open_store

REPO = Path(__file__).resolve().parent.parent


def outcomes_from_sweep(per_provider: int, work: Path) -> list[PollOutcome]:
    """The jobs of one real sweep of the simulator, as outcomes to write again."""
    from bench.realstore import build

    _, store_file, _ = build(work / "sweep", per_provider)
    with Store(store_file) as store:
        jobs = [watched for watched in store.list_jobs() if watched.job is not None]
    return [
        PollOutcome(
            w.provider,
            w.id,
            (w.polled_at or w.added_at) + timedelta(seconds=1),
            None,
            job=w.job,
        )
        for w in jobs
    ]


def one_round(store: JobStore, outcomes: Sequence[PollOutcome], batch: int) -> float:
    """Seconds to write every outcome once, ``batch`` at a time (the jobs are watched first)."""
    store.add_jobs({(o.provider, o.job.kind if o.job else "", o.id, None) for o in outcomes})
    started = time.perf_counter()
    for start in range(0, len(outcomes), batch):
        store.save_outcomes(outcomes[start : start + batch])
    return time.perf_counter() - started


def measure(
    outcomes: Sequence[PollOutcome],
    rounds: int,
    batch: int,
    sqlite_dir: Path,
    fresh_pg: Callable[[], str],
) -> dict[str, object]:
    """Median ms per 1,000 updates on each backend, alternating, and what PostgreSQL notified."""
    per_thousand = {"sqlite": [], "postgresql": []}  # type: dict[str, list[float]]
    notified: list[int] = []
    for n in range(rounds):
        with Store(sqlite_dir / f"round{n}.sqlite") as store:
            per_thousand["sqlite"].append(one_round(store, outcomes, batch) / len(outcomes) * 1e6)
        with open_store(fresh_pg()) as store:
            per_thousand["postgresql"].append(
                one_round(store, outcomes, batch) / len(outcomes) * 1e6
            )
            notified.append(getattr(store, "notifications_sent", 0))
    sqlite = statistics.median(per_thousand["sqlite"])
    postgres = statistics.median(per_thousand["postgresql"])
    return {
        "updates": len(outcomes),
        "batch": batch,
        "rounds": per_thousand,
        "sqlite_ms_per_1000": sqlite,
        "postgresql_ms_per_1000": postgres,
        "ratio": postgres / sqlite,
        "notifications_per_round": notified,
        "batches_per_round": -(-len(outcomes) // batch),
    }


def wake_latency(url: str, samples: int) -> list[float]:
    """Seconds from a write's return in one store to a waiting viewer seeing it in another.

    The viewer waits in ``wait_for_change`` (woken by NOTIFY), then reads
    ``changes_since``, as a dashboard's follower does.
    """
    import threading

    seen: list[float] = []
    with open_store(url) as writer, open_store(url) as viewer:
        viewer.wait_for_change(0.01)  # LISTEN issued before the first write
        for n in range(samples):
            cursor = viewer.latest_change()
            done = threading.Event()
            woke: list[float] = []

            def follow(
                cursor: int = cursor, done: threading.Event = done, woke: list[float] = woke
            ) -> None:
                while not done.is_set():
                    viewer.wait_for_change(5.0)
                    if viewer.changes_since(cursor):
                        woke.append(time.perf_counter())
                        return

            follower = threading.Thread(target=follow)
            follower.start()
            time.sleep(0.1)  # the follower is inside its wait: what is measured is the wake-up
            started = time.perf_counter()
            writer.add_jobs([("bench", "deepomatic", f"wake-{n}", None)])
            follower.join(10)
            done.set()
            if woke:
                seen.append(woke[0] - started)
    return seen


def main() -> None:
    """Build the outcomes, start a server unless given one, measure, print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--per-provider", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--url", help="an existing PostgreSQL server's maintenance database URL")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="jobtui-bench-") as scratch:
        work = Path(scratch)
        outcomes = outcomes_from_sweep(args.per_provider, work)
        server = None
        if args.url:
            import uuid

            import psycopg

            def fresh_pg() -> str:
                name = f"bench_{uuid.uuid4().hex[:12]}"
                with psycopg.connect(args.url, autocommit=True) as conn:
                    conn.execute(f"CREATE DATABASE {name}")
                return args.url.rsplit("/", 1)[0] + f"/{name}"
        else:
            sys.path.insert(0, str(REPO / "tests"))
            from support.pgserver import PostgresServer, find_bin_dir

            bin_dir = find_bin_dir()
            if bin_dir is None:
                raise SystemExit("no PostgreSQL binaries: apt-get install postgresql")
            server = PostgresServer(bin_dir)
            server.start()

            def fresh_pg() -> str:
                assert server is not None
                return server.url(server.fresh_database())

        try:
            result = measure(outcomes, args.rounds, args.batch, work, fresh_pg)
            wakes = wake_latency(fresh_pg(), 20)
        finally:
            if server is not None:
                server.stop()
    print(
        f"{result['updates']} real-shaped updates in batches of {result['batch']},"
        f" {args.rounds} rounds (medians)"
    )
    print(f"  SQLite      {result['sqlite_ms_per_1000']:8.1f} ms per 1,000 updates")
    print(f"  PostgreSQL  {result['postgresql_ms_per_1000']:8.1f} ms per 1,000 updates")
    print(f"  ratio PostgreSQL/SQLite {result['ratio']:.2f}")
    print(
        f"  notifications per round {result['notifications_per_round']}"
        f" for {result['batches_per_round']} write batches"
    )
    if wakes:
        print(
            f"  NOTIFY wake-up to a waiting viewer: median {statistics.median(wakes) * 1e3:.1f} ms,"
            f" max {max(wakes) * 1e3:.1f} ms over {len(wakes)} writes"
        )
    print(f"  load average before/after {load_before} / {os.getloadavg()}")


if __name__ == "__main__":
    main()
