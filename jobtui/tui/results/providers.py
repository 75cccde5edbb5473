"""Each provider's nested result structures as lazy result nodes: the renderer per kind.

A renderer reads ``job.raw`` defensively: every field may be missing or of an
unexpected type, and whatever a renderer does not recognise is still shown by
the generic rendering under "other fields". The wire models in
``jobtui/providers`` say what each structure means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial

from jobtui.model import Job
from jobtui.tui.results.cognite import cognite_nodes
from jobtui.tui.results.deepomatic import deepomatic_nodes
from jobtui.tui.results.imageintelligence import imageintelligence_nodes
from jobtui.tui.results.nodes import (
    Rendered,
    ResultNode,
    branch,
    count_spans,
    dict_children,
    leaf,
    value_node,
)
from jobtui.tui.results.superai import superai_nodes
from jobtui.tui.results.tensorart import tensorart_nodes

__all__ = ["RENDERERS", "Rendered", "provider_nodes"]

Renderer = Callable[[Mapping[str, object], Job, datetime], Rendered]


RENDERERS: Mapping[str, Renderer] = {
    "imageintelligence": imageintelligence_nodes,
    "cognite": cognite_nodes,
    "tensorart": tensorart_nodes,
    "deepomatic": deepomatic_nodes,
    "superai": superai_nodes,
}
"""Per provider kind, the renderer of its nested structures."""


def provider_nodes(
    job: Job, now: datetime, *, fetched_at: datetime | None = None
) -> list[ResultNode]:
    """The provider's structures, then every raw field not covered, generically.

    ``fetched_at`` is when the payload was received (Tensor.Art expiries count from it).
    """
    raw = job.raw
    if not isinstance(raw, Mapping):
        return [] if raw is None else [value_node("raw", raw)]
    renderer = RENDERERS.get(job.kind)
    if job.kind == "tensorart":
        renderer = partial(tensorart_nodes, fetched_at=fetched_at)
    nodes: list[ResultNode] = []
    covered: frozenset[str] = frozenset()
    if renderer is not None:
        try:
            nodes, covered = renderer(raw, job, now)
        except Exception as error:  # an odd payload must still render generically
            nodes = [
                leaf(
                    ("could not read the provider's structures: ", "muted"),
                    (f"{type(error).__name__}: {error}", "error"),
                    key="render-error",
                )
            ]
    rest = dict_children(raw, skip=covered)
    if rest.total:
        nodes.append(branch(count_spans("other fields", rest.total), rest, key="other"))
    return nodes
