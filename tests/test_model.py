"""The normalized job model: what every provider's parse must produce."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from jobtui.model import TERMINAL_STATES, Job, JobState


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValidationError):
        Job(kind="deepomatic", provider="d", id="1", state=JobState.RUNNING,
            created_at=datetime(2026, 1, 1))  # fmt: skip


def test_aware_timestamps_round_trip_through_json() -> None:
    moment = datetime(2026, 1, 1, 12, 30, tzinfo=UTC)
    job = Job(kind="deepomatic", provider="d", id="1", state=JobState.SUCCEEDED,
              finished_at=moment, raw={"status": "success"})  # fmt: skip
    again = Job.model_validate_json(job.model_dump_json())
    assert again == job and again.finished_at == moment


def test_terminal_states_are_exactly_the_four_endings() -> None:
    assert {s for s in JobState if s.terminal} == set(TERMINAL_STATES) == {
        JobState.SUCCEEDED,
        JobState.PARTIAL,
        JobState.FAILED,
        JobState.CANCELED,
    }


def test_progress_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValidationError):
        Job(kind="tensorart", provider="t", id="1", state=JobState.RUNNING, progress=1.5)
