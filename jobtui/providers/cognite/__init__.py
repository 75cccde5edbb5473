"""Cognite Data Fusion vision jobs: wire format, parse, client-credentials auth, client."""

from __future__ import annotations

from jobtui.providers.cognite.client import CogniteProvider
from jobtui.providers.cognite.parse import KIND, STATES, parse

__all__ = ["KIND", "STATES", "CogniteProvider", "parse"]
