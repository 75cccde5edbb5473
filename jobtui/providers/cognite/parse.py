"""Cognite Data Fusion vision job objects → ``Job``: the pure half of the provider.

Reading choices:

- Times are epoch **milliseconds** as documented (not guessed from the size
  of the number); ``statusTime`` is the last change and, for a terminal job,
  its end.
- A file listed in ``items`` with ``segments``/``predictions`` is done
  (batches finish while the job runs, so even a ``Queued`` job may list
  some); a file without them takes the job's state.
- ``Completed`` with ``failedItems`` is partial when some file succeeded and
  failed when none did (the API says ``Completed`` if at least one batch
  succeeded, but the files tell the truth).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from jobtui.model import Job, JobItem, JobState
from jobtui.providers.cognite.wire import FailedBatch, FileRef, VisionItem, VisionJob
from jobtui.providers.parsing import read_object

__all__ = [
    "JOB_TYPES",
    "KIND",
    "STATES",
    "parse",
]

KIND = "cognite"
JOB_TYPES: tuple[str, ...] = ("segment", "extract")
"""The vision job endpoints jobtui polls (setting ``job_type``)."""

STATES: dict[str, JobState] = {
    "Queued": JobState.QUEUED,
    "Running": JobState.RUNNING,
    "Completed": JobState.SUCCEEDED,
    "Failed": JobState.FAILED,
}
"""Status → state before ``failedItems`` are weighed (DESIGN.md); others are ``unknown``."""


def parse(payload: object, *, provider: str | None = None, job_type: str | None = None) -> Job:
    """Normalize a vision job object; raises ``PayloadError`` for anything else.

    Segment and extract jobs share one envelope, so ``job_type`` only needs
    to be known by the caller for the URL; both result shapes are read here.
    """
    name = provider or KIND
    return read_object(name, payload, lambda raw: _to_job(VisionJob.model_validate(raw), raw, name))


def _to_job(job: VisionJob, raw: object, name: str) -> Job:
    status = job.status
    files = list(job.items or ())
    batches = list(job.failed_items or ())
    failed_refs = [(batch, ref) for batch in batches for ref in batch.items or ()]
    state = STATES.get(status or "", JobState.UNKNOWN)
    if state is JobState.SUCCEEDED and batches:
        state = JobState.PARTIAL if files else JobState.FAILED

    error = job.error_message or None
    if error is None and state is JobState.FAILED:
        error = next((b.error_message for b in batches if b.error_message), None)

    items = [_file_item(index, item, state) for index, item in enumerate(files, start=1)]
    items += [
        JobItem(
            id=_file_id(ref) or f"failed-file-{index}",
            label=_file_name(ref),
            state=JobState.FAILED,
            error=batch.error_message or "failed",
        )
        for index, (batch, ref) in enumerate(failed_refs, start=1)
    ]
    updated = _epoch_ms(job.status_time)
    return Job(
        kind=KIND,
        provider=name,
        id=job.job_id,
        state=state,
        raw_status=status,
        created_at=_epoch_ms(job.created_time),
        started_at=_epoch_ms(job.start_time),
        updated_at=updated,
        finished_at=updated if state.terminal else None,
        progress=1.0 if state is JobState.SUCCEEDED else None,
        summary=_summary(job, state, files, batches, len(failed_refs), error),
        error=error,
        items=tuple(items),
        raw=raw,
    )


def _summary(
    job: VisionJob,
    state: JobState,
    files: Sequence[VisionItem],
    batches: Sequence[FailedBatch],
    failed_files: int,
    error: str | None,
) -> str:
    first_error = next((b.error_message for b in batches if b.error_message), None)
    if failed_files and not files and not state.terminal:
        # While it runs the job lists only the files it has done: "7 of 7 failed"
        # would read as the whole job failing.
        word = (job.status or "running").lower()
        text = f"{word}, {_plural(failed_files, 'file', 'files')} failed so far"
        return f"{text}: {first_error}" if first_error else text
    if failed_files:
        text = f"{failed_files} of {failed_files + len(files)} files failed"
        return f"{text}: {first_error}" if first_error else text
    if batches:
        text = _plural(len(batches), "batch", "batches") + " failed"
        return f"{text}: {first_error}" if first_error else text
    if state is JobState.FAILED:
        return error or "failed"
    results = _results_text([f for f in files if _has_results(f)])
    if state is JobState.SUCCEEDED:
        return results or "no results"
    word = (job.status or "unknown status").lower()
    if results:
        return f"{word}, so far {results}"
    return f"{word}, {_plural(len(files), 'file', 'files')}" if files else word


def _has_results(item: VisionItem) -> bool:
    return item.segments is not None or item.predictions is not None


def _file_item(index: int, item: VisionItem, job_state: JobState) -> JobItem:
    if _has_results(item):
        state = JobState.SUCCEEDED
        label = _results_text([item]) or "no results"
    else:
        # A file without results waits with its job, or ends with it.
        state = JobState.SUCCEEDED if job_state is JobState.PARTIAL else job_state
        label = _file_name(item)
    return JobItem(id=_file_id(item) or f"file-{index}", label=label, state=state)


def _file_id(ref: FileRef) -> str | None:
    if ref.file_id:
        return ref.file_id
    if ref.file_external_id:
        return ref.file_external_id
    instance = ref.file_instance_id
    if instance is not None and (instance.space or instance.external_id):
        return f"{instance.space or ''}:{instance.external_id or ''}"
    return None


def _file_name(ref: FileRef) -> str:
    """The most human of the file's ids (external ids are usually names)."""
    instance = ref.file_instance_id
    if ref.file_external_id:
        return ref.file_external_id
    if instance is not None and instance.external_id:
        return instance.external_id
    return f"file {ref.file_id}" if ref.file_id else "file"


def _results_text(items: list[VisionItem]) -> str:
    """Say what items found: "3 segments, best 0.80" or "2 predictions (asset tag), best 0.90"."""
    if not items:
        return ""
    segments = [s for item in items for s in item.segments or ()]
    kinds: dict[str, int] = {}
    scores = [s.score for s in segments]
    for item in items:
        for key, found in (item.predictions or {}).items():
            entries = found if isinstance(found, list) else []
            kinds[key] = kinds.get(key, 0) + len(entries)
            scores += [_confidence(entry) for entry in entries]
    parts = [_plural(len(items), "file", "files")] if len(items) > 1 else []
    if any(item.segments is not None for item in items):
        parts.append(_plural(len(segments), "segment", "segments"))
    if kinds:
        count = sum(kinds.values())
        names = ", ".join(_kind_words(key) for key, n in kinds.items() if n)
        text = _plural(count, "prediction", "predictions")
        parts.append(f"{text} ({names})" if names else text)
    best = max((s for s in scores if s is not None and math.isfinite(s)), default=None)
    if best is not None:
        parts.append(f"best {best:.2f}")
    return ", ".join(parts)


def _confidence(entry: object) -> float | None:
    if isinstance(entry, dict):
        value = entry.get("confidence")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _kind_words(key: str) -> str:
    """``assetTagPredictions`` → ``asset tag``."""
    stem = key[: -len("Predictions")] if key.endswith("Predictions") else key
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in stem)
    return words.strip() or key


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _epoch_ms(value: object) -> datetime | None:
    """Epoch milliseconds (number or numeric text) as aware UTC; anything else is None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, int | float | str) else math.nan
    except (ValueError, OverflowError):
        return None
    if not math.isfinite(number) or number < 0:
        return None
    try:
        return datetime.fromtimestamp(number / 1000.0, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
