"""Cognite Data Fusion vision jobs: wire format, parse, client-credentials auth, client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobtui.providers.cognite.parse import KIND, STATES, parse
from jobtui.providers.lazy import client_attribute

__all__ = ["KIND", "STATES", "CogniteProvider", "parse"]

if TYPE_CHECKING:
    from jobtui.providers.cognite.client import CogniteProvider


# The client (and httpx under it) on first use: parsing a stored payload needs neither.
__getattr__ = client_attribute(__name__, "CogniteProvider")
