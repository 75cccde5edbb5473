"""What a dashboard shows about sharing: who polls, and jobs not polled yet."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from jobtui.model import POLLED_HERE, JobState, ProviderHealth
from jobtui.store import WatchedJob
from jobtui.tui.joblist.columns import cell_text
from jobtui.tui.joblist.row import JobRow
from jobtui.tui.widgets.sidebar import health_details

from support.tui_data import watched

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


def never_polled() -> WatchedJob:
    return WatchedJob("tart", "tensorart", "job-1", None, NOW, None, JobState.UNKNOWN,
                      None, None, None)  # fmt: skip


def test_a_job_never_polled_waits_instead_of_reading_unknown() -> None:
    row = JobRow.from_watched(never_polled())
    assert cell_text("state", row, 11, NOW.timestamp(), ascii_only=False) == "… waiting"
    assert cell_text("state", row, 11, NOW.timestamp(), ascii_only=True) == ". waiting"
    assert cell_text("summary", row, 40, NOW.timestamp(), ascii_only=True) == (
        "waiting for its first poll"
    )
    # Once a poll was tried (even failed), the state is the stored one again.
    tried = dataclasses.replace(never_polled(), polled_at=NOW, poll_error="HTTP 404")
    assert "unknown" in cell_text("state", JobRow.from_watched(tried), 11, 0.0, ascii_only=True)
    polled = JobRow.from_watched(watched("tart", "job-2", JobState.RUNNING))
    assert "running" in cell_text("state", polled, 11, 0.0, ascii_only=True)


def test_the_health_line_says_who_polls() -> None:
    def details(by: str | None) -> str:
        health = ProviderHealth(provider="tart", kind="tensorart", polled_by=by)
        return health_details(health, lambda moment: "12:00:00")

    assert "polled by this process" in details(POLLED_HERE)
    assert "polled by 4242@build-1" in details("4242@build-1")
    assert "polled by nobody" in details(None)
