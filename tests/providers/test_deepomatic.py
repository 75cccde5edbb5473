"""Deepomatic: parsing the documented tasks, and batch fetching over HTTP with paging."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from jobtui.config.model import DeepomaticConfig, SecretRef
from jobtui.errors import FetchCategory, FetchError, PayloadError
from jobtui.model import Job, JobState
from jobtui.providers.deepomatic.client import DeepomaticProvider, parse
from jobtui.sim import Simulator

from support.data import PROVIDER_DOCS
from support.scripted_server import Recorded, Reply, ScriptedServer, serve
from support.sim_configs import sim_config

SEED = PROVIDER_DOCS / "deepomatic.seed.txt"
KEY = "deepo-api-key-value"
BATCH = "/v0.7/tasks"


def seed_values() -> list[dict[str, Any]]:
    """Every JSON example of the published page: task, single status, batch page."""
    text = SEED.read_text()
    found: list[dict[str, Any]] = []
    start = text.find("{\n")
    while start != -1:
        value, end = json.JSONDecoder().raw_decode(text[start:])
        found.append(value)
        start = text.find("{\n", start + end)
    assert len(found) == 3
    return found


def task(task_id: str, status: str = "success", **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": task_id,
        "status": status,
        "error": None,
        "date_created": "2018-03-10T20:38:12.818792Z",
        "date_updated": "2018-03-10T20:38:13.032942Z" if status != "pending" else None,
        "data": {"outputs": [{"labels": {"discarded": [], "predicted": []}}]},
        "subtasks": None,
    }
    values.update(fields)
    return values


# --- parse -----------------------------------------------------------------------------------


def test_seed_task() -> None:
    payload = seed_values()[0]
    job = parse(payload)
    assert (job.kind, job.id, job.state, job.raw_status) == (
        "deepomatic",
        "269999729",
        JobState.SUCCEEDED,
        "success",
    )
    assert job.created_at == datetime(2018, 3, 10, 20, 38, 12, 818792, tzinfo=UTC)
    assert job.updated_at == job.finished_at == datetime(2018, 3, 10, 20, 38, 13, 32942, tzinfo=UTC)
    assert job.summary == "golden retriever 0.95"
    (item,) = job.items
    assert (item.id, item.label, item.state) == (
        "output-0",
        "golden retriever 0.95",
        JobState.SUCCEEDED,
    )
    assert job.progress == 1.0
    assert job.raw is payload


def test_seed_batch_page_tasks() -> None:
    page = seed_values()[-1]
    jobs = [parse(entry) for entry in page["results"]]
    assert [j.id for j in jobs] == ["269999729", "269999730"]
    assert all(j.summary == "golden retriever 0.95" for j in jobs)


def test_pending_task() -> None:
    job = parse(task("1", "pending", data=None))
    assert job.state is JobState.RUNNING
    assert (job.finished_at, job.updated_at, job.progress) == (None, None, None)
    assert job.summary == "pending"
    assert job.items == ()


def test_error_task() -> None:
    job = parse(task("2", "error", data=None, error="Could not download image"))
    assert job.state is JobState.FAILED
    assert job.error == job.summary == "Could not download image"
    assert job.finished_at is not None


def test_detection_outputs_pick_the_best_label() -> None:
    predicted = [
        {"label_name": "cat", "score": 0.41, "roi": {"bbox": {"xmin": 0.1}}},
        {"label_name": "dog", "score": 0.87, "threshold": 0.5},
        {"label_id": 7, "score": "bad"},
    ]
    outputs = [
        {"labels": {"predicted": predicted, "discarded": []}},
        {"labels": {"predicted": [], "discarded": [{"label_name": "owl", "score": 0.1}]}},
    ]
    job = parse(task("3", data={"outputs": outputs}))
    assert job.summary == "dog 0.87"
    assert [i.label for i in job.items] == ["dog 0.87 +1", "nothing predicted"]


def test_subtasks_are_items() -> None:
    job = parse(task("4", subtasks=[11, {"id": 12, "status": "error", "error": "boom"}]))
    assert [(i.id, i.state, i.error) for i in job.items[1:]] == [
        ("11", JobState.UNKNOWN, None),
        ("12", JobState.FAILED, "boom"),
    ]


def test_unknown_status_and_free_form_data() -> None:
    job = parse(task("5", "cancelled", data={"something": ["else"]}))
    assert job.state is JobState.UNKNOWN
    assert job.raw_status == "cancelled"
    assert job.items == ()
    assert job.summary == "cancelled"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ("269999729", "task"),
        ({"status": "success"}, "id"),
        ({"id": None, "status": "success"}, "id"),
        ({"id": "1", "status": 5}, "status"),
    ],
)
def test_not_a_task(payload: object, field: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse(payload, provider="deepo")
    assert (caught.value.provider, caught.value.field) == ("deepo", field)


# --- HTTP ------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serve() as running:
        yield running


def deepo_config(server: ScriptedServer, **fields: Any) -> DeepomaticConfig:
    values: dict[str, Any] = {
        "name": "deepo",
        "base_url": server.url,
        "timeout": 5.0,
        "secrets": {"api_key": SecretRef(key="api_key", source="literal", literal=SecretStr(KEY))},
        **fields,
    }
    return DeepomaticConfig.model_validate(values)


class TaskStore:
    """Answers batch pages from a set of known tasks, ``page_size`` per page, like the API."""

    def __init__(self, known: list[str], page_size: int, next_host: str) -> None:
        self.known = known
        self.page_size = page_size
        self.next_host = next_host

    def batch(self, request: Recorded) -> Reply:
        wanted = [i for i in request.query.get("task_ids", []) if i in self.known]
        offset = int(request.query.get("offset", ["0"])[0])
        ids = request.query.get("task_ids", [])
        page = wanted[offset : offset + self.page_size]
        more = offset + self.page_size < len(wanted)
        query = "&".join(f"task_ids={i}" for i in ids)
        link = f"{self.next_host}{BATCH}?{query}&offset={offset + self.page_size}"
        return Reply(
            body={
                "count": len(wanted),
                "next": link if more else None,
                "previous": None,
                "results": [task(i) for i in page],
            }
        )


async def test_batches_follow_next_and_fetch_left_outs_singly(server: ScriptedServer) -> None:
    known = [str(n) for n in range(1, 6)]
    # `next` names another host: only its path and query may be used, on our own origin.
    store = TaskStore(known, page_size=2, next_host="http://evil.example.net")
    server.handle("GET", BATCH, store.batch)
    server.script("GET", f"{BATCH}/late", Reply(body=task("late", "pending")))
    server.script("GET", f"{BATCH}/gone", Reply(404, {"detail": "Not found."}))
    provider = DeepomaticProvider(deepo_config(server))
    ids = ["1", "late", "2", "3", "gone", "4", "5"]
    try:
        results = await provider.fetch(ids)
    finally:
        await provider.aclose()
    by_id = dict(zip(ids, results, strict=True))
    assert [r.id for r in results if isinstance(r, Job)] == ["1", "late", "2", "3", "4", "5"]
    assert by_id["late"].state is JobState.RUNNING  # type: ignore[union-attr]
    gone = by_id["gone"]
    assert isinstance(gone, FetchError)
    assert (gone.category, gone.job_id) == (FetchCategory.NOT_FOUND, "gone")
    assert "Not found." in str(gone)
    pages = server.to("GET", BATCH)
    assert len(pages) == 3 and provider.batch_requests == 3
    assert pages[0].query["task_ids"] == ids
    assert pages[0].query["limit"] == ["7"]
    assert [p.query["offset"] for p in pages] == [["0"], ["2"], ["4"]]
    assert all(r.headers["x-api-key"] == KEY for r in server.requests)
    assert len(server.to("GET", f"{BATCH}/late")) == 1


async def test_batch_size_splits_requests(server: ScriptedServer) -> None:
    known = [str(n) for n in range(250)]
    server.handle("GET", BATCH, TaskStore(known, page_size=1000, next_host=server.url).batch)
    provider = DeepomaticProvider(deepo_config(server, batch_size=1000))
    try:
        results = await provider.fetch(known)
    finally:
        await provider.aclose()
    assert all(isinstance(r, Job) for r in results)
    sizes = [len(r.query["task_ids"]) for r in server.to("GET", BATCH)]
    assert sizes == [100, 100, 50]
    assert DeepomaticProvider.batch_size == 100


async def test_a_failed_batch_fails_each_of_its_ids(server: ScriptedServer) -> None:
    server.script(
        "GET", BATCH, Reply(429, {"detail": "Request was throttled."}, {"Retry-After": "30"})
    )
    provider = DeepomaticProvider(deepo_config(server))
    try:
        results = await provider.fetch(["a", "b"])
    finally:
        await provider.aclose()
    assert [(r.category, r.job_id, r.retry_after) for r in results] == [  # type: ignore[union-attr]
        (FetchCategory.RATE_LIMITED, "a", 30.0),
        (FetchCategory.RATE_LIMITED, "b", 30.0),
    ]
    assert len(server.requests) == 1  # no single fetches after a refused batch


async def test_a_bad_task_in_a_page_spoils_only_itself(server: ScriptedServer) -> None:
    page = {"count": 2, "next": None, "results": [task("a"), {"id": "b", "status": 9}, "junk"]}
    server.script("GET", BATCH, Reply(body=page))
    provider = DeepomaticProvider(deepo_config(server))
    try:
        first, second = await provider.fetch(["a", "b"])
    finally:
        await provider.aclose()
    assert isinstance(first, Job)
    assert isinstance(second, FetchError) and second.category is FetchCategory.BAD_PAYLOAD
    assert "deepo: status" in str(second)


async def test_a_page_that_is_not_a_page(server: ScriptedServer) -> None:
    server.script("GET", BATCH, Reply(body=[task("a")]))
    provider = DeepomaticProvider(deepo_config(server))
    try:
        (result,) = await provider.fetch(["a"])
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError) and result.category is FetchCategory.BAD_PAYLOAD


async def test_a_looping_next_link_stops(server: ScriptedServer) -> None:
    looping = {"count": 9, "next": f"{server.url}{BATCH}?offset=0", "results": [task("a")]}
    server.script("GET", BATCH, Reply(body=looping))
    provider = DeepomaticProvider(deepo_config(server))
    try:
        results = await provider.fetch(["a", "b"])
    finally:
        await provider.aclose()
    assert isinstance(results[0], Job)
    assert len(server.to("GET", BATCH)) == 3  # ids + 1 pages at most
    assert isinstance(results[1], FetchError)  # then fetched singly: unscripted → 404


@pytest.mark.parametrize(
    ("reply", "category"),
    [
        (Reply(401, {"detail": "Invalid API key."}), FetchCategory.AUTH),
        (Reply(403, {"detail": "You do not have permission."}), FetchCategory.AUTH),
        (Reply(502, b"<html>bad gateway</html>"), FetchCategory.SERVER),
        (Reply(200, b"\xff\xfe"), FetchCategory.BAD_PAYLOAD),
    ],
)
async def test_errors(server: ScriptedServer, reply: Reply, category: FetchCategory) -> None:
    server.script("GET", BATCH, reply)
    provider = DeepomaticProvider(deepo_config(server))
    try:
        (result,) = await provider.fetch(["a"])
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError) and result.category is category
    assert KEY not in str(result)


async def test_missing_key(server: ScriptedServer) -> None:
    provider = DeepomaticProvider(deepo_config(server, secrets={}))
    try:
        (result,) = await provider.fetch(["a"])
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError) and result.category is FetchCategory.AUTH
    assert "api_key" in str(result)
    assert server.requests == []


async def test_against_the_simulator(start_sim: Callable[..., Simulator]) -> None:
    sim = start_sim(jobs=30, seed=5, speed=0)
    ids = sim.job_ids("deepomatic")
    provider = DeepomaticProvider(sim_config(sim, "deepomatic", batch_size=7))  # type: ignore[arg-type]
    try:
        results = await provider.fetch([*ids, "999"])
    finally:
        await provider.aclose()
    assert [r.id for r in results[:-1] if isinstance(r, Job)] == ids
    assert isinstance(results[-1], FetchError)
    assert results[-1].category is FetchCategory.NOT_FOUND
    stats = json.dumps(sim.stats())
    assert "tasks" in stats
