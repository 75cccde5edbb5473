"""Deepomatic task objects → ``Job``: the pure half of the provider.

Reading choices:

- ``date_updated`` is when the task left ``pending``: for a finished task it
  is also its end.
- Each output of ``data.outputs`` is one ``JobItem`` labelled with its best
  predicted label; ``subtasks`` (ids or task objects) are items too.
- ``data`` is free-form (whatever the endpoint returned): anything that is
  not the inference shape is simply not summarised, never an error.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError

from jobtui.model import Job, JobItem, JobState
from jobtui.providers.base import to_utc
from jobtui.providers.deepomatic.wire import Prediction, Task
from jobtui.providers.parsing import read_object

__all__ = [
    "KIND",
    "STATES",
    "parse",
]

KIND = "deepomatic"

STATES: dict[str, JobState] = {
    "pending": JobState.RUNNING,
    "success": JobState.SUCCEEDED,
    "error": JobState.FAILED,
}
"""Task status → state (DESIGN.md); anything else is ``unknown``."""


def parse(payload: object, *, provider: str | None = None) -> Job:
    """Normalize a task object; raises ``PayloadError`` for anything else."""
    name = provider or KIND
    return read_object(
        name, payload, lambda raw: _to_job(Task.model_validate(raw), raw, name), what="task"
    )


def _to_job(task: Task, raw: object, name: str) -> Job:
    state = STATES.get(task.status or "", JobState.UNKNOWN)
    error = _error_text(task.error)
    if state is JobState.FAILED and error is None:
        error = "error"
    outputs = _outputs(task.data)
    items = [_output_item(index, output, state) for index, output in enumerate(outputs)]
    items += _subtask_items(task.subtasks)
    updated = to_utc(task.date_updated)
    return Job(
        kind=KIND,
        provider=name,
        id=task.id,
        state=state,
        raw_status=task.status,
        created_at=to_utc(task.date_created),
        updated_at=updated,
        finished_at=updated if state.terminal else None,
        progress=1.0 if state is JobState.SUCCEEDED else None,
        summary=_summary(task, state, outputs, error),
        error=error,
        items=tuple(items),
        raw=raw,
    )


def _error_text(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        # Some endpoints nest it Django-style.
        for key in ("detail", "message", "error"):
            found = value.get(key)
            if isinstance(found, str) and found.strip():
                return found.strip()
    return None


def _outputs(data: object) -> list[dict[str, Any]]:
    outputs = data.get("outputs") if isinstance(data, dict) else None
    return [o for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else []


def _predictions(output: dict[str, Any]) -> list[Prediction]:
    labels = output.get("labels")
    predicted = labels.get("predicted") if isinstance(labels, dict) else None
    found: list[Prediction] = []
    for entry in predicted if isinstance(predicted, list) else []:
        try:
            found.append(Prediction.model_validate(entry))
        except ValidationError:
            continue  # one odd label must not hide the others
    return found


def _prediction_text(prediction: Prediction) -> str:
    label = prediction.label_name or (
        f"label {prediction.label_id}" if prediction.label_id is not None else "label"
    )
    score = prediction.score
    return f"{label} {score:.2f}" if score is not None and math.isfinite(score) else label


def _best(predictions: list[Prediction]) -> Prediction | None:
    def rank(p: Prediction) -> float:
        return p.score if p.score is not None and math.isfinite(p.score) else -math.inf

    return max(predictions, key=rank, default=None)


def _output_item(index: int, output: dict[str, Any], state: JobState) -> JobItem:
    predictions = _predictions(output)
    best = _best(predictions)
    if best is None:
        label = "nothing predicted"
    else:
        label = _prediction_text(best)
        if len(predictions) > 1:
            label += f" +{len(predictions) - 1}"
    return JobItem(id=f"output-{index}", label=label, state=state)


def _subtask_items(subtasks: object) -> list[JobItem]:
    if not isinstance(subtasks, list):
        return []
    items: list[JobItem] = []
    for index, sub in enumerate(subtasks):
        if isinstance(sub, dict):
            status = sub.get("status")
            state = STATES.get(status, JobState.UNKNOWN) if isinstance(status, str) else None
            items.append(
                JobItem(
                    id=str(sub.get("id", f"subtask-{index}")),
                    label="subtask",
                    state=state or JobState.UNKNOWN,
                    error=_error_text(sub.get("error")),
                )
            )
        elif isinstance(sub, str | int) and not isinstance(sub, bool):
            items.append(JobItem(id=str(sub), label="subtask"))
    return items


def _summary(task: Task, state: JobState, outputs: list[dict[str, Any]], error: str | None) -> str:
    if state is JobState.FAILED:
        return error or "error"
    best = _best([p for output in outputs for p in _predictions(output)])
    if best is not None:
        return _prediction_text(best)
    if state is JobState.SUCCEEDED:
        return "nothing predicted" if outputs else "done"
    return task.status or "no status"
