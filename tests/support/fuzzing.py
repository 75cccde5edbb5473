"""Hypothesis pieces the payload fuzzers share: real payloads with a few nodes broken."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

__all__ = ["json_paths", "mutated"]


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every node of a JSON value (``()`` is the value itself)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += json_paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += json_paths(child, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, pool: list[Any], values: st.SearchStrategy[Any]) -> Any:
    """A payload of ``pool`` with one to four nodes replaced by ``values`` or deleted."""
    payload: Any = copy.deepcopy(draw(st.sampled_from(pool)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(json_paths(payload)))
        if not path:
            payload = draw(values)
            continue
        parent = payload
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(values)
    return payload
