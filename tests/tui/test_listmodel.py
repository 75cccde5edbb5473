"""The job list model: filter, sort, counts, and a cursor that stays on its job."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from jobtui.model import JobState
from jobtui.store import WatchedJob
from jobtui.tui.joblist.model import SORT_COLUMNS, JobListModel
from jobtui.tui.joblist.query import parse_query

from support.tui_data import seeded_jobs, watched


def loaded(**kwargs: object) -> JobListModel:
    model = JobListModel(**kwargs)  # type: ignore[arg-type]
    model.set_jobs(seeded_jobs())
    return model


def test_default_sort_is_newest_first() -> None:
    model = loaded()
    ids = [model.row_at(i).id for i in range(len(model))]
    assert ids[0] == "269999729"  # 2 minutes old
    assert ids[-1] == "job-10"  # a day old


def test_every_column_sorts_and_reverses() -> None:
    model = loaded()
    for column in SORT_COLUMNS:
        model.set_sort(column, False)
        forward = model.visible_keys()
        model.set_sort(column, True)
        assert model.visible_keys() == list(reversed(forward))
        assert len(forward) == 12


def test_state_sort_puts_problems_first() -> None:
    model = loaded()
    model.set_sort("state", False)
    assert model.row_at(0).state is JobState.FAILED


def test_cursor_stays_on_its_job_across_sort_and_filter() -> None:
    model = loaded()
    assert model.move_cursor_to_key(("cdf", "123"))
    for column in SORT_COLUMNS:
        model.set_sort(column, column == "age")
        assert model.cursor_key == ("cdf", "123")
    model.set_query(parse_query("provider:cdf"))
    assert model.cursor_key == ("cdf", "123")
    model.set_query(None)
    assert model.cursor_key == ("cdf", "123")


def test_filtered_out_cursor_rests_nearby_and_comes_back() -> None:
    model = loaded()
    model.move_cursor_to_key(("cdf", "123"))
    model.set_query(parse_query("state:succeeded"))
    assert model.cursor_key is not None
    assert model.row(model.cursor_key).state is JobState.SUCCEEDED  # type: ignore[union-attr]
    model.set_query(None)
    assert model.cursor_key == ("cdf", "123")


def test_cursor_follows_a_job_that_moves_in_the_order() -> None:
    model = loaded(sort_column="state", sort_reverse=False)
    model.move_cursor_to_key(("sai", "job-7"))
    before = model.cursor
    # The queued job fails: it moves to the top of a state sort, the cursor with it.
    moved = model.upsert([watched("sai", "job-7", JobState.FAILED, minutes_old=6)])
    assert moved
    assert model.cursor_key == ("sai", "job-7")
    assert model.cursor != before


def test_in_place_update_reports_no_reordering() -> None:
    model = loaded()
    old = model.row(("deepo", "269999731"))
    assert old is not None
    updated = dataclasses.replace(old.watched, poll_error=None, label="renamed")
    assert model.upsert([updated]) is False
    assert model.row(("deepo", "269999731")).label == "renamed"  # type: ignore[union-attr]


def test_counts_follow_updates_and_removals() -> None:
    model = loaded()
    assert model.counts["deepo"][JobState.RUNNING] == 1
    model.upsert([watched("deepo", "269999731", JobState.SUCCEEDED)])
    assert model.counts["deepo"][JobState.RUNNING] == 0
    assert model.counts["deepo"][JobState.SUCCEEDED] == 2
    model.remove([("deepo", "269999731")])
    assert model.counts["deepo"][JobState.SUCCEEDED] == 1
    assert model.total == 11


def test_problems_only_includes_poll_errors_and_unhealthy_providers() -> None:
    model = loaded()
    model.set_problems_only(True)
    assert {key[1] for key in model.visible_keys()} == {"123", "ask-42", "269999730"}
    model.set_unhealthy(["sai"])
    assert {key[1] for key in model.visible_keys()} == {
        "123", "ask-42", "269999730", "job-7", "job-8"
    }


def test_scope_limits_to_one_provider() -> None:
    model = loaded()
    model.set_scope("tart")
    assert {key[0] for key in model.visible_keys()} == {"tart"}
    assert model.filtering


def test_incremental_updates_match_a_full_rebuild() -> None:
    model = loaded(sort_column="updated", sort_reverse=True)
    changes = [
        watched("deepo", "269999729", JobState.FAILED, minutes_old=0.5),
        watched("new", "n-1", JobState.RUNNING, minutes_old=30),
        watched("tart", "job-10", JobState.RUNNING, minutes_old=0.1),
    ]
    model.apply(changes, [("cdf", "124")])
    rebuilt = JobListModel(sort_column="updated", sort_reverse=True)
    rebuilt.set_jobs(model.row(key).watched for key in model.visible_keys())  # type: ignore[union-attr]
    assert model.visible_keys() == rebuilt.visible_keys()
    for index, key in enumerate(model.visible_keys()):
        assert model.index_of(key) == index


def test_bulk_changes_rebuild_and_keep_the_cursor() -> None:
    model = JobListModel()
    model.set_jobs(watched("p", f"j{i}", JobState.RUNNING, minutes_old=i) for i in range(500))
    model.move_cursor_to_key(("p", "j250"))
    model.apply([watched("p", f"j{i}", JobState.SUCCEEDED, minutes_old=i) for i in range(400)], [])
    assert model.cursor_key == ("p", "j250")
    assert model.counts["p"][JobState.SUCCEEDED] == 400


def test_bulk_changes_agree_with_a_model_built_afresh() -> None:
    # A bulk tick whose rows keep their sort keys (the failed jobs read whole after
    # the start) is applied in place, any other by a full sort: either way the list
    # shows what a model built from scratch shows.
    before = [watched("p", f"j{i}", JobState.RUNNING, minutes_old=i) for i in range(500)]
    after = [
        watched("p", f"j{i}", JobState.FAILED if i % 2 else JobState.RUNNING,
                summary=f"s{i % 7}", minutes_old=i)
        for i in range(400)
    ]  # fmt: skip
    for column in SORT_COLUMNS:
        for text in ("", "state:failed"):
            model = JobListModel(sort_column=column, sort_reverse=True)
            model.set_jobs(before)
            model.set_query(parse_query(text) if text else None)
            moved = model.apply(after, [])
            fresh = JobListModel(sort_column=column, sort_reverse=True)
            fresh.set_jobs([*after, *before[400:]])
            fresh.set_query(parse_query(text) if text else None)
            assert model.visible_keys() == fresh.visible_keys(), (column, text)
            assert model.counts == fresh.counts
            assert model.row(("p", "j1")).summary == "s1"  # type: ignore[union-attr]
            for index, key in enumerate(model.visible_keys()):
                assert model.index_of(key) == index
            if column == "age":
                # Same places: only a filter can change what is shown.
                assert moved is bool(text), text


def test_changes_while_filtered_survive_clearing_the_filter() -> None:
    model = loaded(sort_column="state", sort_reverse=False)
    model.set_query(parse_query("state:failed"))
    model.apply(
        [
            watched("sai", "job-7", JobState.FAILED, minutes_old=6),  # becomes visible
            watched("cdf", "123", JobState.SUCCEEDED, minutes_old=4),  # leaves the view
            watched("new", "n-2", JobState.QUEUED),  # hidden newcomer
        ],
        [("tart", "job-9")],
    )
    assert [key[1] for key in model.visible_keys()] == ["job-7"]
    model.set_query(None)
    fresh = JobListModel(sort_column="state", sort_reverse=False)
    fresh.set_jobs(row.watched for row in model.rows())
    assert model.visible_keys() == fresh.visible_keys()
    assert len(model) == 12


def test_typing_on_filters_what_is_shown_and_agrees_with_a_fresh_filter() -> None:
    model = loaded()
    model.set_query(parse_query("job"))
    # A job changes while the filter is open: its summary now says "job".
    renamed = watched("deepo", "269999731", JobState.RUNNING, summary="job running")
    model.apply([renamed], set())
    model.set_query(parse_query("job r"))  # typing on: narrows what is shown
    narrowed = model.visible_keys()
    fresh = loaded()
    fresh.apply([renamed], set())
    fresh.set_query(parse_query("job r"))
    assert narrowed == fresh.visible_keys()
    assert ("deepo", "269999731") in narrowed
    model.set_query(parse_query("job"))  # deleting widens: everything is looked at again
    assert len(model.visible_keys()) > len(narrowed)


_IDS = [f"job-{n}" for n in range(12)]
_PROVIDERS = ("deepo", "sai", "ii")
_QUERIES = ("", "job-1", "state:failed", "provider:deepo", "!state:running", "summary:ok")


@settings(max_examples=150, deadline=None)
@given(
    changes=st.lists(
        st.tuples(
            st.sampled_from(_IDS),
            st.sampled_from(list(JobState)),
            st.sampled_from(["ok", "not ok", ""]),
            st.booleans(),  # remove instead
        ),
        max_size=25,
    ),
    sort=st.sampled_from(SORT_COLUMNS),
    first=st.sampled_from(_QUERIES),
    second=st.sampled_from(_QUERIES),
)
def test_changes_one_at_a_time_agree_with_a_model_built_afresh(
    changes: list[tuple[str, JobState, str, bool]], sort: str, first: str, second: str
) -> None:
    # Ticks of a few changes are applied in place (sorted lists kept by bisection);
    # whatever they were, the model must show what one built from scratch shows,
    # under the filter it had and under the next one.
    def job(job_id: str, state: JobState, summary: str, minutes: float) -> WatchedJob:
        provider = _PROVIDERS[int(job_id.split("-")[1]) % len(_PROVIDERS)]
        return watched(provider, job_id, state, summary=summary, minutes_old=minutes)

    current: dict[tuple[str, str], WatchedJob] = {}
    for n, job_id in enumerate(_IDS[:8]):
        start = job(job_id, JobState.QUEUED, "ok", n + 1)
        current[(start.provider, start.id)] = start
    model = JobListModel(sort_column=sort, sort_reverse=False)
    model.set_jobs(current.values())
    model.set_query(parse_query(first) if first else None)
    for step, (job_id, state, summary, remove) in enumerate(changes):
        changed = job(job_id, state, summary, (step % 5) + 0.5)
        key = (changed.provider, changed.id)
        if remove:
            model.apply([], [key])
            current.pop(key, None)
        else:
            model.apply([changed], [])
            current[key] = changed
    fresh = JobListModel(sort_column=sort, sort_reverse=False)
    fresh.set_jobs(current.values())
    for text in (first, second):
        query = parse_query(text) if text else None
        model.set_query(query)
        fresh.set_query(query)
        assert model.visible_keys() == fresh.visible_keys(), text


@settings(max_examples=60, deadline=None)
@given(
    kept=st.integers(min_value=0, max_value=150),
    moved=st.integers(min_value=0, max_value=100),
    removed=st.integers(min_value=0, max_value=40),
    newcomers=st.integers(min_value=0, max_value=40),
    sort=st.sampled_from(SORT_COLUMNS),
    reverse=st.booleans(),
    query=st.sampled_from(_QUERIES),
)
def test_a_bulk_batch_agrees_with_a_model_built_afresh(
    kept: int, moved: int, removed: int, newcomers: int, sort: str, reverse: bool, query: str
) -> None:
    # Over 64 changes take the bulk path: rows whose sort key stayed are kept in
    # order and the moved ones merged in. Whatever the mix, the model must show
    # what one built from scratch shows, with the cursor still on its job.
    def job(n: int, state: JobState, minutes: float, summary: str = "ok") -> WatchedJob:
        provider = _PROVIDERS[n % len(_PROVIDERS)]
        return watched(provider, f"job-{n}", state, summary=summary, minutes_old=minutes)

    current = {(j.provider, j.id): j for j in (job(n, JobState.QUEUED, n + 1) for n in range(400))}
    model = JobListModel(sort_column=sort, sort_reverse=reverse)
    model.set_jobs(current.values())
    model.set_query(parse_query(query) if query else None)
    cursor = model.visible_keys()[len(model) // 2] if len(model) else None
    if cursor is not None:
        model.move_cursor_to_key(cursor)
    changes: list[WatchedJob] = []
    changes += [job(n, JobState.QUEUED, n + 1) for n in range(kept)]  # the same, polled again
    changes += [
        job(n, JobState.FAILED, 0.5 + n % 7, summary="not ok")  # state, age and summary move
        for n in range(kept, kept + moved)
    ]
    changes += [job(1000 + n, JobState.RUNNING, n % 9 + 0.25) for n in range(newcomers)]
    gone = [(_PROVIDERS[n % len(_PROVIDERS)], f"job-{n}") for n in range(399, 399 - removed, -1)]
    model.apply(changes, gone)
    for change in changes:
        current[(change.provider, change.id)] = change
    for key in gone:
        current.pop(key, None)
    fresh = JobListModel(sort_column=sort, sort_reverse=reverse)
    fresh.set_jobs(current.values())
    fresh.set_query(parse_query(query) if query else None)
    assert model.visible_keys() == fresh.visible_keys()
    assert model.counts == fresh.counts
    for index, key in enumerate(model.visible_keys()):
        assert model.index_of(key) == index
    if cursor is not None and cursor in current and model.index_of(cursor) is not None:
        assert model.cursor_key == cursor
