"""Where a store is: a file path (SQLite) or a ``postgresql://`` URL, and printing it safely."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["URL_SCHEMES", "is_url", "mask_url"]

URL_SCHEMES = ("postgresql://", "postgres://")
"""Locations starting with one of these name a PostgreSQL store, not a file."""

_PASSWORD = re.compile(r"^(?P<head>[a-z]+://[^:/@?#]*):(?P<secret>[^@/?#]*)@", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)[^&#]*", re.IGNORECASE)


def is_url(location: str | Path) -> bool:
    """True when ``location`` names a PostgreSQL store rather than a file."""
    return isinstance(location, str) and location.lower().startswith(URL_SCHEMES)


def mask_url(location: str | Path) -> str:
    """``location`` fit to print: a URL's password replaced by ``***``; paths unchanged."""
    text = str(location)
    text = _PASSWORD.sub(lambda found: f"{found['head']}:***@", text, count=1)
    if is_url(text):
        # libpq also takes the password as a query parameter (``?password=``).
        text = _QUERY_PASSWORD.sub(lambda found: f"{found['head']}***", text)
    return text
