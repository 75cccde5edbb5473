"""The store file: WAL, foreign keys, schema versions and migrations, foreign files."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobtui.model import Job, JobState
from jobtui.store import PollOutcome, Store, StoreError
from jobtui.store.schema import SCHEMA_VERSION

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)

# Version 1 exactly as it was laid out (see jobtui.store.schema).
V1_SCHEMA = """
CREATE TABLE jobs (
    provider TEXT NOT NULL, id TEXT NOT NULL, label TEXT, added_at TEXT NOT NULL,
    job_json TEXT, state TEXT, next_poll_at TEXT, last_error TEXT,
    PRIMARY KEY (provider, id)
);
CREATE TABLE transitions (
    provider TEXT NOT NULL, id TEXT NOT NULL, at TEXT NOT NULL,
    from_state TEXT, to_state TEXT NOT NULL
);
CREATE INDEX jobs_state ON jobs (state);
PRAGMA user_version = 1;
"""


def snapshot(job_id: str, state: JobState) -> Job:
    return Job(
        kind="tensorart", provider="tart", id=job_id, state=state, raw_status="RUNNING",
        summary="step 3 of 8", raw={"job": {"id": job_id, "status": "RUNNING"}},
    )  # fmt: skip


def make_v1(path: Path) -> Job:
    running = snapshot("job-1", JobState.RUNNING)
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.executemany(
        "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("tart", "job-1", "upscale", "2026-03-04T11:00:00.000000+00:00",
             running.model_dump_json(), "running", "2026-03-04T12:00:05.000000+00:00",
             "HTTP 503"),
            ("deepo", "42", None, "2026-03-04T11:30:00.000000+00:00", None, "unknown", None,
             None),
        ],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO transitions VALUES (?, ?, ?, ?, ?)",
        [
            ("tart", "job-1", "2026-03-04T11:01:00.000000+00:00", None, "queued"),
            ("tart", "job-1", "2026-03-04T11:02:00.000000+00:00", "queued", "running"),
            ("tart", "orphan", "2026-03-04T11:02:00.000000+00:00", None, "queued"),
        ],
    )
    conn.commit()
    conn.close()
    return running


def pragma(path: Path, name: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def test_new_store_is_wal_at_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    assert pragma(path, "journal_mode") == "wal"
    assert pragma(path, "user_version") == SCHEMA_VERSION
    assert pragma(path, "integrity_check") == "ok"


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common umask 022, under which a file created by default is readable by others."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_a_new_store_and_its_wal_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    with Store(path) as store:
        store.add_jobs([("deepo", "deepomatic", "j1", "secret project")])
        side_files = [Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(side.exists() for side in side_files)
        assert [mode(side) for side in side_files] == [0o600, 0o600]
    assert mode(path) == 0o600


@pytest.mark.usefixtures("open_umask")
def test_an_existing_store_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    Store(path).close()
    path.chmod(0o640)
    Store(path).close()
    assert mode(path) == 0o640


def test_a_store_in_a_missing_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(tmp_path / "absent" / "jobs.sqlite")


def test_indexes_serve_listing_by_state_and_history(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    Store(path).close()
    conn = sqlite3.connect(path)
    plans = {
        sql: " ".join(str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
        for sql in (
            "SELECT id FROM jobs WHERE state = 'running'",
            "SELECT id FROM jobs WHERE provider = 'x'",
            "SELECT at FROM transitions WHERE provider = 'x' AND id = 'y' ORDER BY at, seq",
        )
    }
    conn.close()
    for sql, plan in plans.items():
        assert "USING" in plan and "INDEX" in plan, (sql, plan)
        assert "TEMP B-TREE" not in plan, (sql, plan)


def test_reopening_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    with Store(path) as store:
        store.add_jobs([("tart", "tensorart", "job-1", "x")])
        store.save_outcomes(
            [PollOutcome("tart", "job-1", T0, None, job=snapshot("job-1", JobState.RUNNING))]
        )
    with Store(path) as store:
        watched = store.get_job("tart", "job-1")
        assert watched is not None and watched.job == snapshot("job-1", JobState.RUNNING)
        assert len(store.transitions("tart", "job-1")) == 1


def test_migrates_a_version_1_store(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    running = make_v1(path)
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        jobs = {(j.provider, j.id): j for j in store.list_jobs()}
        assert set(jobs) == {("tart", "job-1"), ("deepo", "42")}
        migrated = jobs[("tart", "job-1")]
        assert migrated.kind == "tensorart"  # read from the old snapshot
        assert migrated.job == running
        assert migrated.label == "upscale"
        assert migrated.poll_error == "HTTP 503"
        assert migrated.next_poll_at == datetime(2026, 3, 4, 12, 0, 5, tzinfo=UTC)
        assert migrated.added_at == datetime(2026, 3, 4, 11, 0, tzinfo=UTC)
        never = jobs[("deepo", "42")]
        assert never.kind == "deepo" and never.job is None and never.state is JobState.UNKNOWN
        history = store.transitions("tart", "job-1")
        assert [(t.from_state, t.to_state) for t in history] == [
            (None, JobState.QUEUED),
            (JobState.QUEUED, JobState.RUNNING),
        ]
        # History carries on from the migrated state, not from scratch.
        [change] = store.save_outcomes(
            [PollOutcome("tart", "job-1", T0, None, job=snapshot("job-1", JobState.SUCCEEDED))]
        )
        assert (change.from_state, change.to_state) == (JobState.RUNNING, JobState.SUCCEEDED)
    assert pragma(path, "integrity_check") == "ok"
    conn = sqlite3.connect(path)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
    orphans = conn.execute("SELECT count(*) FROM transitions WHERE id = 'orphan'").fetchone()[0]
    conn.close()
    # No copy of the old layout left behind; the later tables beside.
    assert tables == {
        "jobs",
        "transitions",
        "request_counts",
        "changes",
        "leases",
        "requests",
        "sqlite_sequence",
    }
    assert orphans == 0  # a transition of no watched job cannot satisfy the foreign key


def test_a_version_2_store_gains_request_counts(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE request_counts")
    conn.execute("ALTER TABLE jobs DROP COLUMN listing")
    for table in ("changes", "leases", "requests"):  # the bus (version 5) came later
        conn.execute(f"DROP TABLE {table}")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    minute = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        store.record_requests({("tart", minute): 3, ("tart", minute.replace(second=59)): 2})
        store.record_requests({("tart", minute): 1, ("deepo", minute.replace(minute=5)): 7})
        assert store.request_counts() == {"tart": 6, "deepo": 7}
        assert store.request_counts(minute.replace(minute=1)) == {"deepo": 7}


def test_store_from_a_newer_jobtui_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer jobtui"):
        Store(path)
    assert pragma(path, "user_version") == SCHEMA_VERSION + 1


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (n INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a jobtui store"):
        Store(path)


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    path.write_bytes(b"this is not a database, just some text" * 200)
    with pytest.raises(StoreError, match=r"jobs\.sqlite"):
        Store(path)


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    with Store(tmp_path / "jobs.sqlite") as store:
        store.add_jobs([("tart", "tensorart", "job-1", None)])
        store.save_outcomes(
            [PollOutcome("tart", "job-1", T0, None, job=snapshot("job-1", JobState.RUNNING))]
        )
        assert store.remove_jobs("tart", ["job-1"]) == 1
    conn = sqlite3.connect(tmp_path / "jobs.sqlite")
    assert conn.execute("SELECT count(*) FROM transitions").fetchone()[0] == 0
    conn.close()
