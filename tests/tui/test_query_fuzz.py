"""Fuzzing the filter query language: whatever is typed, only ``QueryError`` comes out.

The filter bar parses on every keystroke, so any prefix of any query, any
Unicode, and any mix of the language's own punctuation must parse or fail
with ``QueryError`` — and a query that parsed must evaluate on any row.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobtui.model import JobState
from jobtui.tui.joblist.query import FIELDS, STATE_GROUPS, Query, QueryError, parse_query

WORDS = [
    *FIELDS,
    *(s.value for s in JobState),
    *STATE_GROUPS,
    "deepo",
    "golden retriever",
    "Ünïcode",
    "ID-7",
    "",
]
PUNCTUATION = ['"', "!", ":", ",", " ", "\t", "\n", "\u3000", "\x00", "\u202e", "\\"]

fragments = st.one_of(st.sampled_from(WORDS), st.sampled_from(PUNCTUATION), st.text(max_size=6))
query_like = st.lists(fragments, max_size=14).map("".join)


@dataclass(frozen=True)
class Row:
    """A row as the job list has it (every searchable field)."""

    provider: str
    kind: str
    id: str
    label: str
    summary: str
    error: str
    state: JobState
    sig: str = ""

    @property
    def haystack(self) -> str:
        """Every searchable field, lower-cased and joined."""
        return " ".join((self.provider, self.id, self.label, self.summary, self.error)).lower()


rows = st.builds(
    Row,
    provider=st.text(max_size=10),
    kind=st.text(max_size=10),
    id=st.text(max_size=10),
    label=st.text(max_size=10),
    summary=st.text(max_size=20),
    error=st.text(max_size=20),
    state=st.sampled_from(list(JobState)),
)


def parse_or_refuse(text: str) -> Query | None:
    """The query, or None when ``QueryError`` (with a message) refused it."""
    try:
        return parse_query(text)
    except QueryError as error:
        message = str(error)
        assert message and "\n" not in message, repr(message)
        return None


@settings(max_examples=600, deadline=None)
@given(text=st.text(max_size=80))
def test_any_text_parses_or_raises_query_error(text: str) -> None:
    parse_or_refuse(text)


@settings(max_examples=600, deadline=None)
@given(text=query_like, row=rows)
def test_query_like_text_parses_and_evaluates_on_any_row(text: str, row: Row) -> None:
    query = parse_or_refuse(text)
    if query is not None:
        assert isinstance(query.matches(row), bool)
        assert query.text == text


@settings(max_examples=300, deadline=None)
@given(text=query_like)
def test_every_prefix_typed_so_far_is_safe(text: str) -> None:
    # The bar re-parses on each keystroke: every prefix is a query of its own.
    for end in range(len(text) + 1):
        parse_or_refuse(text[:end])


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from([s.value for s in JobState]), min_size=1, max_size=4))
def test_known_states_always_parse(words: list[str]) -> None:
    query = parse_query("state:" + ",".join(words))
    assert query.terms[0].states == frozenset(JobState(w) for w in words)


@pytest.mark.parametrize(
    "text", ['"unclosed', "nosuchfield:x", "state:exploded", "!", "state:", 'label:""']
)
def test_documented_refusals_are_query_errors(text: str) -> None:
    with pytest.raises(QueryError):
        parse_query(text)


@settings(max_examples=400, deadline=None)
@given(text=query_like, many=st.lists(rows, max_size=12))
def test_select_keeps_exactly_the_rows_that_match_in_order(text: str, many: list[Row]) -> None:
    # The list filters with select (a term at a time); updates test single rows with
    # matches. The two must never disagree, or a job would flicker in and out.
    query = parse_or_refuse(text)
    if query is not None:
        indexed = list(enumerate(many))
        chosen = query.select(indexed, many)
        assert chosen == [item for item in indexed if query.matches(item[1])]


@settings(max_examples=400, deadline=None)
@given(before=query_like, typed=query_like, many=st.lists(rows, max_size=12))
def test_a_narrowing_query_matches_no_row_the_wider_one_missed(
    before: str, typed: str, many: list[Row]
) -> None:
    # Typing on filters only the rows shown: that is right only if narrows() never lies.
    wider = parse_or_refuse(before)
    narrower = parse_or_refuse(before + typed)
    if wider is not None and narrower is not None and narrower.narrows(wider):
        for row in many:
            if narrower.matches(row):
                assert wider.matches(row), (before, typed, row)


def test_typing_on_narrows_and_other_edits_do_not() -> None:
    def narrows(after: str, before: str) -> bool:
        return parse_query(after).narrows(parse_query(before))

    assert narrows("job-0001", "job-000")
    assert narrows("state:failed job", "state:failed")
    assert narrows("provider:deepo", "provider:dee")
    assert narrows("label:a state:failed", "state:failed label:a")
    assert not narrows("job-00", "job-000")  # deleting widens
    assert not narrows("!job-0001", "!job-000")  # a longer negated word hides fewer
    assert not narrows("state:failed", "state:problem")  # states are names, not words
    assert not narrows("deepo", "provider:deepo")
