"""super.AI jobs: wire format, parse, client (output, cancel, discovery)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobtui.providers.lazy import client_attribute
from jobtui.providers.superai.parse import KIND, STATES, parse

__all__ = ["KIND", "STATES", "SuperaiProvider", "parse"]

if TYPE_CHECKING:
    from jobtui.providers.superai.client import SuperaiProvider


# The client (and httpx under it) on first use: parsing a stored payload needs neither.
__getattr__ = client_attribute(__name__, "SuperaiProvider")
