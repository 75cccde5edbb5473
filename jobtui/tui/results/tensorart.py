"""Tensor.Art jobs as result nodes: queue, workflow nodes, progress, outputs and their expiry."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

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
    leaf,
    list_children,
    node_list,
    relative,
    scalar_spans,
)

__all__ = ["expiry_moment", "percent_text", "progress_scale", "tensorart_nodes"]

_NUMBER = re.compile(r"^(\d+(?:\.\d+)?)(s?)$")


def expiry_moment(expired_in: object, fetched_at: datetime) -> datetime | None:
    """When a Tensor.Art result URL expires, from its ``expiredIn`` field.

    The API documents only "string" (the provider module reads it the same way):
    a protobuf duration (``"3600s"``) or a number below 10⁹ is seconds counted
    from when the answer was fetched; a larger number is an epoch instant
    (milliseconds from 10¹¹); ISO 8601 text is an instant. Anything else: None.
    """
    text = as_text(expired_in).strip()
    match = _NUMBER.match(text)
    if match:
        number = float(match.group(1))
        if match.group(2) or number < 1e9:
            return fetched_at + timedelta(seconds=number)
        if number >= 1e11:
            return datetime.fromtimestamp(number / 1000, UTC)
        return datetime.fromtimestamp(number, UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ta_output(
    kind: str, reference: datetime, now: datetime
) -> Callable[[int, object], ResultNode]:
    def make(index: int, value: object) -> ResultNode:
        output = as_map(value)
        meta = as_map(as_map(output.get("meta")).get("image"))
        spans: list[Span] = [
            (f"{kind} ", "key"),
            (as_text(output.get("id")) or f"[{index}]", "str"),
        ]
        if meta:
            spans.append(
                (
                    f"  {as_text(meta.get('format'))} {as_text(meta.get('width'))}×"
                    f"{as_text(meta.get('height'))}",
                    "muted",
                )
            )
        if output.get("expiredIn") not in (None, ""):
            moment = expiry_moment(output["expiredIn"], reference)
            if moment is None:
                spans.append((f"  expires {as_text(output['expiredIn'])}", "note"))
            elif moment <= now:
                spans.append((f"  expired {relative(moment, now)}", "error"))
            else:
                spans.append((f"  expires {relative(moment, now)}", "note"))
        return branch(spans, dict_children(output), key=f"{kind}:{index}")

    return make


def progress_scale(body: object) -> float:
    """100 when the payload's progress values are percentages, 1 when fractions.

    The provider's convention (as the parser reads it): one value above 1 in
    the payload makes them all percentages. The tree must read them alike.
    """
    pending = [body]
    while pending:
        value = pending.pop()
        if isinstance(value, Mapping):
            progress = value.get("progress")
            if isinstance(progress, int | float) and 1.0 < progress <= 100.0:
                return 100.0
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
    return 1.0


def percent_text(value: float, scale: float) -> str:
    """A progress value as the summary prints it: a floored whole percentage."""
    fraction = min(max(value / scale, 0.0), 1.0)
    return f"{math.floor(fraction * 100 + 1e-9)}%"


def _finished_ids(value: object) -> set[str]:
    if isinstance(value, Mapping):
        return {str(k) for k in value}
    return {str(v) for v in as_list(value)}


def _workflow(item: Mapping[str, object], scale: float) -> ResultNode:
    nodes = as_map(item.get("nodes"))
    finished = _finished_ids(item.get("finishedNodes"))

    def make(index: int, name: object) -> ResultNode:
        node = as_map(nodes[str(name)])
        status = as_text(node.get("status"))
        done = str(name) in finished or status == "SUCCESS"
        state = (
            JobState.SUCCEEDED
            if done
            else JobState.FAILED
            if status == "FAILED"
            else JobState.RUNNING
            if status == "RUNNING"
            else JobState.QUEUED
        )
        spans: list[Span] = [
            *glyph_spans(state),
            (" ", ""),
            (str(name), "str"),
            ("  ", ""),
            (status, f"state-{state.value}"),
        ]
        progress = as_number(node.get("progress"))
        if progress is not None:
            spans.append((f"  {percent_text(progress, scale)}", "num"))
        if done:
            spans.append(("  finished", "muted"))
        return branch(spans, dict_children(node), key=f"node:{name}")

    progress = as_number(item.get("progress"))
    summary = " ".join(
        part
        for part in (
            as_text(item.get("status")),
            percent_text(progress, scale) if progress is not None else "",
            f"step {as_text(item.get('step'))}" if item.get("step") not in (None, "") else "",
            f"{len(finished & set(nodes)):,}/{len(nodes):,} nodes finished" if nodes else "",
        )
        if part
    )
    children = (
        [
            branch(
                count_spans("nodes", len(nodes)),
                list_children(list(nodes), make),
                expanded=True,
                key="nodes",
            )
        ]
        if nodes
        else []
    )
    rest = dict_children(item, skip=frozenset({"nodes", "finishedNodes"}))
    return branch(
        [("workflow ", "key"), (summary, "note")],
        concat(node_list(children), rest),
        expanded=True,
        key="workflow",
    )


def _processing(scale: float) -> Callable[[int, object], ResultNode]:
    def make(index: int, value: object) -> ResultNode:
        return _processing_image(index, value, scale)

    return make


def _processing_image(index: int, value: object, scale: float) -> ResultNode:
    image = as_map(value)
    resource = as_map(image.get("resourceImage"))
    progress = as_number(image.get("progress"))
    spans: list[Span] = [
        *glyph_spans(JobState.RUNNING),
        (" image ", "key"),
        (as_text(resource.get("id")) or f"[{index}]", "str"),
    ]
    if progress is not None:
        spans.append((f"  {percent_text(progress, scale)}", "num"))
    return branch(spans, dict_children(image), key=f"processing:{index}")


def tensorart_nodes(
    raw: Mapping[str, object], job: Job, now: datetime, *, fetched_at: datetime | None = None
) -> tuple[list[ResultNode], frozenset[str]]:
    """The job's queue place, progress, workflow nodes, outputs and failure.

    ``fetched_at`` (when this payload was received) anchors relative expiries.
    """
    body = as_map(raw.get("job")) if isinstance(raw.get("job"), Mapping) else raw
    nodes: list[ResultNode] = []
    scale = progress_scale(body)
    waiting = as_map(body.get("waitingInfo"))
    if waiting:
        rank, length = as_text(waiting.get("queueRank")), as_text(waiting.get("queueLen"))
        queue = f"queue {rank or '?'}/{length or '?'}"
        nodes.append(
            branch(
                [*glyph_spans(JobState.QUEUED), (" waiting ", "key"), (queue, "note")],
                dict_children(waiting),
                key="waiting",
            )
        )
    running = as_map(body.get("runningInfo"))
    reference = fetched_at or job.updated_at or now
    for info_name, info in (("running", running), ("success", as_map(body.get("successInfo")))):
        images = as_list(info.get("processingImages"))
        if images:
            nodes.append(
                branch(
                    count_spans("processing images", len(images)),
                    list_children(images, _processing(scale)),
                    expanded=True,
                    key="processing",
                )
            )
        for kind in ("images", "videos"):
            outputs = as_list(info.get(kind))
            if outputs:
                nodes.append(
                    branch(
                        count_spans(kind, len(outputs)),
                        list_children(outputs, _ta_output(kind[:-1], reference, now)),
                        expanded=True,
                        key=f"{info_name}:{kind}",
                    )
                )
        workflow = as_map(info.get("workflowFinishItem"))
        if workflow:
            nodes.append(_workflow(workflow, scale))
    failed = as_map(body.get("failedInfo"))
    if failed:
        code = as_text(failed.get("code"))
        hint = {
            "TRANSITORY_ERROR": "resubmitting may work",
            "FATAL_ERROR": "resubmitting will not help",
        }.get(code, "")
        spans: list[Span] = [
            *glyph_spans(JobState.FAILED),
            (" failed: ", "key"),
            (as_text(failed.get("reason")) or "no reason given", "error"),
            (f"  {code}", "muted"),
        ]
        if hint:
            spans.append((f" ({hint})", "note"))
        nodes.append(branch(spans, dict_children(failed), expanded=True, key="failed"))
    if "credits" in body:
        nodes.append(leaf(("credits ", "key"), *scalar_spans(body["credits"]), key="credits"))
    covered = {"waitingInfo", "runningInfo", "successInfo", "failedInfo", "credits"}
    if body is not raw:
        rest = {k: v for k, v in body.items() if k not in covered}
        nodes.append(
            branch([("job", "key"), (f" {{{len(rest)}}}", "muted")], dict_children(rest), key="job")
        )
        return nodes, frozenset({"job"})
    return nodes, frozenset(covered & set(raw))
