"""Deepomatic tasks, wire format (``/v0.7/tasks``).

A task is ``{id, status, error, date_created, date_updated, data,
subtasks}``; ``data`` is whatever the endpoint that made the task returned
(inference: ``{outputs: [{labels: {predicted, discarded}}]}``), so it is
read leniently. The batch answer is a Django-REST page ``{count, next,
previous, results}``. Unknown fields are kept, ``status`` stays plain text.
"""

from __future__ import annotations

from typing import Any

from jobtui.providers.wire import IdText, Wire

__all__ = [
    "Prediction",
    "Task",
    "TaskPage",
]


class Prediction(Wire):
    """One label of an output: ``{label_id, label_name, score, threshold, roi?}``."""

    label_id: Any = None
    label_name: str | None = None
    score: float | None = None
    threshold: float | None = None
    roi: Any = None
    """Detection outputs: ``{bbox: {xmin, ymin, xmax, ymax}}``."""


class Task(Wire):
    """The task object of ``GET /v0.7/tasks/{id}``."""

    id: IdText
    status: str | None = None
    """pending, success or error (kept as text)."""
    error: Any = None
    """The error message when ``status`` is error."""
    date_created: Any = None
    """ISO 8601 with microseconds and ``Z``."""
    date_updated: Any = None
    """When the task left ``pending``."""
    data: Any = None
    subtasks: Any = None


class TaskPage(Wire):
    """One page of ``GET /v0.7/tasks/?task_ids=…``."""

    count: int | None = None
    next: str | None = None
    previous: str | None = None
    results: list[Any]
    """Task objects, each validated on its own so that one bad task spoils only itself."""
