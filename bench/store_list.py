"""How fast the store lists a big watch list.

    .venv/bin/python bench/store_list.py [--jobs 100000] [--raw small|real]

Seeds a throwaway store with N jobs over five providers (one snapshot and one
transition each), then, in a fresh process so the seeding's heap does not
weigh on the collector, times ``Store.list_jobs()`` (everything) and a
filtered listing. ``--raw real`` gives every job a 2 KB payload from
``tests/data/real-payloads``-style data instead of a tiny one. The numbers
are for people; tests never assert them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jobtui.model import Job, JobItem, JobState
from jobtui.store import PollOutcome, Store

NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)
KINDS = ("deepomatic", "tensorart", "cognite", "imageintelligence", "superai")
STATES = tuple(JobState)


def real_raw() -> dict[str, Any]:
    """A 2 KB detection result shaped like Image Intelligence's real answers."""
    results = [
        {
            "class": f"class-{n}",
            "image": {
                "id": f"52547074-a622-11e6-8f61-63f37dc3328{n}",
                "url": f"https://publicly.available.domain.net/image-00{n}.jpg",
                "proxyUrl": f"https://api.example.io/images/c7e9a2ca-c2ee-4290-90b4-04fe3df35be{n}",
                "customId": f"some_filled_image_{n}",
                "confidence": 0.99,
            },
            "hitl": n % 2 == 0,
        }
        for n in range(8)
    ]
    return {"id": "5d689c71-e68f-46c3-ac71-4053806e71de", "status": "COMPLETED",
            "jobResults": results}  # fmt: skip


def make_job(index: int, raw: Any) -> Job:
    kind = KINDS[index % len(KINDS)]
    return Job(
        kind=kind,
        provider=kind,
        id=f"job-{index:07d}",
        state=STATES[index % len(STATES)],
        raw_status="running",
        created_at=NOW - timedelta(seconds=index),
        updated_at=NOW,
        summary=f"summary of job {index}",
        items=(JobItem(id="1", label="golden retriever 0.95"),),
        raw=raw,
    )


def seed(path: Path, count: int, raw: Any) -> None:
    with Store(path) as store:
        for start in range(0, count, 5000):
            jobs = [make_job(i, raw) for i in range(start, min(count, start + 5000))]
            store.add_jobs((job.provider, job.kind, job.id, None) for job in jobs)
            store.save_outcomes(
                [PollOutcome(job.provider, job.id, NOW, NOW, job=job) for job in jobs]
            )


def measure(path: Path) -> None:
    with Store(path) as store:
        started = time.perf_counter()
        jobs = store.list_jobs()
        listed = time.perf_counter() - started
        started = time.perf_counter()
        some = store.list_jobs(provider="cognite", state=JobState.RUNNING)
        filtered = time.perf_counter() - started
    print(f"list_jobs(): {len(jobs):,} jobs in {listed:.2f} s")
    print(f"list_jobs(provider, state): {len(some):,} jobs in {filtered:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--raw", choices=("small", "real"), default="small")
    parser.add_argument("--measure", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(Path(args.measure))
        return
    raw = real_raw() if args.raw == "real" else {"id": 1, "status": "running"}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store.sqlite"
        started = time.perf_counter()
        seed(path, args.jobs, raw)
        size = path.stat().st_size / 1e6
        print(f"seeded {args.jobs:,} jobs in {time.perf_counter() - started:.1f} s ({size:.0f} MB)")
        subprocess.run([sys.executable, __file__, "--measure", str(path)], check=True)


if __name__ == "__main__":
    main()
