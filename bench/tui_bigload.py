"""How fast the dashboard shows a big store, headless: first paint, filter, keys under load.

    .venv/bin/python -m bench.tui_bigload [--jobs 10000 100000]

Seeds a throwaway store with N jobs spread over five providers, opens the
dashboard headless at 120x36 with a frozen clock and no poller, and prints:
the time to the first paint of the rows, the time to apply a filter, a sort
change, 1,000 row updates in one tick, and key latency (Pilot key press to
the screen's messages processed) for cursor moves, filter typing and sort
while 500 jobs/s change (50 updates applied every 0.1 s). The numbers are
for people; tests never assert them. ``bench.tui_pty`` measures the real
process in a real terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual import events
from textual.keys import _character_to_key

from jobtui.config.model import PROVIDER_CONFIG_TYPES, Config
from jobtui.model import Job, JobState
from jobtui.store import PollOutcome, Store, WatchedJob
from jobtui.tui.app import make_app
from jobtui.tui.feed.enginelink import TickChanges
from jobtui.tui.joblist.query import parse_query

from bench.common import Figure, Mode, median, percentile

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
    """Job number ``index``: providers, states and ages spread evenly."""
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


def seed(store: Store, count: int, state: JobState | None = None) -> None:
    """Fill ``store`` with ``count`` jobs (every one in ``state``, when given)."""
    batch = 5000
    for start in range(0, count, batch):
        jobs = [make_job(i, state) for i in range(start, min(count, start + batch))]
        store.add_jobs((job.provider, job.kind, job.id, None) for job in jobs)
        store.save_outcomes(
            [PollOutcome(job.provider, job.id, NOW, None, job=job) for job in jobs]
        )


def config() -> Config:
    """The five providers of the seeded jobs (no credentials: nothing is polled)."""
    providers = {
        name: PROVIDER_CONFIG_TYPES[kind](name=name, kind=kind) for name, kind in PROVIDERS
    }
    return Config(providers=providers)


async def _keys_under_load(
    app: Any, pilot: Any, count: int, keys: int
) -> dict[str, list[float]]:
    """Key latencies while 50 jobs change every 0.1 s (500 jobs/s)."""
    stop = asyncio.Event()

    async def churn() -> None:
        turn = 0
        while not stop.is_set():
            turn += 1
            state = JobState.RUNNING if turn % 2 else JobState.SUCCEEDED
            updates: dict[tuple[str, str], WatchedJob] = {}
            for n in range(50):
                job = make_job(((turn * 50 + n) * 7919) % count, state)
                row = app.model.row(job.key)
                if row is not None:
                    updates[job.key] = dataclasses.replace(row.watched, job=job, state=state)
            app.dashboard.apply_changes(TickChanges(jobs=updates))
            await asyncio.sleep(0.1)

    async def timed(key: str, into: list[float]) -> None:
        # Pilot.press also waits for the CPU to go idle, which never happens under
        # this load: send the key as the driver would, and wait for every widget of
        # the screen to have handled it.
        char = key if len(key) == 1 else None
        if char is not None and not char.isalnum():
            key = _character_to_key(char)
        event = events.Key(key, char)
        event.set_sender(app)
        began = time.perf_counter()
        app._driver.send_message(event)
        # Twice: the app forwards the key to the screen and on to the focused widget,
        # each hop a message queued after the first wait's markers.
        await pilot._wait_for_screen()
        await pilot._wait_for_screen()
        into.append(time.perf_counter() - began)

    latencies: dict[str, list[float]] = {"cursor": [], "filter": [], "sort": []}
    task = asyncio.create_task(churn())
    try:
        for index in range(keys):
            await timed("j" if index % 3 else "k", latencies["cursor"])
        text = "state:failed provider:deepo job-0001"
        await pilot.press("slash")
        for char in text[:keys]:
            await timed(char, latencies["filter"])
        await pilot.pause()
        typed = app.dashboard.filter_bar.value
        await pilot.press("escape")
        for _ in range(keys):
            await timed("s", latencies["sort"])
    finally:
        stop.set()
        await task
    if typed != text[:keys]:
        raise RuntimeError(f"the filter bar got {typed!r}, not {text[:keys]!r}")
    return latencies


async def measure(store: Store, count: int, keys: int = 0) -> dict[str, Any]:
    """Time the dashboard over ``store``; ``keys`` presses per kind under load (0: none)."""
    figures: dict[str, Any] = {}
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
        if keys:
            figures["keys"] = await _keys_under_load(app, pilot, count, keys)
    return figures


SECTION = "dashboard (headless)"


def run(mode: Mode) -> list[Figure]:
    """The section as ``python -m bench`` runs it."""
    result: list[Figure] = []
    for count in mode.tui_sizes:
        with tempfile.TemporaryDirectory() as directory:
            store = Store(Path(directory) / "store.sqlite")
            seed(store, count)
            figures = asyncio.run(measure(store, count, mode.tui_keys))
            store.close()
        label = f"{count:,} jobs"
        keys: dict[str, list[float]] = figures.pop("keys")
        first = figures.pop("first paint")
        target = "<= 1.5 s" if count <= 10_000 else None
        result.append(Figure(SECTION, f"first paint, {label}", first, "s", target,
                             first <= 1.5 if target else None))
        for name, seconds in figures.items():
            result.append(Figure(SECTION, f"{name}, {label}", seconds * 1000, "ms"))
        for kind, values in keys.items():
            ms = [v * 1000 for v in values]
            p95 = percentile(ms, 0.95)
            result.append(Figure(SECTION, f"key {kind} p50 (500 jobs/s changing), {label}",
                                 median(ms), "ms", detail={"samples": ms}))
            result.append(Figure(SECTION, f"key {kind} p95 (500 jobs/s changing), {label}",
                                 p95, "ms", "<= 50 ms", p95 <= 50))
    return result


def main(argv: list[str]) -> int:
    """Print the figures for each ``--jobs`` size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--keys", type=int, default=20, help="presses per kind of key (0: none)")
    args = parser.parse_args(argv)
    for count in args.jobs:
        with tempfile.TemporaryDirectory() as directory:
            store = Store(Path(directory) / "store.sqlite")
            began = time.perf_counter()
            seed(store, count)
            seeded = time.perf_counter() - began
            figures = asyncio.run(measure(store, count, args.keys))
            store.close()
        print(f"{count:,} jobs (seeding the store took {seeded:.1f} s)")
        keys: dict[str, list[float]] = figures.pop("keys", {})
        for name, seconds in figures.items():
            if isinstance(seconds, float):
                print(f"  {name:<40} {seconds * 1000:8.0f} ms")
        for kind, values in keys.items():
            ms = [v * 1000 for v in values]
            print(f"  key {kind}, 500 jobs/s changing: p50 {median(ms):.0f} ms,"
                  f" p95 {percentile(ms, 0.95):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
