"""Simulated Image Intelligence over real HTTP: tokens, jobs, search, create, lifecycles."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from jobtui.sim.imageintelligence.service import (
    CLIENT_ID,
    CLIENT_SECRET,
    IMAGE_ERRORS,
    TOKEN_LIFETIME,
)

from support.shapes import assert_like, real_payload

ASK = real_payload("imageintelligence--v2-ask-get-completed.json")
DETECT = real_payload("imageintelligence--v2-detect-get-completed.json")
MATCH = real_payload("imageintelligence--v2-match-get.json")
REQUIRED = ("id", "createdAt", "status", "jobResults", "imageResults")
FINAL = {"COMPLETED_SUCCESSFULLY", "COMPLETED_PARTIAL_ERROR", "COMPLETED_ALL_ERROR"}
IMAGE_STATES = {"COMPLETED_SUCCESSFULLY", "IN_PROGRESS", *IMAGE_ERRORS}
IMAGES = [{"url": f"https://example.com/{n}.jpg"} for n in range(3)]


async def token(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/v2/oauth/token", json={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}
    )
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


def client_for(sim: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sim.base_url("imageintelligence"))


async def test_token_endpoint_takes_json_and_answers_epoch_milliseconds(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0, epoch=1_700_000_000.0)
    async with client_for(sim) as client:
        good = await client.post(
            "/v2/oauth/token", json={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}
        )
        wrong = await client.post(
            "/v2/oauth/token", json={"clientId": CLIENT_ID, "clientSecret": "guess"}
        )
        form = await client.post(
            "/v2/oauth/token", data={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}
        )
    body = good.json()
    assert set(body) == {"accessToken", "expiresAt", "issuedAt", "orgName", "appName", "scope"}
    assert body["issuedAt"] == 1_700_000_000_000
    assert body["expiresAt"] - body["issuedAt"] == TOKEN_LIFETIME * 1000
    assert "ask:read" in body["scope"].split()
    assert wrong.status_code == 401 and wrong.text
    assert form.status_code == 400  # form-encoded OAuth is not what this service speaks


async def test_bearer_token_required_and_expires(start_sim: Any) -> None:
    sim = start_sim(jobs=1, speed=0)
    job = sim.job_ids("imageintelligence")[0]
    async with client_for(sim) as client:
        headers = await token(client)
        missing = await client.get(f"/v2/ask/{job}")
        bogus = await client.get(f"/v2/ask/{job}", headers={"Authorization": "Bearer nope"})
        fine = await client.get(f"/v2/ask/{job}", headers=headers)
        sim.clock.advance(TOKEN_LIFETIME - 1)
        still = await client.get(f"/v2/ask/{job}", headers=headers)
        sim.clock.advance(1)
        expired = await client.get(f"/v2/ask/{job}", headers=headers)
        renewed = await client.get(f"/v2/ask/{job}", headers=await token(client))
    assert missing.status_code == bogus.status_code == expired.status_code == 401
    assert "expired" in expired.text.lower()
    assert fine.status_code == still.status_code == renewed.status_code == 200


async def test_seeded_ask_jobs_match_the_documented_shape(start_sim: Any) -> None:
    sim = start_sim(jobs=25, speed=0)
    states = set()
    async with client_for(sim) as client:
        headers = await token(client)
        for job in sim.job_ids("imageintelligence"):
            body = (await client.get(f"/v2/ask/{job}", headers=headers)).json()
            assert_like(ASK, body, required=(*REQUIRED, "question"))
            assert body["id"] == job and body["createdAt"] > 10**11  # milliseconds
            states.add(body["status"])
            image_states = [image["status"] for image in body["imageResults"]]
            assert set(image_states) <= IMAGE_STATES
            if body["status"] == "IN_PROGRESS":
                assert "IN_PROGRESS" in image_states
            else:
                assert "IN_PROGRESS" not in image_states
            failed = sum(state != "COMPLETED_SUCCESSFULLY" for state in image_states)
            if body["status"] == "COMPLETED_SUCCESSFULLY":
                assert failed == 0
            elif body["status"] == "COMPLETED_ALL_ERROR":
                assert failed == len(image_states)
            elif body["status"] == "COMPLETED_PARTIAL_ERROR":
                assert 0 < failed < len(image_states)
    assert states == {"IN_PROGRESS", *FINAL}


async def test_images_finish_one_by_one_until_the_job_completes(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    images = [{"url": f"https://example.com/{n}.jpg"} for n in range(8)]
    async with client_for(sim) as client:
        headers = await token(client)
        created = await client.post(
            "/v2/ask", json={"images": images, "question": "Open?"}, headers=headers
        )
        job = created.json()["id"]
        done_counts = []
        statuses = []
        for _ in range(200):
            body = (await client.get(f"/v2/ask/{job}", headers=headers)).json()
            statuses.append(body["status"])
            done_counts.append(sum(i["status"] != "IN_PROGRESS" for i in body["imageResults"]))
            sim.clock.advance(20)
    assert created.status_code == 200 and statuses[0] == "IN_PROGRESS"
    assert done_counts == sorted(done_counts)
    assert done_counts[0] < 8 and done_counts[-1] == 8
    assert len(set(done_counts)) > 2  # results arrived in several steps
    assert statuses[-1] in FINAL
    assert statuses.index(statuses[-1]) == done_counts.index(8)


@pytest.mark.parametrize(("job_type", "example"), [("detect", DETECT), ("match", MATCH)])
async def test_detect_and_match_share_the_envelope(
    start_sim: Any, job_type: str, example: Any
) -> None:
    sim = start_sim(jobs=0, speed=0)
    async with client_for(sim) as client:
        headers = await token(client)
        created = await client.post(f"/v2/{job_type}", json={"images": IMAGES}, headers=headers)
        job = created.json()["id"]
        as_ask = await client.get(f"/v2/ask/{job}", headers=headers)
        sim.clock.advance(4 * 3600)
        body = (await client.get(f"/v2/{job_type}/{job}", headers=headers)).json()
    assert created.status_code == 200
    assert as_ask.status_code == 404
    assert body["status"] in FINAL
    assert_like(example, body, required=REQUIRED)
    assert "question" not in body
    if body["status"] != "COMPLETED_ALL_ERROR":
        assert body["jobResults"]
    if job_type == "detect":
        assert isinstance(body["jobResults"], list)
    else:
        assert isinstance(body["jobResults"], dict) and "target" in body["jobResults"]


async def test_unknown_job_is_404_with_the_documented_text(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    async with client_for(sim) as client:
        headers = await token(client)
        ask = await client.get("/v2/ask/5d689c71-e68f-46c3-ac71-4053806e71de", headers=headers)
        feedback = await client.get("/v2/feedback/123", headers=headers)
    assert ask.status_code == feedback.status_code == 404
    assert ask.text == "No job found with the given ID"


async def test_search_filters_by_feed_custom_id_and_time(start_sim: Any) -> None:
    sim = start_sim(jobs=20, speed=0)
    async with client_for(sim) as client:
        headers = await token(client)
        everything = (await client.get("/v2/ask", headers=headers)).json()
        feed = everything[0]["feedId"]
        by_feed = (await client.get("/v2/ask", params={"feedId": feed}, headers=headers)).json()
        one = everything[3]
        by_custom = (
            await client.get("/v2/ask", params={"customId": one["customId"]}, headers=headers)
        ).json()
        middle = sorted(job["createdAt"] for job in everything)[10]
        before = (await client.get("/v2/ask", params={"before": middle}, headers=headers)).json()
        after = (await client.get("/v2/ask", params={"after": middle}, headers=headers)).json()
        detect = (await client.get("/v2/detect", headers=headers)).json()
        bad = await client.get("/v2/ask", params={"before": "yesterday"}, headers=headers)
    assert isinstance(everything, list) and len(everything) == 20
    assert by_feed and all(job["feedId"] == feed for job in by_feed)
    assert len(by_feed) < 20
    assert by_custom == [one]
    assert all(job["createdAt"] < middle for job in before)
    assert all(job["createdAt"] > middle for job in after)
    assert len(before) + len(after) == 19
    assert detect == []
    assert bad.status_code == 400


async def test_create_validates_like_the_service(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    async with client_for(sim) as client:
        headers = await token(client)

        async def post(body: object) -> int:
            return (await client.post("/v2/ask", json=body, headers=headers)).status_code

        assert await post({"images": IMAGES}) == 400  # no question
        assert await post({"images": [], "question": "?"}) == 400
        assert await post({"images": [{"url": "u"}] * 65, "question": "?"}) == 400
        assert await post({"images": [{"nothing": 1}], "question": "?"}) == 400
        assert await post(["not", "an", "object"]) == 400
        assert await post({"images": IMAGES, "question": "?", "feedId": "F" * 65}) == 400
        huge = {"images": [{"blob": "A" * (9 * 1024 * 1024)}], "question": "?"}
        assert await post(huge) == 413
        assert await post({"images": [{"blob": "aGVsbG8="}], "question": "?", "feedId": "F"}) == 200
        unauthenticated = await client.post("/v2/ask", json={"images": IMAGES, "question": "?"})
    assert unauthenticated.status_code == 401
    assert len(sim.job_ids("imageintelligence")) == 1
