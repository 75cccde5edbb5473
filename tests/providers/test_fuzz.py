"""Property tests over ``jobtui.providers.parse``: any JSON, any kind → a Job or a PayloadError.

Arbitrary JSON (with the providers' own field names and status words mixed
in, so that the parsers get past their first checks) and real payloads with
a few nodes replaced or deleted, for every kind.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobtui.errors import PayloadError
from jobtui.model import Job, JobState
from jobtui.providers import KINDS, parse
from jobtui.providers.superai.parse import RESPONSE_ERROR_KEY, RESPONSE_KEY

from support.data import REAL_PAYLOADS, seed_objects
from support.fuzzing import mutated

REAL = REAL_PAYLOADS

WORDS = [
    "IN_PROGRESS",
    "COMPLETED_SUCCESSFULLY",
    "COMPLETED_PARTIAL_ERROR",
    "COMPLETED_ALL_ERROR",
    "IMAGE_DOWNLOAD_ERROR",
    "pending",
    "success",
    "error",
    "SCHEDULED",
    "SUSPENDED",
    "COMPLETED",
    "EXPIRED",
    "POST PROCESSING",
    "RUNNING",
    "Completed",
    "2018-03-10T20:38:12.818792Z",
    "2020-02-12T13:41:41.695000+00:00",
    "1487648348000",
    "",
]
KEYS = [
    "id",
    "uuid",
    "status",
    "code",
    "message",
    "createdAt",
    "jobResults",
    "imageResults",
    "results",
    "images",
    "objects",
    "class",
    "confidence",
    "target",
    "image",
    "question",
    "error",
    "data",
    "outputs",
    "labels",
    "predicted",
    "label_name",
    "score",
    "subtasks",
    "date_created",
    "date_updated",
    "created",
    "completed",
    "tags",
    "jobType",
    "input",
    "response",
    RESPONSE_KEY,
    RESPONSE_ERROR_KEY,
    "job",
    "jobId",
    "items",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(WORDS)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=6)
    ),
    max_leaves=30,
)

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(kind: str, payload: object) -> None:
    """The contract: a Job that respects the model, or a PayloadError naming kind and field."""
    try:
        job = parse(kind, payload, provider="p")
    except PayloadError as exc:
        assert exc.provider == "p"
        assert exc.field
        return
    assert isinstance(job, Job)
    assert job.kind == kind and job.provider == "p"
    assert isinstance(job.state, JobState)
    assert job.progress is None or 0.0 <= job.progress <= 1.0
    assert job.raw is payload
    assert isinstance(job.summary, str)
    for stamp in (job.created_at, job.started_at, job.updated_at, job.finished_at):
        assert stamp is None or stamp.utcoffset() is not None
    json.dumps(job.model_dump(mode="json", exclude={"raw"}))


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(payload=json_values)
def test_arbitrary_json(kind: str, payload: Any) -> None:
    check(kind, payload)


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(fields=st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8))
def test_arbitrary_fields_around_an_id(kind: str, fields: dict[str, Any]) -> None:
    """Past the id check, every other field is arbitrary."""
    check(kind, {"id": "1", "jobId": 1, **fields})
    check(kind, {"job": {"id": "1", **fields}})


def samples(kind: str) -> list[Any]:
    """Real payloads and seed examples of ``kind`` (a super.AI job with its output attached)."""
    found: list[Any] = [json.loads(p.read_text()) for p in sorted(REAL.glob(f"{kind}--*.json"))]
    found += seed_objects(kind)
    if kind == "superai":
        output = {"response": {"label": "poodle", "confidence": 0.9, "boxes": [{"x": 1}]}}
        found += [{**job, RESPONSE_KEY: output} for job in list(found)]
    return found


@FUZZ
@given(mutated(samples("imageintelligence"), json_values))
def test_mutated_imageintelligence(payload: Any) -> None:
    check("imageintelligence", payload)


@FUZZ
@given(mutated(samples("deepomatic"), json_values))
def test_mutated_deepomatic(payload: Any) -> None:
    check("deepomatic", payload)


@FUZZ
@given(mutated(samples("superai"), json_values))
def test_mutated_superai(payload: Any) -> None:
    check("superai", payload)


@pytest.mark.parametrize("kind", ["imageintelligence", "deepomatic", "superai"])
def test_samples_themselves_parse(kind: str) -> None:
    pool = samples(kind)
    assert pool
    for sample in pool:
        if "results" in sample and "count" in sample:
            continue  # Deepomatic's batch page is not a task
        assert parse(kind, sample).kind == kind
