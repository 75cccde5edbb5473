"""Engine events folded into one tick of row changes."""

from __future__ import annotations

from dataclasses import dataclass

from jobtui.model import HealthState, JobState, ProviderHealth
from jobtui.store import WatchedJob
from jobtui.tui.feed.enginelink import collect_changes

from support.tui_data import watched


@dataclass(frozen=True)
class Changed:
    """Shaped like the engine's JobChanged."""

    job: WatchedJob
    previous_state: JobState | None


@dataclass(frozen=True)
class Removed:
    """Shaped like the engine's JobRemoved."""

    provider: str
    id: str


@dataclass(frozen=True)
class HealthChanged:
    """Shaped like the engine's ProviderChanged."""

    health: ProviderHealth


def test_last_change_of_a_job_wins_and_removal_cancels_it() -> None:
    first = watched("deepo", "1", JobState.RUNNING)
    second = watched("deepo", "1", JobState.SUCCEEDED)
    changes = collect_changes(
        [Changed(first, JobState.QUEUED), Changed(second, JobState.RUNNING),
         Changed(watched("deepo", "2", JobState.RUNNING), None), Removed("deepo", "2")]
    )
    assert changes.jobs == {("deepo", "1"): second}
    assert changes.removed == {("deepo", "2")}
    assert [(job.id, before) for job, before in changes.finished] == [("1", JobState.RUNNING)]


def test_first_sighting_of_a_finished_job_is_not_news() -> None:
    changes = collect_changes([Changed(watched("cdf", "9", JobState.FAILED), None)])
    assert changes.finished == []
    again = collect_changes([Changed(watched("cdf", "9", JobState.FAILED), JobState.FAILED)])
    assert again.finished == []
    # The first poll of a stored, never fetched job: it was UNKNOWN only to us.
    first_poll = collect_changes([Changed(watched("cdf", "9", JobState.FAILED), JobState.UNKNOWN)])
    assert first_poll.finished == []


def test_health_events_are_kept_per_provider() -> None:
    bad = ProviderHealth(provider="tart", kind="tensorart", state=HealthState.UNREACHABLE)
    good = ProviderHealth(provider="tart", kind="tensorart")
    changes = collect_changes([HealthChanged(bad), HealthChanged(good)])
    assert changes.health == {"tart": good}
    assert changes
    assert not collect_changes([])
