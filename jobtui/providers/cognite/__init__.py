"""Cognite Data Fusion vision jobs: wire format, parse, client-credentials auth, client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobtui.providers.cognite.parse import KIND, STATES, parse

__all__ = ["KIND", "STATES", "CogniteProvider", "parse"]

if TYPE_CHECKING:
    from jobtui.providers.cognite.client import CogniteProvider


def __getattr__(name: str) -> Any:
    # The client (and httpx under it) on first use: parsing a stored payload needs neither.
    if name == "CogniteProvider":
        from jobtui.providers.cognite.client import CogniteProvider

        return CogniteProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
