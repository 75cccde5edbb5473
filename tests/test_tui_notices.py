"""Finish toasts: which jobs, how many per round, and when the next round may come."""

from __future__ import annotations

from tui_shell_data import HOSTILE_LABEL, watched

from jobtui.model import JobState
from jobtui.tui.notices import FinishNotices

T0 = 1_000_000.0


def test_failures_mode_keeps_failed_and_partial_only() -> None:
    notices = FinishNotices("failures")
    notices.add([watched("cdf", "1", JobState.FAILED), watched("cdf", "2", JobState.SUCCEEDED),
                 watched("ii", "3", JobState.PARTIAL), watched("tart", "4", JobState.CANCELED)])
    round_ = notices.take(T0)
    assert round_ is not None and round_.failures == 2
    assert [t.message for t in round_.toasts] == ["cdf 1: failed", "ii 3: partial"]
    assert {t.severity for t in round_.toasts} == {"error"}


def test_none_mode_never_toasts() -> None:
    notices = FinishNotices("none")
    notices.add([watched("cdf", "1", JobState.FAILED)])
    assert notices.take(T0) is None


def test_one_round_per_second_and_a_summary_for_many() -> None:
    notices = FinishNotices("all")
    notices.add([watched("cdf", "1", JobState.SUCCEEDED)])
    assert notices.take(T0) is not None
    notices.add([watched("deepo", str(n), JobState.SUCCEEDED) for n in range(4)])
    assert notices.take(T0 + 0.5) is None  # too soon: held
    round_ = notices.take(T0 + 1.0)
    assert round_ is not None and round_.failures == 0
    assert [(t.title, t.message) for t in round_.toasts] == [("Jobs finished", "4 jobs finished")]
    assert notices.take(T0 + 5) is None  # nothing held


def test_labels_are_made_safe_to_display() -> None:
    notices = FinishNotices("all")
    notices.add([watched("ii", "9", JobState.SUCCEEDED, label=HOSTILE_LABEL)])
    round_ = notices.take(T0)
    assert round_ is not None
    message = round_.toasts[0].message
    assert "[bold]x[/]" in message and "\x1b" not in message and "\x07" not in message
