"""super.AI jobs: wire format, parse, client (output, cancel, discovery)."""

from __future__ import annotations

from jobtui.providers.superai.client import SuperaiProvider
from jobtui.providers.superai.parse import KIND, STATES, parse

__all__ = ["KIND", "STATES", "SuperaiProvider", "parse"]
