"""super.AI jobs: wire format, parse, client (output, cancel, discovery)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobtui.providers.superai.parse import KIND, STATES, parse

__all__ = ["KIND", "STATES", "SuperaiProvider", "parse"]

if TYPE_CHECKING:
    from jobtui.providers.superai.client import SuperaiProvider


def __getattr__(name: str) -> Any:
    # The client (and httpx under it) on first use: parsing a stored payload needs neither.
    if name == "SuperaiProvider":
        from jobtui.providers.superai.client import SuperaiProvider

        return SuperaiProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
