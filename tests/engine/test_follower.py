"""The store follower: checks slow down while nobody writes the jobs, and speed up on a change."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jobtui.engine.events import EventHub
from jobtui.engine.sharing import QUIET_FOLLOW_INTERVAL, StoreFollower
from jobtui.engine.writer import JobModel
from jobtui.store import Store


async def test_checks_slow_down_while_quiet_heartbeats_included_and_a_change_resets_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "jobs.sqlite"
    mine, other = Store(path), Store(path)
    try:
        jobs: JobModel = {}
        follower = StoreFollower(mine, jobs, EventHub(), {}, interval=0.2)
        follower.mark()
        waits = []
        for _ in range(5):
            assert not follower.written()
            waits.append(follower.next_check)
        assert waits == sorted(waits) and waits[-1] == QUIET_FOLLOW_INTERVAL, waits

        # A lease heartbeat writes the store, but no job changed: still quiet.
        now = datetime.now(UTC)
        other.take_lease("deepo", "someone", pid=1, host="h", now=now, period=10.0)
        assert follower.written()
        assert await follower.catch_up() == 0
        assert follower.next_check == QUIET_FOLLOW_INTERVAL

        # A job added elsewhere is a change: back to the short interval.
        other.add_jobs([("deepo", "deepomatic", "42", None)])
        assert follower.written()
        assert await follower.catch_up() == 1
        assert follower.next_check == 0.2
        assert ("deepo", "42") in jobs
    finally:
        mine.close()
        other.close()
