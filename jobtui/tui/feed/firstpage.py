"""The dashboard's first screen, picked from the store's outline before the whole list.

The whole lean listing of 100,000 jobs takes over a second to read and half
a second to sort; the first screen needs a page of rows and the sidebar's
counts. ``first_page`` picks the keys of the first rows in the list's own
order (the sort keys of ``jobtui.tui.joblist.row.SORT_KEYS``, job key last)
from the outline, so the page is exactly the rows the whole list starts
with: nothing jumps when it arrives.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from jobtui.model import JobKey, JobState
from jobtui.store.pages import JobOutline
from jobtui.tui.joblist.row import STATE_SORT_ORDER

__all__ = ["FIRST_PAGE_ROWS", "OUTLINE_SORT_KEYS", "FirstPage", "first_page"]

FIRST_PAGE_ROWS = 200
"""Rows read for the first screen: more than any terminal shows at once."""

OUTLINE_SORT_KEYS: dict[str, Callable[[JobOutline], tuple[Any, ...]]] = {
    "state": lambda job: (STATE_SORT_ORDER[job.state],),
    "provider": lambda job: (job.provider,),
    "id": lambda job: (job.id,),
    "age": lambda job: (job.created,),
}
"""The sort columns the outline can order by: as ``SORT_KEYS`` orders their rows.

Label, summary, progress and updated need the snapshot: for them the whole
list is read first, as before.
"""


@dataclass(frozen=True, slots=True)
class FirstPage:
    """What the first screen shows before the whole list is read."""

    keys: list[JobKey]
    """The first rows' jobs, in display order."""
    counts: dict[str, Counter[JobState]]
    """Per provider, how many jobs are in each state (as ``JobListModel.counts``)."""
    fresh_at: dict[str, float]
    """Per provider, the newest successful poll (epoch seconds)."""
    longest_id: int
    """The longest job id of every job (the id column's width)."""
    total: int
    """How many jobs there are."""


def first_page(
    outline: Sequence[JobOutline], sort_column: str, reverse: bool, rows: int
) -> FirstPage | None:
    """The first ``rows`` jobs sorted by ``sort_column``, or None when the outline cannot say."""
    lead = OUTLINE_SORT_KEYS.get(sort_column)
    if lead is None:
        return None
    sort_keys = [(*lead(job), (job.provider, job.id)) for job in outline]
    # Descending shows the largest keys first, as the model reads its order backwards.
    chosen = heapq.nlargest(rows, sort_keys) if reverse else heapq.nsmallest(rows, sort_keys)
    counts: dict[str, Counter[JobState]] = {}
    for (provider, state), count in Counter((job.provider, job.state) for job in outline).items():
        counts.setdefault(provider, Counter())[state] = count
    fresh: dict[str, float] = {}
    for job in outline:
        if job.fresh_at is not None:
            stamp = job.fresh_at.timestamp()
            if stamp > fresh.get(job.provider, float("-inf")):
                fresh[job.provider] = stamp
    return FirstPage(
        keys=[sort_key[-1] for sort_key in chosen],
        counts=counts,
        fresh_at=fresh,
        longest_id=max((len(job.id) for job in outline), default=0),
        total=len(outline),
    )
