"""Deepomatic tasks: wire format, parse, batched client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobtui.providers.deepomatic.parse import KIND, STATES, parse
from jobtui.providers.lazy import client_attribute

__all__ = ["KIND", "STATES", "DeepomaticProvider", "parse"]

if TYPE_CHECKING:
    from jobtui.providers.deepomatic.client import DeepomaticProvider


# The client (and httpx under it) on first use: parsing a stored payload needs neither.
__getattr__ = client_attribute(__name__, "DeepomaticProvider")
