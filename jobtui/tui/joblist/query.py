"""The filter query language of the job list.

A query is a list of terms, all of which must hold::

    state:failed provider:deepo "golden retriever" !label:test

- ``field:value`` matches one field (case-insensitive substring, except
  ``state`` which names states exactly); ``field:a,b`` matches any of the
  values.
- a bare word or a ``"quoted phrase"`` matches the provider, id, label,
  summary, raw status or error.
- ``sig:TOKEN`` matches the jobs of one failure group (the failures view, ``F``,
  writes it; ``jobtui errors --json`` prints each group's ``term``).
- ``!`` in front of a term negates it.

Unknown fields, unknown states, unclosed quotes and (when the caller names the
providers) a ``provider:`` value no provider name contains raise ``QueryError``
with a message fit for the filter bar: a typo must never crash the dashboard,
nor silently show an empty list.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Protocol, TypeVar

from jobtui.model import JobState
from jobtui.textsafe import visible

__all__ = [
    "FIELDS",
    "STATE_GROUPS",
    "Query",
    "QueryError",
    "SearchableRow",
    "Term",
    "parse_query",
]


Item = TypeVar("Item")


class QueryError(ValueError):
    """A query that cannot be understood; ``str()`` explains why, for the user."""


class SearchableRow(Protocol):
    """What a query looks at in a row (``jobtui.tui.joblist.model.JobRow`` is one)."""

    @property
    def provider(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def error(self) -> str: ...
    @property
    def state(self) -> JobState: ...
    @property
    def haystack(self) -> str:
        """Every searchable field, lower-cased and joined."""
        ...
    @property
    def sig(self) -> str:
        """The failure group token (``jobtui.insights.failures``), empty when none."""
        ...


STATE_GROUPS: dict[str, frozenset[JobState]] = {
    "active": frozenset({JobState.QUEUED, JobState.RUNNING, JobState.PAUSED}),
    "terminal": frozenset(
        {JobState.SUCCEEDED, JobState.PARTIAL, JobState.FAILED, JobState.CANCELED}
    ),
    "problem": frozenset({JobState.FAILED, JobState.PARTIAL, JobState.UNKNOWN}),
}
"""Words ``state:`` accepts besides the state names themselves."""

_TEXT_FIELDS: dict[str, Callable[[SearchableRow], str]] = {
    "provider": lambda row: row.provider,
    "kind": lambda row: row.kind,
    "id": lambda row: row.id,
    "label": lambda row: row.label,
    "summary": lambda row: row.summary,
    "error": lambda row: row.error,
    "sig": lambda row: row.sig,
}

FIELDS: tuple[str, ...] = ("state", *_TEXT_FIELDS)
"""Field names a term may use, in the order the error message lists them."""


@dataclass(frozen=True, slots=True)
class Term:
    """One condition of a query."""

    field: str | None
    """The field, or None for free text."""
    values: tuple[str, ...]
    """Lower-cased values; the term holds when any of them matches."""
    states: frozenset[JobState] = frozenset()
    """For ``state:``, the states the values name."""
    negated: bool = False
    """True for ``!term``."""

    def matches(self, row: SearchableRow) -> bool:
        """Whether ``row`` satisfies this term (negation applied)."""
        if self.field == "state":
            hit = row.state in self.states
        elif self.field is None:
            hit = any(value in row.haystack for value in self.values)
        else:
            text = _TEXT_FIELDS[self.field](row).lower()
            hit = any(value in text for value in self.values)
        return hit != self.negated

    def mask(self, rows: Sequence[SearchableRow]) -> list[bool]:
        """``matches`` for each of ``rows``, in order.

        One comprehension per kind of term: a keystroke in the filter bar runs this
        over every job, and a call of ``matches`` per row was most of its cost.
        """
        negated = self.negated
        if self.field == "state":
            states = self.states
            return [(row.state in states) != negated for row in rows]
        if len(self.values) == 1:
            value = self.values[0]
            if self.field is None:
                return [(value in row.haystack) != negated for row in rows]
            field = _TEXT_FIELDS[self.field]
            return [(value in field(row).lower()) != negated for row in rows]
        return [self.matches(row) for row in rows]

    def narrows(self, wider: Term) -> bool:
        """Whether every row this term matches is matched by ``wider`` as well.

        True for the same term, and for a text term whose values each contain one
        of ``wider``'s (matching is by substring): typing more of a word narrows.
        """
        if self == wider:
            return True
        if self.negated or wider.negated or self.field != wider.field or self.field == "state":
            return False
        return all(any(old in new for old in wider.values) for new in self.values)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: every term must hold."""

    text: str
    """The query as typed."""
    terms: tuple[Term, ...]

    def matches(self, row: SearchableRow) -> bool:
        """Whether ``row`` satisfies every term."""
        return all(term.matches(row) for term in self.terms)

    def select(self, items: Sequence[Item], rows: Sequence[SearchableRow]) -> list[Item]:
        """The ``items`` whose row (``rows[i]`` for ``items[i]``) the query matches, in order.

        As ``matches``, but a term at a time, the cheapest first, each over what the
        ones before let through.
        """
        chosen, chosen_rows = list(items), list(rows)
        for term in sorted(self.terms, key=_term_cost):
            if not chosen:
                break
            mask = term.mask(chosen_rows)
            chosen, chosen_rows = list(compress(chosen, mask)), list(compress(chosen_rows, mask))
        return chosen

    def narrows(self, wider: Query) -> bool:
        """Whether every row this query matches is matched by ``wider`` too.

        Then the rows ``wider`` let through are all there is to filter.
        """
        return all(any(term.narrows(old) for term in self.terms) for old in wider.terms)

    def __bool__(self) -> bool:
        return bool(self.terms)


