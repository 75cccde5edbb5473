"""Simulated Deepomatic over real HTTP: tasks, batch paging, inference, auth and errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from jobtui.sim.deepomatic.service import API_KEY

from support.shapes import assert_like, seed_examples

KEY = {"X-API-KEY": API_KEY}
TASK_EXAMPLE, _, BATCH_EXAMPLE = seed_examples("deepomatic")
TASK_KEYS = ("id", "status", "error", "date_created", "date_updated", "data", "subtasks")


def client_for(sim: Any, headers: dict[str, str] | None = KEY) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sim.base_url("deepomatic"), headers=headers or {})


async def test_task_with_and_without_trailing_slash_matches_documented_shape(
    start_sim: Any,
) -> None:
    sim = start_sim(jobs=12, speed=0)
    async with client_for(sim) as client:
        for task in sim.job_ids("deepomatic"):
            plain = await client.get(f"/v0.7/tasks/{task}")
            slashed = await client.get(f"/v0.7/tasks/{task}/")
            assert plain.status_code == slashed.status_code == 200
            body = plain.json()
            assert body == slashed.json()
            assert body["id"] == task
            assert_like(TASK_EXAMPLE, body, required=TASK_KEYS)
            assert body["date_created"].endswith("Z") and "." in body["date_created"]
            if body["status"] == "success":
                assert body["error"] is None
                outputs = body["data"]["outputs"]
                assert_like(TASK_EXAMPLE["data"], body["data"], required=("outputs",))
                assert outputs[0]["labels"]["predicted"]
            elif body["status"] == "error":
                assert body["data"] is None and isinstance(body["error"], str)
            else:
                assert body["status"] == "pending" and body["data"] is None


async def test_seeded_tasks_show_every_state_and_all_finish(start_sim: Any) -> None:
    sim = start_sim(jobs=30, speed=0)
    ids = sim.job_ids("deepomatic")
    async with client_for(sim) as client:
        first = (await client.get("/v0.7/tasks/", params={"task_ids": ids})).json()
        sim.clock.advance(2 * 3600)
        later = (await client.get("/v0.7/tasks/", params={"task_ids": ids})).json()
    assert {task["status"] for task in first["results"]} == {"pending", "success", "error"}
    assert {task["status"] for task in later["results"]} == {"success", "error"}
    # Whatever had finished stays as it was.
    before = {task["id"]: task for task in first["results"]}
    for task in later["results"]:
        if before[task["id"]]["status"] != "pending":
            assert task == before[task["id"]]


async def test_detection_outputs_carry_a_bbox(start_sim: Any) -> None:
    sim = start_sim(jobs=40, speed=0)
    sim.clock.advance(2 * 3600)
    async with client_for(sim) as client:
        tasks = (
            await client.get("/v0.7/tasks/", params={"task_ids": sim.job_ids("deepomatic")})
        ).json()["results"]
    labels = [
        label
        for task in tasks
        if task["status"] == "success"
        for output in task["data"]["outputs"]
        for label in output["labels"]["predicted"]
    ]
    boxes = [label["roi"]["bbox"] for label in labels if "roi" in label]
    assert boxes and len(boxes) < len(labels)  # both classification and detection
    for box in boxes:
        assert set(box) == {"xmin", "ymin", "xmax", "ymax"}
        assert 0 <= box["xmin"] < box["xmax"] <= 1 and 0 <= box["ymin"] < box["ymax"] <= 1


@pytest.mark.parametrize("path", ["/v0.7/tasks/", "/v0.7/tasks"])
async def test_batch_pages_follow_next_until_null(start_sim: Any, path: str) -> None:
    sim = start_sim(jobs=25, speed=0)
    ids = sim.job_ids("deepomatic")
    wanted = [*ids[:23], "404404", ids[0]]  # an unknown id and a duplicate
    seen: list[str] = []
    async with client_for(sim) as client:
        page = (
            await client.get(path, params={"task_ids": wanted, "offset": 0, "limit": 10})
        ).json()
        assert_like(BATCH_EXAMPLE, page, required=("count", "next", "previous", "results"))
        assert page["previous"] is None
        pages = 1
        while True:
            assert page["count"] == 23
            seen += [task["id"] for task in page["results"]]
            if page["next"] is None:
                break
            assert page["next"].startswith(sim.base_url("deepomatic") + path)
            page = (await client.get(page["next"])).json()
            assert page["previous"] is not None
            pages += 1
    assert pages == 3
    assert seen == ids[:23]


async def test_batch_rejects_bad_paging_and_lists_all_without_ids(start_sim: Any) -> None:
    sim = start_sim(jobs=5, speed=0)
    async with client_for(sim) as client:
        bad = await client.get("/v0.7/tasks/", params={"limit": "many"})
        everything = (await client.get("/v0.7/tasks/")).json()
    assert bad.status_code == 400 and "detail" in bad.json()
    assert [task["id"] for task in everything["results"]] == sim.job_ids("deepomatic")


async def test_auth_failures_use_django_rest_bodies(start_sim: Any) -> None:
    sim = start_sim(jobs=1, speed=0)
    task = sim.job_ids("deepomatic")[0]
    async with client_for(sim, headers=None) as client:
        missing = await client.get(f"/v0.7/tasks/{task}")
        wrong = await client.get(f"/v0.7/tasks/{task}", headers={"X-API-KEY": "nope"})
        batch = await client.get("/v0.7/tasks/", params={"task_ids": task})
    assert missing.status_code == wrong.status_code == batch.status_code == 401
    assert missing.json() == {"detail": "Authentication credentials were not provided."}
    assert set(wrong.json()) == {"detail"}


async def test_unknown_task_and_path_are_404_detail(start_sim: Any) -> None:
    sim = start_sim(jobs=1, speed=0)
    async with client_for(sim) as client:
        task = await client.get("/v0.7/tasks/999")
        other = await client.get("/v0.7/nothing")
        method = await client.post("/v0.7/tasks/", json={})
    assert task.status_code == other.status_code == 404
    assert task.json() == {"detail": "Not found."}
    assert method.status_code == 405 and "detail" in method.json()


async def test_inference_creates_a_pending_task_that_finishes(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    body = {"inputs": [{"image": {"source": "https://example.com/dog.jpg"}}]}
    async with client_for(sim) as client:
        created = await client.post(
            "/v0.7/recognition/public/imagenet-inception-v3/inference", json=body
        )
        versioned = await client.post("/v0.7/recognition/versions/42/inference", json=body)
        invalid = await client.post("/v0.7/recognition/versions/42/inference", json={})
        uploaded = await client.post(
            "/v0.7/networks/7/inference", files={"inputs[0]image[source]": b"\xff\xd8jpeg"}
        )
        task_id = created.json()["task_id"]
        pending = (await client.get(f"/v0.7/tasks/{task_id}")).json()
        sim.clock.advance(3 * 3600)
        done = (await client.get(f"/v0.7/tasks/{task_id}")).json()
    assert created.status_code == versioned.status_code == 200
    assert invalid.status_code == 400
    assert uploaded.status_code == 200
    assert sim.job_ids("deepomatic") == [
        task_id, versioned.json()["task_id"], uploaded.json()["task_id"]
    ]  # fmt: skip
    assert pending["status"] == "pending" and pending["date_updated"] == pending["date_created"]
    assert done["status"] in ("success", "error")
    assert done["date_updated"] > done["date_created"]


async def test_batch_of_a_thousand_ids_fits_in_one_request(start_sim: Any) -> None:
    sim = start_sim(jobs=1000, speed=0)
    ids = sim.job_ids("deepomatic")
    async with client_for(sim) as client:
        page = await client.get("/v0.7/tasks/", params={"task_ids": ids, "limit": 1000})
    assert page.status_code == 200
    assert [task["id"] for task in page.json()["results"]] == ids
