"""A request budget drawn as a bar of cells, and a span of seconds in a few characters.

The stats pane (``I``) and the providers pane both draw budgets with these,
so the two show a provider's spending the same way.
"""

from __future__ import annotations

__all__ = ["gauge", "short_duration"]


def gauge(share: float | None, *, ascii_only: bool, cells: int = 10) -> str:
    """``██████░░░░`` (``######----`` in ASCII) for a share of 0–1; full past 1.

    ``None`` (no limit to measure against) draws dots (spaces in ASCII).
    """
    full, empty = ("#", "-") if ascii_only else ("█", "░")
    if share is None:
        return (" " if ascii_only else "·") * cells
    filled = min(cells, max(0, round(share * cells)))
    if share > 0 and filled == 0:
        filled = 1  # a budget in use never looks idle
    return full * filled + empty * (cells - filled)


def short_duration(seconds: float) -> str:
    """``8.0s``, ``2.5m``, ``1.2h``: how long a sweep of every active job takes."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{seconds / 60:.1f}m"
    return f"{seconds / 3600:.1f}h"