def _term_cost(term: Term) -> int:
    # A set lookup, then one substring search, then the rest.
    if term.field == "state":
        return 0
    return 1 if term.field is None and len(term.values) == 1 else 2


def _tokens(text: str) -> list[str]:
    """Split on whitespace outside double quotes; quotes stay in the tokens."""
    tokens: list[str] = []
    current: list[str] = []
    in_quotes = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
            current.append(char)
        elif char.isspace() and not in_quotes:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
    if in_quotes:
        raise QueryError('unclosed quote: add a closing "')
    if current:
        tokens.append("".join(current))
    return tokens


def _unquote(value: str) -> str:
    return value.replace('"', "")


def _parse_states(raw_values: list[str]) -> frozenset[JobState]:
    states: set[JobState] = set()
    for value in raw_values:
        if value in STATE_GROUPS:
            states |= STATE_GROUPS[value]
            continue
        try:
            states.add(JobState(value))
        except ValueError:
            names = [*(s.value for s in JobState), *STATE_GROUPS]
            raise QueryError(
                f"unknown state {value!r}{_suggestion(value, names, typos=True)}"
            ) from None
    return frozenset(states)


def _suggestion(typed: str, names: Sequence[str], *, typos: bool = False) -> str:
    """What to say after "unknown …": the names ``typed`` begins or nearly spells, else all.

    The error line is one line: the likely answer (a word typed halfway) comes first.
    """
    close = [name for name in names if name.startswith(typed)]
    if not close and typos:
        # A typo ("faild", "runing") is as likely as a word typed halfway.
        import difflib

        close = difflib.get_close_matches(typed, names, n=2, cutoff=0.6)
    if close:
        return f": did you mean {' or '.join(close)}?"
    return f" (known: {', '.join(names)})"


def _check_providers(values: Sequence[str], providers: Collection[str]) -> None:
    """Every ``provider:`` value must be part of some provider's name: else it is a typo."""
    names = sorted({name.lower() for name in providers})
    for value in values:
        if not any(value in name for name in names):
            raise QueryError(
                f"no provider {value!r}{_suggestion(value, names, typos=True)}"
            )


def _parse_term(token: str, providers: Collection[str] = ()) -> Term:
    negated = token.startswith("!")
    body = token[1:] if negated else token
    if not body:
        raise QueryError("'!' must be followed by a term")
    field: str | None = None
    value = body
    # A colon inside quotes belongs to the phrase, not to a field.
    colon = body.find(":")
    if colon > 0 and '"' not in body[:colon]:
        field = body[:colon].lower()
        value = body[colon + 1 :]
        if field not in FIELDS:
            raise QueryError(
                f"unknown field {field!r}{_suggestion(field, FIELDS)}; "
                # (visible: a pasted newline must not break the one-line error bar)
                'quote the text to search for it: "' + visible(body) + '"'
            )
    raw_values = [_unquote(part).strip().lower() for part in value.split(",")]
    raw_values = [part for part in raw_values if part]
    if not raw_values:
        raise QueryError(f"{field or 'term'}: a value is missing after {body!r}")
    if field is None:
        # Commas in free text are literal: "a,b" is one phrase.
        raw_values = [_unquote(value).lower()]
    if field == "state":
        return Term("state", tuple(raw_values), _parse_states(raw_values), negated)
    if field == "provider" and providers:
        _check_providers(raw_values, providers)
    return Term(field, tuple(raw_values), negated=negated)


def parse_query(text: str, *, providers: Collection[str] = ()) -> Query:
    """Parse ``text``; raises ``QueryError`` with a user-facing message.

    ``providers``: the provider names there are; a ``provider:`` value none of
    them contains is then an error with a "did you mean" (none given: any value).
    """
    return Query(text, tuple(_parse_term(token, providers) for token in _tokens(text)))
