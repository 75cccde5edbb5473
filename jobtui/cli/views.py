"""``--view NAME``: a saved ``[views.NAME]`` filter applied to headless output.

The query language is the dashboard's (``jobtui.tui.joblist.query``, which
imports no Textual), so a view means the same rows in ``ls`` as at ``v``.
The view's ``sort`` orders the rows; its ``columns`` shape the dashboard only.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from jobtui.config.model import Config
from jobtui.errors import ConfigError
from jobtui.store import WatchedJob
from jobtui.tui.joblist.query import QueryError, parse_query
from jobtui.tui.joblist.row import SORT_KEYS, JobRow

__all__ = ["add_view_option", "apply_view"]


def add_view_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--view NAME``."""
    parser.add_argument("--view", metavar="NAME", help="a saved [views.NAME] filter")


def apply_view(config: Config, name: str, jobs: Sequence[WatchedJob]) -> list[WatchedJob]:
    """The ``jobs`` the view matches, in its sort order (else as given).

    ``ConfigError`` (exit 2) names the view when it is missing or its query is bad.
    """
    view = config.views.get(name)
    if view is None:
        known = ", ".join(sorted(config.views)) or "none"
        raise ConfigError(f"no view named {name!r} (configured: {known})", file=config.path)
    try:
        query = parse_query(view.query)
    except QueryError as exc:
        raise ConfigError(f"query: {exc}", file=config.path, key=f"views.{name}.query") from None
    rows = [JobRow.from_watched(job) for job in jobs]
    chosen = query.select(list(range(len(rows))), rows)
    if view.sort:
        column = view.sort.lstrip("-")
        key = SORT_KEYS.get(column)
        if key is None:
            raise ConfigError(
                f"unknown sort column {column!r} (known: {', '.join(SORT_KEYS)})",
                file=config.path,
                key=f"views.{name}.sort",
            )
        chosen.sort(key=lambda i: key(rows[i]), reverse=view.sort.startswith("-"))
    return [jobs[i] for i in chosen]
