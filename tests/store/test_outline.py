"""The outline: the first page picked from it is the whole list's first page, on both stores.

For every sort column the outline orders by, both directions: the keys it picks,
and the rows read for them, are exactly the first rows of a ``JobListModel`` of
the whole lean listing, and its counts, freshness and id width are the model's.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from jobtui.model import Job
from jobtui.store import PollOutcome, open_store
from jobtui.tui.feed.firstpage import OUTLINE_SORT_KEYS, first_page
from jobtui.tui.joblist.model import JobListModel
from jobtui.tui.joblist.row import STATE_ORDER

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
PAGE = 40


def _fill(location: str | Path) -> None:
    """300 jobs over three providers: equal creation times, other time zones, no snapshot,
    the epoch as creation time, failed polls, ids of several lengths and non-ASCII text."""
    chooser = random.Random(7)
    entries = []
    for number in range(300):
        provider = ("deepo", "Émile", "zeta")[number % 3]
        job_id = f"{'j' if number % 4 else 'J'}{number:0{1 + number % 5}d}"
        entries.append((provider, "deepomatic", job_id, None))
    with open_store(location) as store:
        store.add_jobs(entries, added_at=T0)
        store.add_jobs([("zeta", "deepomatic", "late", None)], added_at=T0 + timedelta(hours=1))
        outcomes = []
        for number, (provider, _, job_id, _) in enumerate(entries):
            if number % 10 == 9:
                continue  # never fetched: sorts by the time it was added
            polled = T0 + timedelta(seconds=number)
            if number % 7 == 0:
                outcomes.append(PollOutcome(provider, job_id, polled, None, error="HTTP 503"))
                continue
            created: datetime | None = T0 - timedelta(minutes=chooser.randrange(30))
            if number % 11 == 0:
                created = created.astimezone(timezone(timedelta(hours=5, minutes=30)))
            if number % 13 == 0:
                created = None
            if number == 17:
                created = datetime(1970, 1, 1, tzinfo=UTC)  # the epoch: as if none
            state = STATE_ORDER[number % len(STATE_ORDER)]
            job = Job(
                kind="deepomatic",
                provider=provider,
                id=job_id,
                state=state,
                created_at=created,
                summary=f"summary {number}",
            )
            outcomes.append(PollOutcome(provider, job_id, polled, None, job=job))
        store.save_outcomes(outcomes)


@pytest.mark.parametrize("column", sorted(OUTLINE_SORT_KEYS))
def test_the_first_page_is_the_whole_lists_first_page(
    store_location: str | Path, column: str
) -> None:
    _fill(store_location)
    with open_store(store_location) as store:
        whole = store.list_jobs(lean=True)
        outline = store.job_outline()
        for reverse in (True, False):
            model = JobListModel(sort_column=column, sort_reverse=reverse)
            model.set_jobs(whole)
            expected = model.visible_keys()[:PAGE]
            page = first_page(outline, column, reverse, PAGE)
            assert page is not None
            assert page.keys == expected, (column, reverse)
            # The rows read for the page sort into the same order on their own.
            shown = JobListModel(sort_column=column, sort_reverse=reverse)
            shown.set_jobs(store.get_jobs(page.keys))
            assert shown.visible_keys() == expected, (column, reverse)
            assert page.counts == model.counts
            assert page.fresh_at == model.fresh_at
            assert page.longest_id == model.longest_id
            assert page.total == model.total == 301


def test_columns_that_need_the_snapshot_are_not_offered(store_location: str | Path) -> None:
    _fill(store_location)
    with open_store(store_location) as store:
        outline = store.job_outline()
    for column in ("label", "summary", "progress", "updated"):
        assert first_page(outline, column, True, PAGE) is None
