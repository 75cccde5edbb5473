"""The job list's model: every watched job, filtered and sorted off the widget.

The widget draws whatever window of rows is on screen; this model answers
"which job is at visible index i" and "where is job k" in O(log n), keeps
per-provider counts, and absorbs a tick's worth of changes without
re-sorting 100k rows: each changed job is taken out of the sorted order and
put back where its new sort key belongs.

The cursor is a job key, not an index, so it stays on the same job across
refreshes, filters and sorts. When the job the user chose is filtered out
the cursor rests on its neighbour in sort order and returns to it once the
job is visible again.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import datetime
from itertools import compress

from jobtui.model import JobState
from jobtui.store import WatchedJob
from jobtui.tui.joblist.query import Query
from jobtui.tui.joblist.row import (
    SORT_COLUMNS,
    SORT_KEYS,
    STATE_SORT_ORDER,
    JobKey,
    JobRow,
    SortKey,
)

__all__ = [
    "SORT_COLUMNS",
    "STATE_SORT_ORDER",
    "JobKey",
    "JobListModel",
    "JobRow",
]

# A bulk change touching more than this share of rows is applied by one full
# sort rather than row by row (list.insert is O(n) per row), unless no row
# changes its place: then each row is replaced where it is.
_REBUILD_SHARE = 20


class JobListModel:
    """Watched jobs with a filter, a sort order and a cursor."""

    def __init__(self, *, sort_column: str = "age", sort_reverse: bool = True) -> None:
        if sort_column not in SORT_KEYS:
            sort_column = "age"
        self._rows: dict[JobKey, JobRow] = {}
        self._sort_key_of: dict[JobKey, SortKey] = {}
        # Every row ascending by sort key: a filter change is one pass over it, no sort.
        self._all_keys: list[SortKey] = []
        # The row of each of _all_keys, in the same order: filtering walks this list,
        # as a lookup by job key per row was most of a filter's cost at 100k jobs.
        self._all_rows: list[JobRow] = []
        # The visible rows ascending by sort key, and their keys, side by side.
        self._order: list[JobKey] = []
        self._order_keys: list[SortKey] = []
        self.sort_column = sort_column
        self.sort_reverse = sort_reverse
        self.query: Query | None = None
        self.scope: str | None = None
        """Only this provider's jobs (None: all)."""
        self.problems_only = False
        self.unhealthy: frozenset[str] = frozenset()
        """Providers whose jobs count as problems (health not ok)."""
        self.counts: dict[str, Counter[JobState]] = {}
        """Per provider, how many jobs are in each state (filter ignored)."""
        self.fresh_at: dict[str, float] = {}
        """Per provider, its newest successful poll (epoch seconds): how old its data is."""
        self.longest_id = 0
        """The length of the longest job id seen (never shrinks): the id column's wish."""
        self._anchor: JobKey | None = None
        self._cursor_index = 0

    def empty_copy(self) -> JobListModel:
        """A model without rows but with this one's filter and sort (to load off the loop)."""
        other = JobListModel(sort_column=self.sort_column, sort_reverse=self.sort_reverse)
        other.query = self.query
        other.scope = self.scope
        other.problems_only = self.problems_only
        other.unhealthy = self.unhealthy
        return other

    def adopt(self, other: JobListModel) -> None:
        """Take ``other``'s rows (built off the loop), keeping this model's cursor anchor."""
        self._rows = other._rows
        self.counts = other.counts
        self.fresh_at = other.fresh_at
        self.longest_id = max(self.longest_id, other.longest_id)
        same_view = (
            other.sort_column,
            other.sort_reverse,
            other.query,
            other.scope,
            other.problems_only,
            other.unhealthy,
        ) == (
            self.sort_column,
            self.sort_reverse,
            self.query,
            self.scope,
            self.problems_only,
            self.unhealthy,
        )
        if not same_view:
            self._resort()
            return
        self._sort_key_of = other._sort_key_of
        self._all_keys = other._all_keys
        self._all_rows = other._all_rows
        self._order_keys = other._order_keys
        self._order = other._order
        self._settle_cursor()

    # ----------------------------------------------------------------- queries

    def __len__(self) -> int:
        return len(self._order)

    @property
    def total(self) -> int:
        """Every watched job, filtered out or not."""
        return len(self._rows)

    def row(self, key: JobKey) -> JobRow | None:
        """The row of ``key``, visible or not."""
        return self._rows.get(key)

    def holds(self, watched: WatchedJob) -> bool:
        """Whether ``watched`` (this very object) is what its row shows already."""
        row = self._rows.get((watched.provider, watched.id))
        return row is not None and row.watched is watched

    def row_at(self, index: int) -> JobRow:
        """The row shown at visible ``index``."""
        return self._rows[self._key_at(index)]

    def rows(self) -> Iterable[JobRow]:
        """Every row, visible or not, in no order."""
        return self._rows.values()

    def visible_keys(self) -> list[JobKey]:
        """The visible keys in display order."""
        return list(reversed(self._order)) if self.sort_reverse else list(self._order)

    def index_of(self, key: JobKey) -> int | None:
        """The visible index of ``key``, or None when it is filtered out or unknown."""
        sort_key = self._sort_key_of.get(key)
        if sort_key is None:
            return None
        position = bisect_left(self._order_keys, sort_key)
        if position < len(self._order) and self._order[position] == key:
            return self._display_index(position)
        return None

    @property
    def filtering(self) -> bool:
        """True when some rows may be hidden."""
        return bool(self.query) or self.scope is not None or self.problems_only

    # ------------------------------------------------------------------ cursor

    @property
    def cursor(self) -> int:
        """The visible index of the cursor (0 when the list is empty)."""
        return self._cursor_index

    @property
    def cursor_key(self) -> JobKey | None:
        """The job under the cursor, or None when nothing is visible."""
        if not self._order:
            return None
        return self._key_at(self._cursor_index)

    def move_cursor_to(self, index: int) -> None:
        """Put the cursor on visible ``index`` (clamped) and remember that job."""
        if not self._order:
            self._cursor_index = 0
            return
        self._cursor_index = max(0, min(index, len(self._order) - 1))
        self._anchor = self._key_at(self._cursor_index)

    def move_cursor_to_key(self, key: JobKey) -> bool:
        """Put the cursor on ``key`` if it is visible; returns whether it is."""
        index = self.index_of(key)
        if index is None:
            return False
        self.move_cursor_to(index)
        return True

    def _settle_cursor(self) -> None:
        """After a change, find the anchored job again, or its neighbour."""
        if not self._order:
            self._cursor_index = 0
            return
        anchor = self._anchor
        if anchor is None:
            self._cursor_index = min(self._cursor_index, len(self._order) - 1)
            self._anchor = self._key_at(self._cursor_index)
            return
        sort_key = self._sort_key_of.get(anchor)
        if sort_key is None:
            # The job is gone for good: stay at the same place on screen.
            self._cursor_index = min(self._cursor_index, len(self._order) - 1)
            self._anchor = self._key_at(self._cursor_index)
            return
        position = bisect_left(self._order_keys, sort_key)
        position = min(position, len(self._order) - 1)
        self._cursor_index = self._display_index(position)

    # ----------------------------------------------------------------- changes

    def set_jobs(self, jobs: Iterable[WatchedJob]) -> None:
        """Replace every row.

        The start-up path at 100k jobs: counts, freshness and sort keys are
        taken in whole-list passes rather than row by row, with the cycle
        collector paused (the rows hold no cycles; its passes over the growing
        heap were a fifth of the time).
        """
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._rows = rows = {row.key: row for row in map(JobRow.from_watched, jobs)}
            self.counts = {}
            for (provider, state), count in Counter(
                (row.provider, row.state) for row in rows.values()
            ).items():
                self.counts.setdefault(provider, Counter())[state] = count
            longest = max((len(job_id) for _, job_id in rows), default=0)
            self.longest_id = max(self.longest_id, longest)
            self.fresh_at = _newest_polls(rows.values())
            self._resort()
        finally:
            if enabled:
                gc.enable()

    def upsert(self, jobs: Collection[WatchedJob]) -> bool:
        """Add or update jobs; returns True when the visible order may have changed."""
        return self.apply(jobs, ())

    def remove(self, keys: Collection[JobKey]) -> bool:
        """Forget jobs; returns True when a visible row went away."""
        return self.apply((), keys)

    def apply(self, jobs: Collection[WatchedJob], removed: Collection[JobKey]) -> bool:
        """Apply one tick's changes; returns True when the visible order changed.

        False means only the contents of rows already in place changed: the
        widget can redraw those lines alone.
        """
        if len(jobs) + len(removed) > max(64, len(self._rows) // _REBUILD_SHARE):
            return self._apply_in_bulk(jobs, removed)
        moved = False
        for key in removed:
            old = self._rows.pop(key, None)
            if old is not None:
                self._count(old, -1)
                moved |= self._take_out(key)
                self._unlist(self._sort_key_of.pop(key))
        for watched in jobs:
            row = JobRow.from_watched(watched)
            old = self._rows.get(row.key)
            self._rows[row.key] = row
            if old is not None:
                self._count(old, -1)
            self._count(row, 1)
            self._note_fresh(row)
            new_sort_key = self._sort_key(row)
            was_visible = old is not None and self.index_of(row.key) is not None
            visible = self._passes(row)
            old_sort_key = self._sort_key_of.get(row.key)
            if old_sort_key == new_sort_key:
                self._all_rows[bisect_left(self._all_keys, new_sort_key)] = row
                if was_visible and visible:
                    continue  # same place: only the row's contents changed
            if was_visible:
                self._take_out(row.key)
            if old_sort_key != new_sort_key:
                if old_sort_key is not None:
                    self._unlist(old_sort_key)
                position = bisect_left(self._all_keys, new_sort_key)
                self._all_keys.insert(position, new_sort_key)
                self._all_rows.insert(position, row)
            self._sort_key_of[row.key] = new_sort_key
            if visible:
                insort(self._order_keys, new_sort_key)
                self._order.insert(bisect_left(self._order_keys, new_sort_key), row.key)
            moved |= was_visible or visible
        if moved:
            self._settle_cursor()
        return moved

    def _apply_in_bulk(self, jobs: Collection[WatchedJob], removed: Collection[JobKey]) -> bool:
        """Many changes at once: rebuild the sorted lists, not one insertion per job.

        When no row moves (the failed rows read whole after the start, a fifth
        of 100k jobs, keep their places), the new rows go where their jobs are
        and nothing is sorted. Otherwise the rows that kept their sort key stay
        in order: sorting them with the new keys appended costs about one pass
        (Python's sort merges the sorted run with the rest), where sorting
        every key afresh took 30-140 ms at 10,000 jobs. True when the order of
        the rows shown changed.
        """
        sort_key_of = self._sort_key_of
        replaced: set[JobKey] = set()
        for key in removed:
            old = self._rows.pop(key, None)
            if old is not None:
                self._count(old, -1)
            if sort_key_of.pop(key, None) is not None:
                replaced.add(key)
        added: list[SortKey] = []
        kept: list[tuple[SortKey, JobRow]] = []
        for watched in jobs:
            row = JobRow.from_watched(watched)
            key = row.key
            old = self._rows.get(key)
            if old is not None:
                self._count(old, -1)
            self._rows[key] = row
            self._count(row, 1)
            self._note_fresh(row)
            sort_key = self._sort_key(row)
            before = sort_key_of.get(key)
            if before != sort_key:
                if before is not None:
                    replaced.add(key)
                sort_key_of[key] = sort_key
                added.append(sort_key)
            else:
                kept.append((sort_key, row))
        if not replaced and not added:
            all_keys, all_rows = self._all_keys, self._all_rows
            for sort_key, row in kept:
                all_rows[bisect_left(all_keys, sort_key)] = row
            if not self.filtering:
                return False  # every row where it was: only contents changed
            shown = self._order
            self._refilter()
            return self._order != shown
        keys = [k for k in self._all_keys if k[-1] not in replaced]
        keys.extend(added)
        keys.sort()
        self._all_keys = keys
        rows = self._rows
        self._all_rows = [rows[sort_key[-1]] for sort_key in keys]
        self._refilter()
        return True

    def _unlist(self, sort_key: SortKey) -> None:
        """Delete ``sort_key`` and its row from the sorted lists of every job."""
        position = bisect_left(self._all_keys, sort_key)
        if position < len(self._all_keys) and self._all_keys[position] == sort_key:
            del self._all_keys[position]
            del self._all_rows[position]

    def _take_out(self, key: JobKey) -> bool:
        sort_key = self._sort_key_of.get(key)
        if sort_key is None:
            return False
        position = bisect_left(self._order_keys, sort_key)
        if position < len(self._order) and self._order[position] == key:
            del self._order[position]
            del self._order_keys[position]
            return True
        return False

    # ------------------------------------------------------ filter and sorting

    def set_query(self, query: Query | None) -> None:
        """Show only rows matching ``query`` (None or empty: all)."""
        query = query if query else None
        previous, self.query = self.query, query
        if query is not None and previous is not None and query.narrows(previous):
            # Typing on: the rows shown now are all that can still match.
            rows = self._rows
            shown = self._order_keys
            self._order_keys = query.select(shown, [rows[key[-1]] for key in shown])
            self._order = [sort_key[-1] for sort_key in self._order_keys]
            self._settle_cursor()
            return
        self._refilter()

    def set_scope(self, provider: str | None) -> None:
        """Show only ``provider``'s jobs (None: every provider)."""
        self.scope = provider
        self._refilter()

    def set_problems_only(self, on: bool) -> None:
        """Show only failed, partial, unknown, poll-failing or unhealthy-provider jobs."""
        self.problems_only = on
        self._refilter()

    def set_unhealthy(self, providers: Iterable[str]) -> bool:
        """Record which providers are unhealthy; returns True when the view changed."""
        unhealthy = frozenset(providers)
        if unhealthy == self.unhealthy:
            return False
        self.unhealthy = unhealthy
        if self.problems_only:
            self._refilter()
            return True
        return False

    def set_sort(self, column: str, reverse: bool) -> None:
        """Sort by ``column`` (one of ``SORT_COLUMNS``), descending with ``reverse``."""
        if column not in SORT_KEYS:
            raise ValueError(f"unknown sort column {column!r}")
        same_column = column == self.sort_column
        self.sort_column = column
        self.sort_reverse = reverse
        if same_column:
            # Only the direction: the order is the same list read the other way.
            self._settle_cursor()
            return
        self._resort()

    def _passes(self, row: JobRow) -> bool:
        return self._passes_scope(row) and (self.query is None or self.query.matches(row))

    def _passes_scope(self, row: JobRow) -> bool:
        """The provider scope and problems-only view; the query aside."""
        if self.scope is not None and row.provider != self.scope:
            return False
        return not self.problems_only or bool(
            row.state.problem or row.poll_error or row.provider in self.unhealthy
        )

    def _sort_key(self, row: JobRow) -> SortKey:
        # The job key last makes every sort key unique, so bisect finds one row.
        return (*SORT_KEYS[self.sort_column](row), row.key)

    def _resort(self) -> None:
        lead = SORT_KEYS[self.sort_column]  # _sort_key, inlined: once per row of 100k
        self._sort_key_of = {key: (*lead(row), key) for key, row in self._rows.items()}
        self._all_keys = sorted(self._sort_key_of.values())
        rows = self._rows
        self._all_rows = [rows[sort_key[-1]] for sort_key in self._all_keys]
        self._refilter()

    def _refilter(self) -> None:
        keys: list[SortKey] = self._all_keys
        rows: list[JobRow] = self._all_rows
        if self.scope is not None or self.problems_only:
            mask = list(map(self._passes_scope, rows))
            keys, rows = list(compress(keys, mask)), list(compress(rows, mask))
        if self.query is not None:
            keys = self.query.select(keys, rows)
        self._order_keys = keys if keys is not self._all_keys else list(keys)
        self._order = [sort_key[-1] for sort_key in self._order_keys]
        self._settle_cursor()

    # ----------------------------------------------------------------- helpers

    def _display_index(self, position: int) -> int:
        return len(self._order) - 1 - position if self.sort_reverse else position

    def _key_at(self, index: int) -> JobKey:
        position = len(self._order) - 1 - index if self.sort_reverse else index
        return self._order[position]

    @property
    def newest_data(self) -> float | None:
        """The newest successful poll of any job (epoch seconds), None when never polled."""
        return max(self.fresh_at.values(), default=None)

    def _note_fresh(self, row: JobRow) -> None:
        polled_at = row.watched.polled_at
        if polled_at is None or row.poll_error or row.watched.job is None:
            return  # a failed poll leaves the data as old as it was
        stamp = polled_at.timestamp()
        if stamp > self.fresh_at.get(row.provider, float("-inf")):
            self.fresh_at[row.provider] = stamp

    def _count(self, row: JobRow, delta: int) -> None:
        if delta > 0 and len(row.id) > self.longest_id:
            self.longest_id = len(row.id)
        counter = self.counts.get(row.provider)
        if counter is None:
            counter = self.counts[row.provider] = Counter()
        counter[row.state] += delta
        if counter[row.state] <= 0:
            del counter[row.state]


def _newest_polls(rows: Iterable[JobRow]) -> dict[str, float]:
    """Per provider, the newest successful poll of ``rows`` (``_note_fresh`` over a list)."""
    newest: dict[str, datetime] = {}
    for row in rows:
        watched = row.watched
        polled_at = watched.polled_at
        if polled_at is None or row.poll_error or watched.job is None:
            continue
        seen = newest.get(row.provider)
        if seen is None or polled_at > seen:
            newest[row.provider] = polled_at
    return {provider: moment.timestamp() for provider, moment in newest.items()}
