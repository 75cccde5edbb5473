"""Saving a view into the user's config without rewriting what they wrote.

The dashboard's "save the filter as a view" appends one ``[views.NAME]``
table to the end of the config file: comments, order and spacing of the
rest stay byte for byte. Before anything is written the new text is parsed
back, and it must hold exactly the old settings plus the new view; the file
is then replaced in one step (a temporary file renamed over it, with the
same permissions), so a crash leaves the old file or the new one, never half.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from jobtui.errors import JobtuiError

__all__ = ["VIEW_NAME", "append_view"]

VIEW_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
"""A view name: a bare TOML key, short enough for a toast and a title."""


def append_view(path: Path, name: str, query: str) -> None:
    """Add ``[views.NAME] query = QUERY`` at the end of the config at ``path``.

    Raises ``JobtuiError`` (nothing written) when the name is not a plain
    key, a view of that name exists, the file cannot be read or parsed, or
    the table could not be added without changing anything else.
    """
    if not VIEW_NAME.match(name):
        raise JobtuiError(f"{name!r}: a view name is 1 to 40 letters, digits, '-' or '_'")
    try:
        text = path.read_text(encoding="utf-8")
        before = tomllib.loads(text)
    except OSError as exc:
        raise JobtuiError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise JobtuiError(f"{path} does not parse ({exc}); fix it before saving a view") from None
    views = before.get("views", {})
    if isinstance(views, dict) and name in views:
        raise JobtuiError(f"a view named {name!r} exists already in {path}")
    table = f"[views.{name}]\n" + tomli_w.dumps({"query": query})
    # One blank line before the new table, whatever the file ended with.
    ending = len(text) - len(text.rstrip("\n"))
    separator = "\n" * (2 - min(ending, 2)) if text else ""
    after_text = text + separator + table
    if not _only_the_view_was_added(before, after_text, name, query):
        raise JobtuiError(
            f"cannot add [views.{name}] to {path} without changing its other settings;"
            f" add it by hand:\n{table}"
        )
    _replace(path, after_text)


def _only_the_view_was_added(before: dict[str, Any], text: str, name: str, query: str) -> bool:
    try:
        after = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False  # e.g. `views = {...}` inline: a [views.x] table may not extend it
    views = after.get("views")
    if not isinstance(views, dict) or views.get(name) != {"query": query}:
        return False
    rest = dict(views)
    del rest[name]
    if rest or "views" in before:
        after["views"] = rest
    else:
        del after["views"]
    return after == before


def _replace(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o7777
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
