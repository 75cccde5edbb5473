"""A job's result as a lazy tree description, independent of any widget.

Each node is a label made of ``(text, role)`` spans and, for branches, a
``Children`` page loader: nothing below a node is built until someone asks
for a page of it, so a 10,000-element array costs nothing until expanded and
then only one page. Roles are words (``key``, ``str``, ``state-failed`` …)
that the tree widget maps to theme styles; texts are raw provider data that
the widget escapes.

Provider-specific shapes live in one module per kind beside this one; this
module holds the node types, the generic JSON rendering, and the normalized
header every job gets.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from jobtui.model import Job, JobItem, JobState, format_age, format_duration
from jobtui.tui.joblist.glyphs import glyph

__all__ = [
    "PAGE_SIZE",
    "Children",
    "Rendered",
    "ResultNode",
    "Span",
    "as_list",
    "as_map",
    "as_number",
    "as_text",
    "basename",
    "branch",
    "concat",
    "count_spans",
    "format_duration",
    "format_time",
    "glyph_spans",
    "header_nodes",
    "item_nodes",
    "leaf",
    "list_children",
    "node_list",
    "number_text",
    "plural",
    "relative",
    "scalar_spans",
    "state_spans",
    "value_node",
]

PAGE_SIZE = 50
"""How many children a branch shows before a "… N more" node."""

MAX_LABEL_CHARS = 200
"""Longer strings are cut in labels; the JSON tab shows them whole."""

Span = tuple[str, str]
"""A piece of label text and its role (``key``, ``str``, ``num``, ``state-running`` …)."""


@dataclass(frozen=True, slots=True)
class Children:
    """The children of a branch, built a page at a time."""

    total: int
    """How many children there are."""
    load: Callable[[int, int], Sequence[ResultNode]]
    """Build children ``[start, stop)``."""


@dataclass(frozen=True, slots=True)
class ResultNode:
    """One line of the result tree."""

    spans: tuple[Span, ...]
    """The label, as raw text pieces with roles."""
    children: Children | None = None
    """None for a leaf."""
    expanded: bool = False
    """Open when first shown."""
    key: str = field(default="")
    """A name stable across refreshes, to keep a branch open when the job changes."""

    @property
    def text(self) -> str:
        """The label as plain text."""
        return "".join(text for text, _ in self.spans)


def node_list(nodes: Sequence[ResultNode]) -> Children:
    """Children that are already built (short, fixed lists)."""
    frozen = tuple(nodes)
    return Children(len(frozen), lambda start, stop: frozen[start:stop])


def list_children(values: Sequence[object], make: Callable[[int, object], ResultNode]) -> Children:
    """Children of a list, each built by ``make(index, value)`` only when paged in."""
    return Children(
        len(values),
        lambda start, stop: [make(i, values[i]) for i in range(start, min(stop, len(values)))],
    )


def leaf(*spans: Span, key: str = "") -> ResultNode:
    """A node without children."""
    return ResultNode(tuple(spans), key=key)


def branch(
    spans: Sequence[Span], children: Children, *, expanded: bool = False, key: str = ""
) -> ResultNode:
    """A node with children."""
    return ResultNode(tuple(spans), children, expanded=expanded, key=key)


def _clip(text: str) -> str:
    if len(text) <= MAX_LABEL_CHARS:
        return text
    return f"{text[:MAX_LABEL_CHARS]}… ({len(text):,} chars)"


def scalar_spans(value: object) -> tuple[Span, ...]:
    """Spans for a JSON scalar: strings unquoted, numbers and literals as JSON writes them."""
    if value is None:
        return (("null", "lit"),)
    if isinstance(value, bool):
        return (("true" if value else "false", "lit"),)
    if isinstance(value, int | float):
        return ((json.dumps(value), "num"),)
    if isinstance(value, str):
        return ((_clip(value), "str"),)
    return ((_clip(repr(value)), "str"),)


def _count_spans(value: Mapping[str, object] | Sequence[object]) -> Span:
    if isinstance(value, Mapping):
        return (f" {{{len(value):,}}}", "muted")
    return (f" [{len(value):,}]", "muted")


def value_node(name: str, value: object) -> ResultNode:
    """A generic node: a dict becomes a branch, a list a paged branch, a scalar a leaf."""
    if isinstance(value, Mapping):
        return branch([(name, "key"), _count_spans(value)], dict_children(value), key=name)
    if isinstance(value, list | tuple):
        return branch(
            [(name, "key"), _count_spans(value)],
            list_children(value, lambda i, v: value_node(f"[{i}]", v)),
            key=name,
        )
    return leaf((name, "key"), (": ", "muted"), *scalar_spans(value), key=name)


def dict_children(value: Mapping[str, object], *, skip: frozenset[str] = frozenset()) -> Children:
    """Children of a mapping, in payload order, leaving out ``skip``."""
    names = [name for name in value if name not in skip]

    def load(start: int, stop: int) -> list[ResultNode]:
        return [value_node(str(name), value[name]) for name in itertools.islice(names, start, stop)]

    return Children(len(names), load)


# -- time ---------------------------------------------------------------------------------------


def format_time(moment: datetime) -> str:
    """A UTC timestamp to the second, e.g. ``2024-10-29 12:19:06Z``."""
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def relative(moment: datetime, now: datetime) -> str:
    """``3h ago`` or ``in 2h`` relative to ``now``; seconds only within the first minute.

    Past a minute the text changes once a minute (``2m ago``, not ``2m 3s ago``):
    an idle dashboard over SSH then rewrites nothing each second.
    """
    delta = (moment - now).total_seconds()
    if abs(delta) < 1:
        return "now"
    if abs(delta) >= 60:
        delta = math.copysign(abs(delta) // 60 * 60, delta)
    return f"in {format_duration(delta)}" if delta > 0 else f"{format_duration(delta)} ago"


# -- header ---------------------------------------------------------------------------------------


def state_spans(state: JobState, *, ascii_only: bool = False) -> tuple[Span, ...]:
    """Glyph and state word, coloured by the state's theme variable."""
    role = f"state-{state.value}"
    return ((glyph(state, ascii_only=ascii_only), role), (" ", ""), (state.value, role))


