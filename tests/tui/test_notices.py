"""Finish toasts: which jobs, how many per round, and when the next round may come."""

from __future__ import annotations

from jobtui.model import JobState
from jobtui.tui.feed.notices import ROUND_SECONDS, FinishNotices

from support.tui_data import HOSTILE_LABEL, watched

T0 = 1_000_000.0


def test_failures_mode_keeps_failed_and_partial_only() -> None:
    notices = FinishNotices("failures")
    notices.add([watched("cdf", "1", JobState.FAILED), watched("cdf", "2", JobState.SUCCEEDED),
                 watched("ii", "3", JobState.PARTIAL), watched("tart", "4", JobState.CANCELED)])
    round_ = notices.take(T0)
    assert round_ is not None and round_.failures == 2
    [toast] = round_.toasts  # a round is one toast
    assert toast.title == "2 jobs finished, 2 failed or partial"
    assert toast.message == "cdf 1: failed\nii 3: partial"
    assert toast.severity == "error"


def test_none_mode_never_toasts() -> None:
    notices = FinishNotices("none")
    notices.add([watched("cdf", "1", JobState.FAILED)])
    assert notices.take(T0) is None


def test_one_round_at_a_time_and_a_summary_for_many() -> None:
    notices = FinishNotices("all")
    notices.add([watched("cdf", "1", JobState.SUCCEEDED)])
    assert notices.take(T0) is not None
    notices.add([watched("deepo", str(n), JobState.SUCCEEDED) for n in range(4)])
    assert notices.take(T0 + ROUND_SECONDS - 0.5) is None  # too soon: held
    round_ = notices.take(T0 + ROUND_SECONDS)
    assert round_ is not None and round_.failures == 0
    assert [(t.title, t.message) for t in round_.toasts] == [
        (
            "4 jobs finished",
            "deepo 0: succeeded\ndeepo 1: succeeded\ndeepo 2: succeeded\n… and 1 more",
        )
    ]
    assert notices.take(T0 + 10) is None  # nothing held


def test_labels_are_made_safe_to_display() -> None:
    notices = FinishNotices("all")
    notices.add([watched("ii", "9", JobState.SUCCEEDED, label=HOSTILE_LABEL)])
    round_ = notices.take(T0)
    assert round_ is not None
    message = round_.toasts[0].message
    assert "[bold]x[/]" in message and "\x1b" not in message and "\x07" not in message


def test_a_single_job_is_named_by_id_and_label() -> None:
    notices = FinishNotices("all")
    notices.add([watched("tart", "181468", JobState.FAILED, label="demo")])
    round_ = notices.take(T0)
    assert round_ is not None
    assert [(t.title, t.message) for t in round_.toasts] == [
        ("Job finished", "tart 181468 (demo): failed")
    ]
