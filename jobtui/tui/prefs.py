"""The dashboard's remembered choices: theme, sort, filter, columns.

They live in ``prefs.toml`` in the state directory, written with tomli-w,
so the user's hand-written ``config.toml`` is never rewritten. A damaged or
foreign prefs file is ignored (with a reason) rather than stopping start-up:
preferences are a convenience, never a reason to fail.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from jobtui.tui.joblist.columns import COLUMNS, DEFAULT_COLUMNS
from jobtui.tui.joblist.model import SORT_COLUMNS

__all__ = ["Prefs", "load_prefs", "save_prefs"]


@dataclass(frozen=True, slots=True)
class Prefs:
    """What the dashboard remembers between runs."""

    theme: str | None = None
    """The last theme picked with ``t`` (None: the config's ``ui.theme``)."""
    sort_column: str = "age"
    """One of ``SORT_COLUMNS``."""
    sort_reverse: bool = True
    """Descending (newest first for ``age``)."""
    filter: str = ""
    """The last filter query."""
    columns: tuple[str, ...] = field(default=DEFAULT_COLUMNS)
    """Visible job list columns."""

    def with_(self, **changes: Any) -> Prefs:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)


def _from_table(table: dict[str, Any]) -> tuple[Prefs, list[str]]:
    problems: list[str] = []
    prefs = Prefs()
    theme = table.get("theme")
    if isinstance(theme, str) and theme:
        prefs = prefs.with_(theme=theme)
    elif theme is not None:
        problems.append("theme: not a string")
    sort = table.get("sort_column")
    if sort in SORT_COLUMNS:
        prefs = prefs.with_(sort_column=sort)
    elif sort is not None:
        problems.append(f"sort_column: unknown column {sort!r}")
    reverse = table.get("sort_reverse")
    if isinstance(reverse, bool):
        prefs = prefs.with_(sort_reverse=reverse)
    query = table.get("filter")
    if isinstance(query, str):
        prefs = prefs.with_(filter=query)
    columns = table.get("columns")
    if isinstance(columns, list):
        known = tuple(name for name in DEFAULT_COLUMNS if name in columns and name in COLUMNS)
        if known:
            prefs = prefs.with_(columns=known)
        unknown = [str(name) for name in columns if name not in COLUMNS]
        if unknown:
            problems.append(f"columns: unknown {', '.join(unknown)}")
    return prefs, problems


def load_prefs(path: Path | None) -> tuple[Prefs, list[str]]:
    """Read ``path``; returns the prefs and what was wrong with the file, if anything."""
    if path is None or not path.exists():
        return Prefs(), []
    try:
        with path.open("rb") as handle:
            table = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return Prefs(), [f"{path}: ignored ({exc})"]
    prefs, problems = _from_table(table)
    return prefs, [f"{path}: {problem}" for problem in problems]


def save_prefs(path: Path | None, prefs: Prefs) -> None:
    """Write ``prefs`` to ``path`` atomically (None: keep them in memory only)."""
    if path is None:
        return
    table: dict[str, Any] = {
        "sort_column": prefs.sort_column,
        "sort_reverse": prefs.sort_reverse,
        "filter": prefs.filter,
        "columns": list(prefs.columns),
    }
    if prefs.theme:
        table["theme"] = prefs.theme
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside it and rename, so a crash never leaves half a file.
    descriptor, temp_name = tempfile.mkstemp(prefix=".prefs-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            tomli_w.dump(table, handle)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