def _time_leaf(name: str, moment: datetime, now: datetime, note: str = "") -> ResultNode:
    spans: list[Span] = [
        (f"{name:<9}", "key"),
        (format_time(moment), "num"),
        (f"  ({relative(moment, now)})", "muted"),
    ]
    if note:
        spans.append((f"  {note}", "note"))
    return leaf(*spans, key=name)


def header_nodes(
    job: Job,
    now: datetime,
    *,
    label: str | None = None,
    poll_error: str | None = None,
    ascii_only: bool = False,
) -> list[ResultNode]:
    """The normalized facts every job has: state, times with durations, progress, queue, error."""
    state_line: list[Span] = list(state_spans(job.state, ascii_only=ascii_only))
    if job.raw_status is not None:
        state_line += [("  ", ""), (job.raw_status, "muted")]
    state_line += [("  ", ""), (job.provider, "key"), (" ", ""), (job.id, "str")]
    nodes = [leaf(*state_line, key="state")]
    if label:
        nodes.append(leaf(("label    ", "key"), (label, "str"), key="label"))
    if job.summary:
        nodes.append(leaf(("summary  ", "key"), (job.summary, "str"), key="summary"))
    nodes.extend(_time_nodes(job, now))
    if job.progress is not None:
        # Floored like the summary and the list's bar (0.789 is 78 % in all three).
        percent = math.floor(job.progress * 100 + 1e-9)
        nodes.append(leaf(("progress ", "key"), (f"{percent}%", "num"), key="progress"))
    if job.queue_position is not None or job.queue_length is not None:
        position = "?" if job.queue_position is None else str(job.queue_position)
        length = "?" if job.queue_length is None else str(job.queue_length)
        nodes.append(leaf(("queue    ", "key"), (f"{position}/{length}", "num"), key="queue"))
    if job.error:
        nodes.append(leaf(("error    ", "key"), (_clip(job.error), "error"), key="error"))
    if poll_error:
        nodes.append(leaf(("poll     ", "key"), (_clip(poll_error), "error"), key="poll"))
    return nodes


