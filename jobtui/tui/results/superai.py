"""super.AI jobs as result nodes: the output (or its error), input, tags and metadata."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from jobtui.model import Job
from jobtui.providers.superai.parse import RESPONSE_ERROR_KEY, RESPONSE_KEY
from jobtui.tui.results.nodes import (
    Rendered,
    ResultNode,
    as_list,
    as_map,
    as_text,
    leaf,
    value_node,
)

__all__ = ["superai_nodes"]


def superai_nodes(raw: Mapping[str, object], job: Job, now: datetime) -> Rendered:
    """The job's output or output error, then its input, tags and metadata."""
    nodes: list[ResultNode] = []
    covered: set[str] = set()
    # The provider attaches the job's output (fetched once it completed) under its own keys.
    shown = (
        (RESPONSE_KEY, "output"),
        (RESPONSE_ERROR_KEY, "output error"),
        ("response", "response"),
        ("output", "output"),
    )
    for name, title in shown:
        if name in raw:
            covered.add(name)
            node = value_node(title, raw[name])
            nodes.append(ResultNode(node.spans, node.children, expanded=True, key=name))
    body = as_map(raw.get("job")) if isinstance(raw.get("job"), Mapping) else raw
    if "input" in body:
        node = value_node("input", body["input"])
        nodes.append(ResultNode(node.spans, node.children, expanded=True, key="input"))
    tags = as_list(body.get("tags"))
    if tags:
        nodes.append(
            leaf(("tags ", "key"), (", ".join(as_text(t) for t in tags), "str"), key="tags")
        )
    if "metadata" in body:
        nodes.append(value_node("metadata", body["metadata"]))
    if body is raw:
        covered |= {"input", "tags", "metadata"} & set(raw)
    return nodes, frozenset(covered)
