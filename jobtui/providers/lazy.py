"""A provider package's client class, imported on first use.

Each ``jobtui.providers.<kind>`` package exports its ``Provider`` class, but
importing the client brings httpx with it; parsing a stored payload (the
dashboard's first frame, ``jobtui ls``) needs neither.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["client_attribute"]


def client_attribute(package: str, class_name: str) -> Callable[[str], Any]:
    """A module ``__getattr__``: ``class_name`` from ``<package>.client``, imported when asked."""

    def __getattr__(name: str) -> Any:
        if name == class_name:
            return getattr(importlib.import_module(f"{package}.client"), class_name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
