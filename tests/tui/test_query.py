"""The filter language: fields, negation, phrases, and errors a user can act on."""

from __future__ import annotations

import pytest

from jobtui.model import JobState
from jobtui.tui.joblist.model import JobRow
from jobtui.tui.joblist.query import QueryError, parse_query

from support.tui_data import seeded_jobs


@pytest.fixture
def rows() -> list[JobRow]:
    return [JobRow.from_watched(job) for job in seeded_jobs()]


def matching(text: str, rows: list[JobRow]) -> set[str]:
    query = parse_query(text)
    return {row.id for row in rows if query.matches(row)}


def test_state_and_provider_terms_combine(rows: list[JobRow]) -> None:
    assert matching("state:failed", rows) == {"123"}
    assert matching("state:succeeded provider:deep", rows) == {"269999729"}


def test_state_accepts_several_values_and_groups(rows: list[JobRow]) -> None:
    assert matching("state:failed,partial", rows) == {"123", "ask-42"}
    assert matching("state:problem", rows) == {"123", "ask-42", "269999730"}
    active = matching("state:active", rows)
    assert active == {r.id for r in rows if r.state in (
        JobState.QUEUED, JobState.RUNNING, JobState.PAUSED)}


def test_bang_negates_a_term(rows: list[JobRow]) -> None:
    everything = {row.id for row in rows}
    assert matching("!state:succeeded", rows) == everything - {"269999729", "124", "ask-43"}
    assert matching("!retriever", rows) == everything - {"269999729"}


def test_free_text_searches_label_summary_and_poll_error(rows: list[JobRow]) -> None:
    assert matching("RETRIEVER", rows) == {"269999729"}
    assert matching("503", rows) == {"269999730"}
    assert matching("batch", rows) == {"ask-42"}


def test_quoted_phrase_keeps_its_spaces(rows: list[JobRow]) -> None:
    assert matching('"of 3 files"', rows) == {"123"}
    assert matching('summary:"3 files"', rows) == {"123"}
    assert matching("of 3 files", rows) >= {"123"}


def test_colon_inside_quotes_is_text_not_a_field(rows: list[JobRow]) -> None:
    assert parse_query('"http://x"').terms[0].field is None


def test_unknown_field_is_a_clear_error() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("staet:failed")
    message = str(caught.value)
    assert "unknown field 'staet'" in message
    assert "state" in message and "provider" in message


def test_unknown_state_lists_the_known_ones() -> None:
    with pytest.raises(QueryError, match=r"unknown state 'done'.*succeeded"):
        parse_query("state:done")


@pytest.mark.parametrize("text", ['"unclosed', "!", "state:", "provider:,"])
def test_malformed_queries_raise_query_error(text: str) -> None:
    with pytest.raises(QueryError):
        parse_query(text)


def test_empty_query_matches_everything(rows: list[JobRow]) -> None:
    query = parse_query("   ")
    assert not query
    assert all(query.matches(row) for row in rows)


def test_a_word_typed_halfway_gets_the_likely_name_first() -> None:
    # The error shows on one line: the answer must come before it is cut off.
    with pytest.raises(QueryError, match=r"^unknown state 'fai': did you mean failed\?$"):
        parse_query("state:fai")
    with pytest.raises(QueryError, match=r"^unknown state 'p': did you mean paused or partial"):
        parse_query("state:p")
    with pytest.raises(QueryError, match=r"^unknown field 'prov': did you mean provider\?"):
        parse_query("prov:deepo")


@pytest.mark.parametrize(("typed", "meant"), [("faild", "failed"), ("runing", "running")])
def test_a_misspelt_state_gets_a_suggestion(typed: str, meant: str) -> None:
    with pytest.raises(QueryError, match=rf"did you mean {meant}"):
        parse_query(f"state:{typed}")


PROVIDER_NAMES = ("deepomatic", "tensorart", "cognite", "imageintelligence", "superai")


def test_a_provider_no_name_contains_gets_a_suggestion() -> None:
    with pytest.raises(QueryError, match=r"^no provider 'tensorrt': did you mean tensorart\?$"):
        parse_query("provider:tensorrt", providers=PROVIDER_NAMES)
    with pytest.raises(QueryError, match=r"no provider 'xyz' \(known: cognite, deepomatic"):
        parse_query("!provider:xyz", providers=PROVIDER_NAMES)


def test_provider_values_that_name_a_provider_parse() -> None:
    # Part of a name is fine (matching is by substring), and so is any of several.
    query = parse_query("provider:tensor,Cognite", providers=PROVIDER_NAMES)
    assert query.terms[0].values == ("tensor", "cognite")
    # Without the names (the CLI's saved views) any value is taken as it is.
    assert parse_query("provider:tensorrt").terms[0].values == ("tensorrt",)
