"""A watch list of 100,000 jobs: written in one batch, listed whole and filtered.

How long it takes is measured by ``bench/store_list.py``; this checks that
every job comes back, in order, with its snapshot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobtui.model import Job, JobState
from jobtui.store import PollOutcome, Store

COUNT = 100_000
T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
PROVIDERS = ("cdf", "deepo", "ii", "sai", "tart")
STATES = tuple(JobState)


def test_hundred_thousand_jobs(tmp_path: Path) -> None:
    with Store(tmp_path / "jobs.sqlite") as store:
        keys = [(PROVIDERS[n % 5], f"job-{n:06d}") for n in range(COUNT)]
        assert store.add_jobs((p, "deepomatic", i, None) for p, i in keys) == COUNT
        outcomes = [
            PollOutcome(
                provider, job_id, T0, T0 + timedelta(seconds=5),
                job=Job(kind="deepomatic", provider=provider, id=job_id,
                        state=STATES[n % len(STATES)], summary=f"job {n}", raw={"n": n}),
            )
            for n, (provider, job_id) in enumerate(keys)
            if n % 10  # one in ten never fetched
        ]  # fmt: skip
        assert len(store.save_outcomes(outcomes)) == len(outcomes)

        listed = store.list_jobs()
        assert len(listed) == COUNT
        assert [(j.provider, j.id) for j in listed] == sorted(keys)
        for watched in listed[:: COUNT // 100]:
            n = int(watched.id.removeprefix("job-"))
            if n % 10:
                assert watched.job is not None and watched.job.raw == {"n": n}
                assert watched.state is STATES[n % len(STATES)]
            else:
                assert watched.job is None and watched.state is JobState.UNKNOWN

        failed = store.list_jobs(provider="ii", state=JobState.FAILED)
        expected = sorted(
            i for n, (p, i) in enumerate(keys)
            if p == "ii" and n % 10 and STATES[n % len(STATES)] is JobState.FAILED
        )  # fmt: skip
        assert [j.id for j in failed] == expected
