"""Image Intelligence jobs (ask, detect, match): wire format, parse, OAuth token, client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobtui.providers.imageintelligence.parse import KIND, STATES, parse
from jobtui.providers.lazy import client_attribute

__all__ = ["KIND", "STATES", "ImageIntelligenceProvider", "parse"]

if TYPE_CHECKING:
    from jobtui.providers.imageintelligence.client import ImageIntelligenceProvider


# The client (and httpx under it) on first use: parsing a stored payload needs neither.
__getattr__ = client_attribute(__name__, "ImageIntelligenceProvider")