def _time_nodes(job: Job, now: datetime) -> list[ResultNode]:
    nodes: list[ResultNode] = []
    created, started, finished = job.created_at, job.started_at, job.finished_at
    if created is not None:
        nodes.append(_time_leaf("created", created, now))
    if started is not None:
        queued = f"queued {format_duration((started - created).total_seconds())}" if created else ""
        nodes.append(_time_leaf("started", started, now, queued))
    if job.updated_at is not None and job.updated_at not in (created, started, finished):
        nodes.append(_time_leaf("updated", job.updated_at, now))
    if finished is not None:
        # A job that never started (canceled or expired in the queue) did not run:
        # its time from creation was spent waiting.
        if started is not None:
            ran = f"ran {format_duration((finished - started).total_seconds())}"
        elif created is not None:
            ran = f"never started; waited {format_duration((finished - created).total_seconds())}"
        else:
            ran = ""
        nodes.append(_time_leaf("finished", finished, now, ran))
    elif not job.state.terminal and (begin := started or created) is not None:
        word = "running for" if job.state is JobState.RUNNING else "waiting for"
        # Worded as the list's ages (``format_age``): past 10 minutes the text, and
        # so the screen, changes once a minute rather than every second.
        nodes.append(
            leaf(
                ("elapsed  ", "key"),
                (f"{word} {format_age((now - begin).total_seconds())}", "note"),
                key="elapsed",
            )
        )
    return nodes


def item_nodes(items: Sequence[JobItem], *, ascii_only: bool = False) -> ResultNode:
    """The normalized items branch: each item with its state and error."""

    def make(index: int, value: object) -> ResultNode:
        assert isinstance(value, JobItem)
        spans: list[Span] = [(glyph(value.state, ascii_only=ascii_only), f"state-{value.state}")]
        spans += [(" ", ""), (value.id, "str")]
        if value.label and value.label != value.id:
            spans += [("  ", ""), (_clip(value.label), "")]
        spans += [("  ", ""), (value.state.value, f"state-{value.state}")]
        if value.error:
            spans += [("  ", ""), (_clip(value.error), "error")]
        details = [
            leaf(("url ", "key"), (_clip(value.url), "url"), key="url") if value.url else None,
            leaf(("error ", "key"), (_clip(value.error), "error"), key="error")
            if value.error
            else None,
        ]
        present = [node for node in details if node is not None]
        if not present:
            return leaf(*spans, key=f"item:{value.id}")
        return branch(spans, node_list(present), key=f"item:{value.id}")

    failed = sum(1 for item in items if item.state in (JobState.FAILED, JobState.PARTIAL))
    spans: list[Span] = [("job items", "key"), (f" ({len(items):,})", "muted")]
    if failed:
        spans.append((f"  {failed:,} failed", "error"))
    return branch(spans, list_children(items, make), expanded=len(items) <= 10, key="items")


# -- reading untrusted payload fields ------------------------------------------------------------


def as_map(value: object) -> Mapping[str, object]:
    """``value`` if it is a mapping, else an empty one (payload fields may be any type)."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: object) -> Sequence[object]:
    """``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list | tuple) else ()


def as_text(value: object) -> str:
    """``value`` as text, ``""`` for null."""
    return "" if value is None else str(value)


def as_number(value: object) -> float | None:
    """``value`` as a float (numbers and numeric strings), else None; booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def glyph_spans(state: JobState) -> tuple[Span, ...]:
    """The state's glyph, coloured by the state."""
    return ((glyph(state), f"state-{state.value}"),)


def count_spans(name: str, total: int, extra: str = "") -> list[Span]:
    """``name (total)`` and an optional note, for a branch label."""
    spans: list[Span] = [(name, "key"), (f" ({total:,})", "muted")]
    if extra:
        spans.append((f"  {extra}", "note"))
    return spans


def basename(url: str) -> str:
    """The last path segment of a URL, without its query."""
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return tail.split("?", 1)[0] or url


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 file``, ``3 files`` (``nouns`` for irregular plurals), with thousands separators."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {nouns or noun + 's'}"


def number_text(value: object) -> str:
    """A number in its shortest form, ``—`` when missing."""
    number = as_number(value)
    return "—" if number is None else f"{number:g}"


def concat(first: Children, second: Children) -> Children:
    """Children of ``first`` followed by those of ``second``, still paged lazily."""

    def load(start: int, stop: int) -> list[ResultNode]:
        head = list(first.load(start, min(stop, first.total))) if start < first.total else []
        tail_start, tail_stop = max(start - first.total, 0), stop - first.total
        tail = list(second.load(tail_start, tail_stop)) if tail_stop > 0 else []
        return head + tail

    return Children(first.total + second.total, load)


Rendered = tuple[list[ResultNode], frozenset[str]]
"""A provider renderer's nodes and the top-level raw keys they cover."""
