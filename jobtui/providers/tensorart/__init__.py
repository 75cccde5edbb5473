"""Tensor.Art TAMS workflow jobs: wire format, parse, signed requests, client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobtui.providers.lazy import client_attribute
from jobtui.providers.tensorart.parse import KIND, STATES, parse

__all__ = ["KIND", "STATES", "TensorartProvider", "parse"]

if TYPE_CHECKING:
    from jobtui.providers.tensorart.client import TensorartProvider


# The client (and httpx under it) on first use: parsing a stored payload needs neither.
__getattr__ = client_attribute(__name__, "TensorartProvider")
