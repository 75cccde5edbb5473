"""Argument types the commands share, so ``--jobs`` and ``--faults`` mean the same everywhere.

Each is an ``argparse`` ``type=``: it turns the text into a value or raises
``ArgumentTypeError``, which argparse prints as a usage error (exit code 2).
"""

from __future__ import annotations

import argparse

__all__ = ["count", "rate", "speed"]


def count(text: str) -> int:
    """A whole number, 0 or more (``--jobs``)."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def rate(text: str) -> float:
    """A share between 0 and 1 (``--faults``)."""
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def speed(text: str, *, frozen_ok: bool = False) -> float:
    """A time speed factor, more than 0; with ``frozen_ok`` 0 (time stands still) too."""
    value = float(text)
    if frozen_ok and value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more (0 freezes time)")
    if not frozen_ok and value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value
