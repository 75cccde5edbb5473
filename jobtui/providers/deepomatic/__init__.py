"""Deepomatic tasks: wire format, parse, batched client."""

from __future__ import annotations

from jobtui.providers.deepomatic.client import DeepomaticProvider
from jobtui.providers.deepomatic.parse import KIND, STATES, parse

__all__ = ["KIND", "STATES", "DeepomaticProvider", "parse"]
