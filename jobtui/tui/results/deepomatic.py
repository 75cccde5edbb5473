"""Deepomatic tasks as result nodes: outputs, predicted and discarded labels, regions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from jobtui.model import Job, JobState
from jobtui.tui.results.nodes import (
    ResultNode,
    Span,
    as_list,
    as_map,
    as_number,
    as_text,
    branch,
    concat,
    count_spans,
    dict_children,
    glyph_spans,
    list_children,
    node_list,
    number_text,
)

__all__ = ["deepomatic_nodes"]


def _bbox_text(roi: Mapping[str, object]) -> str:
    box = as_map(roi.get("bbox")) or roi
    corners = [number_text(box.get(k)) for k in ("xmin", "ymin", "xmax", "ymax")]
    return f"bbox ({corners[0]}, {corners[1]})–({corners[2]}, {corners[3]})"


def _label_entry(predicted: bool) -> Callable[[int, object], ResultNode]:
    def make(index: int, value: object) -> ResultNode:
        entry = as_map(value)
        score, threshold = as_number(entry.get("score")), as_number(entry.get("threshold"))
        state = JobState.SUCCEEDED if predicted else JobState.CANCELED
        spans: list[Span] = [
            *glyph_spans(state),
            (" ", ""),
            (as_text(entry.get("label_name")), "str"),
        ]
        if score is not None:
            spans.append((f"  score {score:.3f}", "num"))
        if threshold is not None:
            spans.append((f" {'≥' if predicted else '<'} threshold {threshold:g}", "muted"))
        if "label_id" in entry:
            spans.append((f"  id {as_text(entry['label_id'])}", "muted"))
        roi = as_map(entry.get("roi"))
        if roi:
            spans.append((f"  {_bbox_text(roi)}", "note"))
        return branch(spans, dict_children(entry), key=f"label:{index}")

    return make


def _deepomatic_output(index: int, value: object) -> ResultNode:
    output = as_map(value)
    labels = as_map(output.get("labels"))
    predicted, discarded = as_list(labels.get("predicted")), as_list(labels.get("discarded"))
    spans: list[Span] = [(f"output {index + 1}", "key")]
    if predicted:
        best = max(predicted, key=lambda e: as_number(as_map(e).get("score")) or 0.0)
        spans += [
            ("  ", ""),
            (as_text(as_map(best).get("label_name")), "str"),
            (f" {as_number(as_map(best).get('score')) or 0.0:.2f}", "num"),
        ]
    roi = as_map(output.get("roi"))
    if roi:
        spans.append((f"  {_bbox_text(roi)}", "note"))
    children = [
        branch(
            count_spans("predicted", len(predicted)),
            list_children(predicted, _label_entry(True)),
            expanded=True,
            key="predicted",
        ),
        branch(
            count_spans("discarded", len(discarded)),
            list_children(discarded, _label_entry(False)),
            key="discarded",
        ),
    ]
    rest = dict_children(labels, skip=frozenset({"predicted", "discarded"}))
    other = dict_children(output, skip=frozenset({"labels"}))
    return branch(
        spans,
        concat(concat(node_list(children), rest), other),
        expanded=True,
        key=f"output:{index}",
    )


def deepomatic_nodes(
    raw: Mapping[str, object], job: Job, now: datetime
) -> tuple[list[ResultNode], frozenset[str]]:
    """Each output's predicted and discarded labels (score, threshold) and regions."""
    data = raw.get("data")
    if not isinstance(data, Mapping):
        return [], frozenset()
    outputs = as_list(data.get("outputs"))
    nodes = (
        [
            branch(
                count_spans("outputs", len(outputs)),
                list_children(outputs, _deepomatic_output),
                expanded=True,
                key="outputs",
            )
        ]
        if outputs
        else []
    )
    rest = dict_children(data, skip=frozenset({"outputs"}))
    if rest.total:
        nodes.append(branch([("data", "key")], rest, key="data"))
    return nodes, frozenset({"data"})
