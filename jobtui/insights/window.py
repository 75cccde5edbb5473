"""Time windows given on the command line: ``--since 2h``, ``90m``, ``1d12h``."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(text: str) -> timedelta:
    """``2h``, ``30m``, ``1d12h``, ``45s``, ``2w`` (a bare number is seconds) as a timedelta.

    Raises ``ValueError`` naming the text for anything else.
    """
    value = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return timedelta(seconds=float(value))
    parts = _PART.findall(value)
    if not value or "".join(n + u for n, u in parts) != value:
        raise ValueError(f"{text!r} is not a duration (try 30m, 2h, 1d)")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))
