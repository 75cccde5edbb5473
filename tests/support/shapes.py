"""Helpers for the simulator tests: compare a body with a documented example's keys and types."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from support.data import DATA, real_payload
from support.data import PROVIDER_DOCS as PROVIDERS
from support.data import REAL_PAYLOADS as REAL

SHARED = DATA

__all__ = ["PROVIDERS", "REAL", "SHARED", "assert_like", "real_payload", "seed_examples"]


def seed_examples(kind: str) -> list[Any]:
    """Every top-level JSON object in a provider's seed page, in order."""
    text = (PROVIDERS / f"{kind}.seed.txt").read_text()
    decoder = json.JSONDecoder()
    found: list[Any] = []
    for match in re.finditer(r"^\{", text, flags=re.MULTILINE):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        found.append(value)
    return found


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def assert_like(
    example: Any, actual: Any, *, required: Iterable[str] = (), where: str = "$"
) -> None:
    """``actual`` has ``example``'s types, key by key; keys in ``required`` must be present.

    A key of the example missing from ``actual`` is allowed unless required (optional
    fields); ``None`` on either side matches anything (nullable fields).
    """
    if example is None or actual is None:
        return
    assert _type_name(example) == _type_name(actual), (
        f"{where}: expected {_type_name(example)}, got {_type_name(actual)}: {actual!r}"
    )
    if isinstance(example, dict):
        for key in required:
            assert key in actual, f"{where}: missing required key {key!r}"
        for key, value in example.items():
            if key in actual:
                assert_like(value, actual[key], where=f"{where}.{key}")
    elif isinstance(example, list) and example and actual:
        for position, item in enumerate(actual):
            assert_like(example[0], item, where=f"{where}[{position}]")
