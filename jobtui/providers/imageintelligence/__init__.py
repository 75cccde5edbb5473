"""Image Intelligence jobs (ask, detect, match): wire format, parse, OAuth token, client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobtui.providers.imageintelligence.parse import KIND, STATES, parse

__all__ = ["KIND", "STATES", "ImageIntelligenceProvider", "parse"]

if TYPE_CHECKING:
    from jobtui.providers.imageintelligence.client import ImageIntelligenceProvider


def __getattr__(name: str) -> Any:
    # The client (and httpx under it) on first use: parsing a stored payload needs neither.
    if name == "ImageIntelligenceProvider":
        from jobtui.providers.imageintelligence.client import ImageIntelligenceProvider

        return ImageIntelligenceProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
