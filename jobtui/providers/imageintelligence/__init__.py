"""Image Intelligence jobs (ask, detect, match): wire format, parse, OAuth token, client."""

from __future__ import annotations

from jobtui.providers.imageintelligence.client import ImageIntelligenceProvider
from jobtui.providers.imageintelligence.parse import KIND, STATES, parse

__all__ = ["KIND", "STATES", "ImageIntelligenceProvider", "parse"]
