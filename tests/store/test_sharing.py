"""One store shared: two connections (CLI beside the dashboard), many threads.

The tests that take a location run on SQLite and PostgreSQL; the ones that
hold SQLite's own write lock are SQLite's alone.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobtui.model import Job, JobState
from jobtui.store import PollOutcome, Store, Transition, WatchedJob, open_store

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
STATES = (JobState.QUEUED, JobState.RUNNING, JobState.PAUSED)


def outcome(job_id: str, state: JobState, at: datetime) -> PollOutcome:
    job = Job(kind="superai", provider="sai", id=job_id, state=state, raw={"state": state.value})
    return PollOutcome("sai", job_id, at, None, job=job)


def test_second_store_sees_the_first_ones_writes(store_location: str | Path) -> None:
    with open_store(store_location) as dashboard, open_store(store_location) as cli:
        cli.add_jobs([("sai", "superai", "1", None)])
        dashboard.save_outcomes([outcome("1", JobState.RUNNING, T0)])
        seen = cli.get_job("sai", "1")
        assert seen is not None and seen.state is JobState.RUNNING
        assert cli.remove_jobs("sai", ["1"]) == 1
        assert dashboard.list_jobs() == []


def test_reading_does_not_wait_for_another_process_writing(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    with Store(path) as store:
        store.add_jobs([("sai", "superai", "1", None)])
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE jobs SET label = 'uncommitted'")
        # WAL: the reader sees the last committed state at once.
        [job] = store.list_jobs()
        assert job.label is None
        writer.execute("COMMIT")
        writer.close()
        [job] = store.list_jobs()
        assert job.label == "uncommitted"


def test_a_write_waits_for_another_process_writing(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    with Store(path) as store:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute(
            "INSERT INTO jobs (provider, id, kind, added_at) VALUES ('sai', 'held', 'superai', "
            "'2026-03-04T12:00:00.000000+00:00')"
        )
        results: list[int | BaseException] = []

        def add() -> None:
            try:
                results.append(store.add_jobs([("sai", "superai", "2", None)]))
            except BaseException as exc:
                results.append(exc)

        worker = threading.Thread(target=add)
        worker.start()
        # Without a busy timeout the add fails at once with "database is locked";
        # with one it is still waiting here, however slow the machine.
        worker.join(timeout=0.5)
        still_waiting = worker.is_alive()
        holder.execute("COMMIT")
        holder.close()
        worker.join()
        assert still_waiting
        assert results == [1]
        assert {j.id for j in store.list_jobs()} == {"held", "2"}


def test_threads_share_one_store(store_location: str | Path) -> None:
    ids = [f"job-{n}" for n in range(40)]
    recorded: list[Transition] = []
    errors: list[BaseException] = []
    with open_store(store_location) as store:
        store.add_jobs(("sai", "superai", job_id, None) for job_id in ids)

        def poll(chunk: list[str]) -> None:
            try:
                for step in range(12):
                    at = T0 + timedelta(seconds=step)
                    batch = [outcome(i, STATES[step % 3], at) for i in chunk]
                    recorded.extend(store.save_outcomes(batch))
                    store.list_jobs(provider="sai")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=poll, args=(ids[n::4],)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(recorded) == 40 * 12
        for job_id in ids:
            history = store.transitions("sai", job_id)
            assert [t.to_state for t in history] == [STATES[s % 3] for s in range(12)]


def test_reading_does_not_wait_for_a_write_batch_in_this_process(
    store_location: str | Path,
) -> None:
    """The dashboard reads a job on its event loop while the engine's thread writes a batch."""
    with open_store(store_location) as store:
        store.add_jobs([("sai", "superai", "1", None)])
        store.save_outcomes([outcome("1", JobState.QUEUED, T0)])
        in_batch = threading.Event()
        release = threading.Event()

        def long_batch() -> None:
            # A batch's transaction, held open (white box: no public call pauses one).
            with store._writing() as conn:  # type: ignore[attr-defined]
                conn.execute("UPDATE jobs SET label = 'uncommitted'")
                in_batch.set()
                release.wait(timeout=30)

        writer = threading.Thread(target=long_batch)
        writer.start()
        read: list[object] = []
        try:
            assert in_batch.wait(timeout=30)
            reader = threading.Thread(
                target=lambda: read.extend(
                    [store.get_job("sai", "1"), store.transitions("sai", "1"), store.list_jobs()]
                )
            )
            reader.start()
            reader.join(timeout=10)
            finished_during_batch = not reader.is_alive()
        finally:
            release.set()
            writer.join()
        assert finished_during_batch  # before: blocked on the store's one lock
        job, history, listed = read
        assert isinstance(job, WatchedJob) and job.label is None  # the last committed state
        assert [t.to_state for t in history] == [JobState.QUEUED]  # type: ignore[attr-defined]
        assert len(listed) == 1  # type: ignore[arg-type]
        later = store.get_job("sai", "1")
        assert later is not None and later.label == "uncommitted"
