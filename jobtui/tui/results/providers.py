"""Each provider's nested result structures as lazy result nodes.

A renderer reads ``job.raw`` defensively: every field may be missing or of an
unexpected type, and whatever a renderer does not recognise is still shown by
the generic rendering under "other fields". The wire models in
``jobtui/providers`` say what each structure means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial

from jobtui.model import Job, JobState
from jobtui.providers.superai.parse import RESPONSE_ERROR_KEY, RESPONSE_KEY
from jobtui.tui.results.deepomatic import deepomatic_nodes
from jobtui.tui.results.nodes import (
    ResultNode,
    Span,
    as_list,
    as_map,
    as_number,
    as_text,
    basename,
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
    scalar_spans,
    value_node,
)
from jobtui.tui.results.tensorart import tensorart_nodes

__all__ = ["RENDERERS", "Rendered", "provider_nodes"]

Rendered = tuple[list[ResultNode], frozenset[str]]
"""A renderer's nodes and the top-level raw keys they cover."""

Renderer = Callable[[Mapping[str, object], Job, datetime], Rendered]


# -- Image Intelligence ---------------------------------------------------------------------------

_II_IMAGE_STATES = {"COMPLETED_SUCCESSFULLY": JobState.SUCCEEDED, "IN_PROGRESS": JobState.RUNNING}


def _ii_status(value: object) -> str:
    return as_text(as_map(value).get("code")) if isinstance(value, Mapping) else as_text(value)


def _ii_image(index: int, value: object) -> ResultNode:
    image = as_map(value)
    status = _ii_status(image.get("status"))
    state = _II_IMAGE_STATES.get(
        status, JobState.FAILED if status.endswith("_ERROR") else JobState.UNKNOWN
    )
    name = as_text(image.get("customId")) or basename(as_text(image.get("url"))) or f"[{index}]"
    spans: list[Span] = [*glyph_spans(state), (" ", ""), (name, "str")]
    if status:
        spans += [("  ", ""), (status, f"state-{state.value}")]
    objects = as_list(image.get("objects"))
    if objects:
        spans.append((f"  {plural(len(objects), 'object')}", "muted"))
    if not isinstance(value, Mapping):
        return value_node(f"[{index}]", value)
    return branch(spans, dict_children(value), key=f"image:{index}")


def _ii_result(index: int, value: object) -> ResultNode:
    entry = as_map(value)
    image = as_map(entry.get("image"))
    spans: list[Span] = [(f"[{index}]", "key")]
    if "class" in entry:
        spans += [(" ", ""), (as_text(entry["class"]), "str")]
    url = as_text(image.get("url"))
    if url or image.get("customId"):
        spans += [("  ", ""), (as_text(image.get("customId")) or basename(url), "")]
    confidence = as_number(image.get("confidence", entry.get("confidence")))
    if confidence is not None:
        spans.append((f"  {confidence:.2f}", "num"))
    if "hitl" in entry:
        spans.append((f"  hitl {as_text(entry['hitl']).lower()}", "muted"))
    if not isinstance(value, Mapping):
        return value_node(f"[{index}]", value)
    return branch(spans, dict_children(value), key=f"result:{index}")


def _imageintelligence(raw: Mapping[str, object], job: Job, now: datetime) -> Rendered:
    nodes: list[ResultNode] = []
    if "question" in raw:
        nodes.append(leaf(("question ", "key"), *scalar_spans(raw["question"]), key="question"))
    examples = as_map(raw.get("examples"))
    if examples:
        counts = "  ".join(f"{len(as_list(v))} {k}" for k, v in examples.items())
        nodes.append(
            branch(
                count_spans("examples", len(examples), counts),
                dict_children(examples),
                key="examples",
            )
        )
    for name in ("imageResults", "results"):
        images = as_list(raw.get(name))
        if images:
            done = sum(1 for i in images if _ii_status(as_map(i).get("status")).startswith("COMPL"))
            failed = sum(1 for i in images if _ii_status(as_map(i).get("status")).endswith("ERROR"))
            note = f"{done} done" + (f", {failed} failed" if failed else "")
            nodes.append(
                branch(
                    count_spans(name, len(images), note),
                    list_children(images, _ii_image),
                    expanded=True,
                    key=name,
                )
            )
    results = raw.get("jobResults")
    if isinstance(results, list):
        nodes.append(
            branch(
                count_spans("jobResults", len(results)),
                list_children(results, _ii_result),
                expanded=True,
                key="jobResults",
            )
        )
    elif isinstance(results, Mapping):
        nodes.append(
            branch([("jobResults", "key")], dict_children(results), expanded=True, key="jobResults")
        )
    pictures = as_list(raw.get("images"))
    if pictures:
        nodes.append(
            branch(
                count_spans("images", len(pictures)),
                list_children(pictures, _ii_image),
                expanded=True,
                key="images",
            )
        )
    covered = {"question", "examples", "imageResults", "results", "jobResults", "images"}
    return nodes, frozenset(covered & set(raw))


# -- Cognite --------------------------------------------------------------------------------------


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


def _cognite(raw: Mapping[str, object], job: Job, now: datetime) -> Rendered:
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


# -- super.AI -------------------------------------------------------------------------------------


def _superai(raw: Mapping[str, object], job: Job, now: datetime) -> Rendered:
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


RENDERERS: Mapping[str, Renderer] = {
    "imageintelligence": _imageintelligence,
    "cognite": _cognite,
    "tensorart": tensorart_nodes,
    "deepomatic": deepomatic_nodes,
    "superai": _superai,
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
