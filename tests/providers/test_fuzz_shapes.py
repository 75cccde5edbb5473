"""Property tests for the Tensor.Art and Cognite parsers: any JSON gives a Job or a PayloadError."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobtui.errors import PayloadError
from jobtui.model import Job, JobState
from jobtui.providers import cognite, tensorart

from support.data import PROVIDER_DOCS, REAL_PAYLOADS

Parser = Callable[..., Job]
REAL = REAL_PAYLOADS
SHARED = PROVIDER_DOCS

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


def _seed(kind: str, marker: str) -> dict[str, Any]:
    text = (SHARED / f"{kind}.seed.txt").read_text()
    value, _ = json.JSONDecoder().raw_decode(text[text.index(marker) :])
    assert isinstance(value, dict)
    return value


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
    return [_seed("tensorart", '{\n  "job"'), rich]


def _cognite_samples() -> list[dict[str, Any]]:
    samples = [_seed("cognite", '{\n"status"')]
    for path in sorted(REAL.glob("cognite--*.json")):
        samples.append(json.loads(path.read_text()))
    return samples


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, samples: list[dict[str, Any]]) -> Any:
    """A real payload with a few nodes replaced by random JSON or deleted."""
    payload: Any = copy.deepcopy(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(payload)
        path = draw(st.sampled_from(paths))
        if not path:
            payload = draw(json_values)
            continue
        parent = payload
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return payload


@FUZZ
@given(mutated(_tensorart_samples()))
def test_tensorart_mutated_payloads(payload: Any) -> None:
    check(tensorart.parse, payload)


@FUZZ
@given(mutated(_cognite_samples()))
def test_cognite_mutated_payloads(payload: Any) -> None:
    check(cognite.parse, payload)


def test_samples_themselves_parse() -> None:
    for sample in _tensorart_samples():
        assert tensorart.parse(sample).kind == "tensorart"
    for sample in _cognite_samples():
        assert cognite.parse(sample).kind == "cognite"
