"""How fast the dashboard shows a big store: first paint, filter, and a tick of updates.

    .venv/bin/python bench/tui_bigload.py [--jobs 10000 100000]

Seeds a throwaway store with N jobs spread over five providers, opens the
dashboard headless at 120x36 with a frozen clock and no poller, and prints:
the time to the first paint of the rows, the time to apply a filter typed in
the filter bar, a sort change, and 1,000 row updates in one tick. The numbers
are for people; tests never assert them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobtui.config_model import PROVIDER_CONFIG_TYPES, Config
from jobtui.model import Job, JobState
from jobtui.store import PollOutcome, Store, WatchedJob
from jobtui.tui.app import make_app
from jobtui.tui.enginelink import TickChanges
from jobtui.tui.query import parse_query

NOW = datetime(2026, 3, 4, 12, 0, 0, tzinfo=UTC)
PROVIDERS = (
    ("deepo", "deepomatic"),
    ("tart", "tensorart"),
    ("cdf", "cognite"),
    ("ii", "imageintelligence"),
    ("sai", "superai"),
)
STATES = tuple(JobState)


class FrozenClock:
    """Time stands still, so ages do not change while measuring."""

    def now(self) -> datetime:
        return NOW


def make_job(index: int, state: JobState | None = None) -> Job:
    provider, kind = PROVIDERS[index % len(PROVIDERS)]
    created = NOW - timedelta(seconds=index * 7)
    return Job(
        kind=kind,
        provider=provider,
        id=f"job-{index:07d}",
        state=state or STATES[index % len(STATES)],
        created_at=created,
        updated_at=created + timedelta(seconds=5),
        summary=f"summary of job {index}",
        raw={"id": index},
    )


def seed(store: Store, count: int) -> None:
    batch = 5000
    for start in range(0, count, batch):
        jobs = [make_job(i) for i in range(start, min(count, start + batch))]
        store.add_jobs((job.provider, job.kind, job.id, None) for job in jobs)
        store.save_outcomes(
            [PollOutcome(job.provider, job.id, NOW, None, job=job) for job in jobs]
        )


def config() -> Config:
    providers = {
        name: PROVIDER_CONFIG_TYPES[kind](name=name, kind=kind) for name, kind in PROVIDERS
    }
    return Config(providers=providers)  # type: ignore[arg-type]


async def measure(store: Store, count: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    app = make_app(config(), store, FrozenClock(), None, ascii_only=False, tz=UTC)
    started = time.perf_counter()
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.pause()
        figures["first paint"] = time.perf_counter() - started
        assert len(app.model) == count

        # Keys go straight to the actions: Pilot's own per-key wait would dominate.
        screen = app.dashboard
        for text in ("state:failed", "job-00012", "!state:succeeded provider:deepo"):
            began = time.perf_counter()
            app.model.set_query(parse_query(text))
            screen.job_list.sync()
            await pilot.pause()
            figures[f"filter {text}"] = time.perf_counter() - began
        app.model.set_query(None)
        screen.job_list.sync()
        await pilot.pause()

        began = time.perf_counter()
        screen.action_sort()
        await pilot.pause()
        figures["sort change"] = time.perf_counter() - began

        job_list = screen.job_list
        began = time.perf_counter()
        for _ in range(50):
            job_list.action_page_down()
            for y in range(job_list.size.height):
                job_list.render_line(y)
        figures["50 page downs, drawn"] = time.perf_counter() - began
        await pilot.pause()

        updates: dict[tuple[str, str], WatchedJob] = {}
        for index in range(0, count, max(1, count // 1000)):
            job = make_job(index, JobState.SUCCEEDED)
            row = app.model.row(job.key)
            assert row is not None
            updates[job.key] = WatchedJob(
                job.provider, job.kind, job.id, None, row.watched.added_at, job,
                job.state, None, None, NOW,
            )
        began = time.perf_counter()
        app.dashboard.apply_changes(TickChanges(jobs=updates))
        await pilot.pause()
        figures[f"tick of {len(updates)} updates"] = time.perf_counter() - began
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args(argv)
    for count in args.jobs:
        with tempfile.TemporaryDirectory() as directory:
            store = Store(Path(directory) / "store.sqlite")
            began = time.perf_counter()
            seed(store, count)
            seeded = time.perf_counter() - began
            figures = asyncio.run(measure(store, count))
            store.close()
        print(f"{count:,} jobs (seeding the store took {seeded:.1f} s)")
        for name, seconds in figures.items():
            print(f"  {name:<40} {seconds * 1000:8.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
