"""Tensor.Art TAMS workflow jobs: wire format, parse, signed requests, client."""

from __future__ import annotations

from jobtui.providers.tensorart.client import TensorartProvider
from jobtui.providers.tensorart.parse import KIND, STATES, parse

__all__ = ["KIND", "STATES", "TensorartProvider", "parse"]
