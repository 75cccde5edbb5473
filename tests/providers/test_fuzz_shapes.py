"""Property tests for the Tensor.Art and Cognite parsers: any JSON gives a Job or a PayloadError."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobtui.errors import PayloadError
from jobtui.model import Job, JobState
from jobtui.providers import cognite, tensorart

from support.data import REAL_PAYLOADS, seed_object
from support.fuzzing import mutated

Parser = Callable[..., Job]
REAL = REAL_PAYLOADS

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["RUNNING", "SUCCESS", "Completed", "Queued", "3", "62", "3600s", ""])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "job",
                    "id",
                    "status",
                    "jobId",
                    "items",
                    "failedItems",
                    "segments",
                    "predictions",
                    "successInfo",
                    "runningInfo",
                    "waitingInfo",
                    "failedInfo",
                    "images",
                    "progress",
                    "nodes",
                    "finishedNodes",
                    "workflowFinishItem",
                    "queueRank",
                    "expiredIn",
                    "x",
                ]
            )
            | st.text(max_size=6),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(parser: Parser, payload: object) -> None:
    """The contract: a Job that respects the model, or a PayloadError; nothing else."""
    try:
        job = parser(payload, provider="p")
    except PayloadError as exc:
        assert exc.provider == "p"
        assert exc.field
        return
    assert isinstance(job, Job)
    assert isinstance(job.state, JobState)
    assert job.progress is None or 0.0 <= job.progress <= 1.0
    assert job.raw is payload
    assert isinstance(job.summary, str)
    for stamp in (job.created_at, job.started_at, job.updated_at, job.finished_at):
        assert stamp is None or stamp.utcoffset() is not None
    json.dumps(job.model_dump(mode="json", exclude={"raw"}))


@FUZZ
@given(json_values)
def test_tensorart_arbitrary_json(payload: Any) -> None:
    check(tensorart.parse, payload)
    check(tensorart.parse, {"job": payload})


@FUZZ
@given(json_values)
def test_cognite_arbitrary_json(payload: Any) -> None:
    check(cognite.parse, payload)
    if isinstance(payload, dict):
        check(cognite.parse, {**payload, "jobId": 5})


def _tensorart_samples() -> list[dict[str, Any]]:
    rich = {
        "job": {
            "id": "1813792398476169216",
            "status": "RUNNING",
            "runningInfo": {
                "processingImages": [{"resourceImage": {"id": "a"}, "progress": 40}],
                "workflowFinishItem": {
                    "progress": 62,
                    "step": 3,
                    "ctime": "1730204346000",
                    "nodes": {"1": {"status": "SUCCESS"}},
                    "finishedNodes": {"1": {}},
                },
            },
            "successInfo": {"images": [{"url": "u", "expiredIn": "3600s"}]},
            "waitingInfo": {"queueRank": "3", "queueLen": "17"},
            "failedInfo": {"reason": "r", "code": "FATAL_ERROR"},
        }
    }
    return [seed_object("tensorart", '{\n  "job"'), rich]


def _cognite_samples() -> list[dict[str, Any]]:
    samples = [seed_object("cognite", '{\n"status"')]
    for path in sorted(REAL.glob("cognite--*.json")):
        samples.append(json.loads(path.read_text()))
    return samples


@FUZZ
@given(mutated(_tensorart_samples(), json_values))
def test_tensorart_mutated_payloads(payload: Any) -> None:
    check(tensorart.parse, payload)


@FUZZ
@given(mutated(_cognite_samples(), json_values))
def test_cognite_mutated_payloads(payload: Any) -> None:
    check(cognite.parse, payload)


def test_samples_themselves_parse() -> None:
    for sample in _tensorart_samples():
        assert tensorart.parse(sample).kind == "tensorart"
    for sample in _cognite_samples():
        assert cognite.parse(sample).kind == "cognite"
