"""How headless commands print watched jobs: the row order and the plain-text table.

``status`` and ``ls`` print the same rows in the same order, so a script can
switch from one to the other; every cell goes through ``visible`` because
provider text may carry terminal escapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from jobtui.model import Job, JobState
from jobtui.store import WatchedJob
from jobtui.textsafe import visible

__all__ = ["STATE_NAMES", "ago", "job_row", "print_table", "select_rows"]

STATE_NAMES = [state.value for state in JobState]
"""The values ``--state`` accepts."""
_MAX_WIDTH = 60


def job_row(watched: WatchedJob) -> dict[str, Any]:
    """One job as ``status --json`` prints it: Job fields without ``raw``, plus poll fields."""
    job = watched.job or Job(
        kind=watched.kind, provider=watched.provider, id=watched.id, state=watched.state
    )
    row: dict[str, Any] = job.model_dump(mode="json", exclude={"raw"})
    # A 404 marks the row unknown while the last good snapshot is kept.
    row["state"] = watched.state.value
    row["poll_error"] = watched.poll_error
    row["polled_at"] = iso_utc(watched.polled_at)
    row["label"] = watched.label  # set by `add --label` or the config's [[jobs]]
    return row


def iso_utc(moment: datetime | None) -> str | None:
    """A timestamp as every JSON field writes it: ISO 8601 in UTC with ``Z``, as pydantic does."""
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def select_rows(
    jobs: Iterable[WatchedJob], provider: str | None, state: str | None = None
) -> list[WatchedJob]:
    """The jobs of ``provider`` in ``state`` (None: any), by provider, time added, id."""
    chosen = [
        j
        for j in jobs
        if (provider is None or j.provider == provider) and (state is None or j.state == state)
    ]
    return sorted(chosen, key=lambda j: (j.provider, j.added_at, j.id))


def ago(moment: datetime | None, now: datetime) -> str:
    """``12s ago``, ``5m ago``, ``3h ago``, or ``never``."""
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    return f"{seconds // 3600}h ago"


def print_table(rows: Sequence[WatchedJob], now: datetime, out: TextIO) -> None:
    """One line per job under a header: provider, id, state, summary, last poll."""
    labelled = any(j.label for j in rows)  # a LABEL column only when some job has one
    headers = ("PROVIDER", "ID", "STATE", *(("LABEL",) if labelled else ()), "SUMMARY", "POLLED")
    table: list[tuple[str, ...]] = [headers]
    for j in rows:
        summary = j.job.summary if j.job is not None else ""
        if j.poll_error:
            summary = f"{summary} [poll error: {j.poll_error}]".strip()
        label = ((j.label or "",) if labelled else ())
        cells = (j.provider, j.id, j.state.value, *label, summary, ago(j.polled_at, now))
        table.append(tuple(visible(cell) for cell in cells))
    # The last text column is never cut (poll errors must survive a pipe); the others
    # are cut at _MAX_WIDTH, with an ellipsis to say so.
    last = len(headers) - 2
    widths = [
        max(len(row[i]) for row in table) if i == last
        else min(_MAX_WIDTH, max(len(row[i]) for row in table))
        for i in range(len(headers))
    ]  # fmt: skip
    for row in table:
        line = "  ".join(_cut(cell, w).ljust(w) for cell, w in zip(row, widths, strict=True))
        out.write(line.rstrip() + "\n")


def _cut(cell: str, width: int) -> str:
    return cell if len(cell) <= width else cell[: max(width - 1, 0)] + "…"
