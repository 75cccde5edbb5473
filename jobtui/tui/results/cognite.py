"""Cognite vision jobs as result nodes: items, segments and polygons, failed files and batches."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from jobtui.model import Job, JobState
from jobtui.tui.results.nodes import (
    Rendered,
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
    leaf,
    list_children,
    node_list,
    number_text,
    plural,
)

__all__ = ["cognite_nodes"]


def _file_name(file: Mapping[str, object]) -> str:
    parts = []
    if "fileId" in file:
        parts.append(f"file {as_text(file['fileId'])}")
    external = file.get("fileExternalId") or as_map(file.get("fileInstanceId")).get("externalId")
    if external:
        parts.append(f"({as_text(external)})")
    return " ".join(parts) or "file"


def _vertex(index: int, value: object) -> ResultNode:
    vertex = as_map(value)
    text = (
        f"x {number_text(vertex.get('x'))}, y {number_text(vertex.get('y'))}, "
        f"confidence {number_text(vertex.get('confidence'))}"
    )
    return leaf((f"[{index}] ", "key"), (text, "num"), key=str(index))


def _polygon(index: int, value: object) -> ResultNode:
    polygon = as_map(value)
    vertices = as_list(polygon.get("vertices"))
    spans: list[Span] = [
        (f"[{index}] ", "key"),
        (
            f"polygon, {plural(len(vertices), 'vertex', 'vertices')}, confidence "
            f"{number_text(polygon.get('confidence'))}",
            "",
        ),
    ]
    return branch(spans, list_children(vertices, _vertex), key=f"polygon:{index}")


def _segment(index: int, value: object) -> ResultNode:
    segment = as_map(value)
    polygons = as_list(segment.get("polygons"))
    spans: list[Span] = [
        (f"[{index}] ", "key"),
        ("segment", ""),
        (f"  score {number_text(segment.get('score'))}", "num"),
        (f"  {plural(len(polygons), 'polygon')}", "muted"),
    ]
    return branch(spans, list_children(polygons, _polygon), key=f"segment:{index}")


def _cognite_item(index: int, value: object) -> ResultNode:
    item = as_map(value)
    segments = as_list(item.get("segments"))
    spans: list[Span] = [*glyph_spans(JobState.SUCCEEDED), (" ", ""), (_file_name(item), "str")]
    children: list[ResultNode] = []
    if segments:
        scores = [
            s for s in (as_number(as_map(seg).get("score")) for seg in segments) if s is not None
        ]
        best = f", best {max(scores):.2f}" if scores else ""
        spans.append((f"  {plural(len(segments), 'segment')}{best}", "muted"))
        children.append(
            branch(
                count_spans("segments", len(segments)),
                list_children(segments, _segment),
                expanded=True,
                key="segments",
            )
        )
    rest = dict_children(item, skip=frozenset({"segments"}))
    return branch(spans, concat(node_list(children), rest), key=f"file:{index}")


def _failed_file(message: str) -> Callable[[int, object], ResultNode]:
    def make(index: int, value: object) -> ResultNode:
        file = as_map(value)
        spans: list[Span] = [
            *glyph_spans(JobState.FAILED),
            (" ", ""),
            (_file_name(file), "str"),
            ("  ", ""),
            (message, "error"),
        ]
        return branch(spans, dict_children(file), key=f"failed:{index}")

    return make


def _failed_batch(index: int, value: object) -> ResultNode:
    batch = as_map(value)
    message = as_text(batch.get("errorMessage")) or "failed"
    files = as_list(batch.get("items"))
    spans: list[Span] = [
        *glyph_spans(JobState.FAILED),
        (f" batch {index + 1}: ", "key"),
        (message, "error"),
        (f"  ({plural(len(files), 'file')})", "muted"),
    ]
    return branch(
        spans, list_children(files, _failed_file(message)), expanded=True, key=f"batch:{index}"
    )


def cognite_nodes(raw: Mapping[str, object], job: Job, now: datetime) -> Rendered:
    """Each item with its segments and polygons, then the failed files and batches."""
    nodes: list[ResultNode] = []
    items = as_list(raw.get("items"))
    if "items" in raw:
        nodes.append(
            branch(
                count_spans("items", len(items), "files"),
                list_children(items, _cognite_item),
                expanded=True,
                key="files",
            )
        )
    batches = as_list(raw.get("failedItems"))
    if batches:
        files = sum(len(as_list(as_map(b).get("items"))) for b in batches)
        nodes.append(
            branch(
                count_spans("failedItems", len(batches), f"{plural(files, 'file')} failed"),
                list_children(batches, _failed_batch),
                expanded=True,
                key="failedItems",
            )
        )
    return nodes, frozenset({"items", "failedItems"} & set(raw))
