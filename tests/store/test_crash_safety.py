"""Crash safety: a writer killed with SIGKILL at random points loses no committed batch.

A child process (forked, one per round, from this file run as a script) writes
batches of poll outcomes in a loop and prints each batch's number once
``save_outcomes`` has returned.
Every other round the test kills it after a seeded random number of lines, so
the kill lands wherever the child happens to be: building a batch, inside the
transaction, committing, checkpointing the WAL. In the other rounds the child
kills itself just before its K-th SQL statement (K seeded, counted by
SQLite's trace hook), which puts the kill inside a transaction every time,
between any two of its statements. After every kill the store must open,
pass SQLite's integrity check, hold every batch the child reported (and any
it finished after), hold no part of a batch it did not finish, and hold each
transition exactly once. The next child resumes after the last stored batch,
so the history grows across kills and is checked whole each time.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobtui.model import Job, JobItem, JobState
from jobtui.store import PollOutcome, Store

PROVIDER = "deepo"
JOBS = 40
KILLS = 20
SEED = 20261123
BASE = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
CYCLE = (JobState.QUEUED, JobState.RUNNING, JobState.PAUSED)


def job_id(n: int) -> str:
    return f"job-{n:03d}"


def state_at(batch: int, n: int) -> JobState:
    """Job ``n``'s state in ``batch``: every batch changes every job's state."""
    if batch % 5 == 4 and n % 4 == 0:
        return JobState.UNKNOWN  # a 404: marked, the snapshot kept
    return CYCLE[(batch + n) % 3]


def at(batch: int) -> datetime:
    return BASE + timedelta(seconds=batch)


def outcomes(batch: int) -> list[PollOutcome]:
    made = []
    for n in range(JOBS):
        state = state_at(batch, n)
        if state is JobState.UNKNOWN:
            made.append(
                PollOutcome(
                    PROVIDER, job_id(n), at(batch), at(batch + 1),
                    error="not found at provider", mark_state=JobState.UNKNOWN,
                )
            )  # fmt: skip
            continue
        # About 1 KB of payload per job, so a batch spans several database pages.
        raw = {
            "task": {"id": job_id(n), "batch": batch, "status": state.value},
            "outputs": [{"label": f"label {k}", "score": k / 10} for k in range(12)],
        }
        job = Job(
            kind="deepomatic", provider=PROVIDER, id=job_id(n), state=state,
            raw_status=state.value, summary=f"batch {batch}",
            items=(JobItem(id=str(batch), label=f"batch {batch}"),), raw=raw,
        )  # fmt: skip
        made.append(PollOutcome(PROVIDER, job_id(n), at(batch), at(batch + 1), job=job))
    return made


def last_batch(store: Store) -> int:
    """The newest batch in the store (-1: none), read from the first job's poll time."""
    first = store.get_job(PROVIDER, job_id(0))
    if first is None or first.polled_at is None:
        return -1
    return int((first.polled_at - BASE).total_seconds())


def write_forever(path: Path, kill_at: int) -> None:
    """The child: resume after the last stored batch and write batches until killed.

    With ``kill_at`` > 0 it kills itself as its ``kill_at``-th batch statement starts.
    """
    store = Store(path)
    store.add_jobs((PROVIDER, "deepomatic", job_id(n), None) for n in range(JOBS))
    if kill_at > 0:
        statements = 0

        def count(_: str) -> None:
            nonlocal statements
            statements += 1
            if statements == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

        # SQLite's own statement hook on the store's connection: no jobtui code is replaced.
        store._conn.set_trace_callback(count)
    # A second connection checkpoints now and then, as another jobtui process would,
    # so some kills land during a checkpoint.
    other = sqlite3.connect(path)
    batch = last_batch(store) + 1
    while batch < 100_000:  # a bound in case the parent never kills
        store.save_outcomes(outcomes(batch))
        print(batch, flush=True)
        if batch % 3 == 0:
            other.execute("PRAGMA wal_checkpoint(PASSIVE)")
        batch += 1


