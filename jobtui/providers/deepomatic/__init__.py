"""Deepomatic tasks: wire format, parse, batched client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobtui.providers.deepomatic.parse import KIND, STATES, parse

__all__ = ["KIND", "STATES", "DeepomaticProvider", "parse"]

if TYPE_CHECKING:
    from jobtui.providers.deepomatic.client import DeepomaticProvider


def __getattr__(name: str) -> Any:
    # The client (and httpx under it) on first use: parsing a stored payload needs neither.
    if name == "DeepomaticProvider":
        from jobtui.providers.deepomatic.client import DeepomaticProvider

        return DeepomaticProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
