"""Image Intelligence jobs as result nodes: job results, images and their states."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from jobtui.model import Job, JobState
from jobtui.providers.imageintelligence.parse import image_state, images_done
from jobtui.tui.results.nodes import (
    Rendered,
    ResultNode,
    Span,
    as_list,
    as_map,
    as_number,
    as_text,
    basename,
    branch,
    count_spans,
    dict_children,
    glyph_spans,
    leaf,
    list_children,
    plural,
    scalar_spans,
    value_node,
)

__all__ = ["imageintelligence_nodes"]

def _ii_status(value: object) -> str | None:
    """The status word of an image, whichever shape it came in; None when it has none."""
    code = as_map(value).get("code") if isinstance(value, Mapping) else value
    return None if code is None else as_text(code)


def _ii_state(value: object, job_state: JobState) -> JobState:
    """The image's state exactly as the summary reads it (one function decides both)."""
    return image_state(_ii_status(as_map(value).get("status")), job_state)


def _ii_image(index: int, value: object, job_state: JobState) -> ResultNode:
    image = as_map(value)
    status = _ii_status(image.get("status")) or ""
    state = _ii_state(value, job_state)
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


def imageintelligence_nodes(raw: Mapping[str, object], job: Job, now: datetime) -> Rendered:
    """Job results and image results with their per-image states."""
    nodes: list[ResultNode] = []
    if "question" in raw:
        nodes.append(leaf(("question ", "key"), *scalar_spans(raw["question"]), key="question"))

    def image_node(index: int, value: object) -> ResultNode:
        return _ii_image(index, value, job.state)

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
            note = images_done([_ii_state(image, job.state) for image in images])
            nodes.append(
                branch(
                    count_spans(name, len(images), note),
                    list_children(images, image_node),
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
                list_children(pictures, image_node),
                expanded=True,
                key="images",
            )
        )
    covered = {"question", "examples", "imageResults", "results", "jobResults", "images"}
    return nodes, frozenset(covered & set(raw))