def expected_history(n: int, last: int) -> list[tuple[JobState | None, JobState, datetime]]:
    history: list[tuple[JobState | None, JobState, datetime]] = []
    previous: JobState | None = None
    for batch in range(last + 1):
        state = state_at(batch, n)
        history.append((previous, state, at(batch)))
        previous = state
    return history


def check_store(path: Path, reported: int) -> int:
    """Assert the store after a kill; returns the last batch it holds."""
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        duplicates = raw.execute(
            "SELECT provider, id, at, count(*) FROM transitions"
            " GROUP BY provider, id, at HAVING count(*) > 1"
        ).fetchall()
        assert duplicates == []
    finally:
        raw.close()
    with Store(path) as store:
        last = last_batch(store)
        assert last >= reported, f"batch {reported} was reported committed, store ends at {last}"
        jobs = store.list_jobs()
        if last < 0:
            assert all(j.polled_at is None for j in jobs)
            return last
        assert len(jobs) == JOBS
        for n, watched in enumerate(sorted(jobs, key=lambda j: j.id)):
            # All or nothing: every job is at the same batch.
            assert watched.polled_at == at(last), (watched.id, watched.polled_at, last)
            assert watched.state is state_at(last, n)
            assert watched.job is not None
            assert watched.job.state is not JobState.UNKNOWN  # the last good snapshot
            history = [
                (t.from_state, t.to_state, t.at) for t in store.transitions(PROVIDER, job_id(n))
            ]
            assert history == expected_history(n, last), watched.id
    return last


def spawn_writers() -> None:
    """The spawner: for each ``<path> <kill_at>`` line on stdin, one writer, forked.

    Each writer is a process of its own, killed as before, but forked from this
    interpreter, which imported jobtui once, instead of a new interpreter that
    imports it again for each of the twenty rounds. A writer prints ``pid <n>``
    first, then its batches; once it is gone this prints ``exit <status>``
    (negative: the signal that ended it).
    """
    for request in sys.stdin:
        path, kill_at = request.split()
        pid = os.fork()
        if pid == 0:
            try:
                print(f"pid {os.getpid()}", flush=True)
                write_forever(Path(path), int(kill_at))
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(f"exit {code}", flush=True)


def test_killed_writer_leaves_every_committed_batch_and_nothing_else(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    path = tmp_path / "jobs.sqlite"
    reported = -1
    last = -1
    spawner = subprocess.Popen(
        [sys.executable, __file__, "--spawner"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert spawner.stdin is not None and spawner.stdout is not None
    writer: int | None = None

    def answer() -> str:
        line = spawner.stdout.readline() if spawner.stdout is not None else ""
        if not line:
            _, errors = spawner.communicate(timeout=60)
            raise AssertionError(f"the spawner ended: {errors}")
        return line

    try:
        for round_ in range(KILLS):
            # Even rounds: killed from outside after some lines. Odd: killed from inside.
            lines = rng.randint(0, 6) if round_ % 2 == 0 else 10**6
            kill_at = 0 if round_ % 2 == 0 else rng.randint(1, 400)
            spawner.stdin.write(f"{path} {kill_at}\n")
            spawner.stdin.flush()
            writer = int(answer().removeprefix("pid "))
            line = ""
            for _ in range(lines):
                line = answer()
                if line.startswith("exit "):
                    break  # it killed itself (asserted below)
                reported = int(line)
            if not line.startswith("exit "):
                os.kill(writer, signal.SIGKILL)  # not reaped yet: no exit line came
            while not line.startswith("exit "):
                line = answer()  # batches it finished before the kill: not reported
            writer = None
            assert int(line.removeprefix("exit ")) == -signal.SIGKILL, line
            last = check_store(path, reported)
            reported = last  # what the store holds is the floor for the next round
    finally:
        if writer is not None:
            os.kill(writer, signal.SIGKILL)
        if spawner.poll() is None:
            spawner.kill()
        spawner.communicate(timeout=60)
    assert last > 10  # the children got real work done between kills


if __name__ == "__main__":
    if sys.argv[1:] == ["--spawner"]:
        spawn_writers()
    else:
        write_forever(Path(sys.argv[1]), int(sys.argv[2]))
