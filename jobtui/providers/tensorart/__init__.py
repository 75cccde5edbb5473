"""Tensor.Art TAMS workflow jobs: wire format, parse, signed requests, client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobtui.providers.tensorart.parse import KIND, STATES, parse

__all__ = ["KIND", "STATES", "TensorartProvider", "parse"]

if TYPE_CHECKING:
    from jobtui.providers.tensorart.client import TensorartProvider


def __getattr__(name: str) -> Any:
    # The client (and httpx under it) on first use: parsing a stored payload needs neither.
    if name == "TensorartProvider":
        from jobtui.providers.tensorart.client import TensorartProvider

        return TensorartProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
