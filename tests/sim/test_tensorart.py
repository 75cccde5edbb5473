"""Simulated Tensor.Art over real HTTP: documented shapes, lifecycle, auth, create, cancel, and
our own provider working against it end to end."""

from __future__ import annotations

import base64
import json
import time
import tomllib
from dataclasses import replace
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pydantic import SecretStr

from jobtui.config.model import SECRET_KEYS, SecretRef, TensorartConfig
from jobtui.errors import FetchCategory, FetchError
from jobtui.model import Job, JobState
from jobtui.providers.tensorart.client import TensorartProvider
from jobtui.sim import Simulator
from jobtui.sim.api import World
from jobtui.sim.tensorart.auth import app_private_key_pem
from jobtui.sim.tensorart.jobs import job_json, plan_job
from jobtui.sim.tensorart.service import APP_ID, TOKEN, TensorartSim

from support.shapes import assert_like, seed_examples

(JOB_EXAMPLE, ERROR_EXAMPLE) = seed_examples("tensorart")
BEARER = {"Authorization": f"Bearer {TOKEN}"}
ORDER = ("CREATED", "PENDING", "WAITING", "RUNNING")
FINAL = ("SUCCESS", "FAILED", "CANCELED")
INFO_BLOCKS = {
    "WAITING": "waitingInfo",
    "RUNNING": "runningInfo",
    "SUCCESS": "successInfo",
    "FAILED": "failedInfo",
}


def client_for(sim: Simulator, headers: dict[str, str] | None = BEARER) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sim.base_url("tensorart"), headers=headers or {})


def provider_config(table: dict[str, object], **changes: object) -> TensorartConfig:
    """The provider table the simulator prints, as the config loader would model it."""
    fields = {**table, **changes}
    secrets = {
        key: SecretRef(key=f"providers.sim.{key}", source="literal", literal=SecretStr(str(value)))
        for key, value in fields.items()
        if key in SECRET_KEYS and value is not None
    }
    plain = {key: value for key, value in fields.items() if key not in SECRET_KEYS}
    return TensorartConfig.model_validate({"name": "sim", **plain, "secrets": secrets})


def signature_header(
    key: rsa.RSAPrivateKey,
    method: str,
    path: str,
    body: str = "",
    *,
    app_id: str = APP_ID,
    timestamp: int | None = None,
    nonce: str = "n0nce",
) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    message = f"{method}\n{path}\n{stamp}\n{nonce}\n{body}".encode()
    signature = base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    return (
        f"TAMS-SHA256-RSA app_id={app_id},nonce_str={nonce},timestamp={stamp},signature={signature}"
    )


def app_key() -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(app_private_key_pem().encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def check_job_shape(job: dict[str, Any]) -> None:
    """The documented keys and types, and only the info block of the job's status."""
    assert_like(JOB_EXAMPLE["job"], job, required=("id", "status", "credits"))
    assert job["id"].isdigit() and int(job["id"]) < 2**64
    present = {block for block in INFO_BLOCKS.values() if block in job}
    expected = {INFO_BLOCKS[job["status"]]} if job["status"] in INFO_BLOCKS else set()
    assert present == expected, job
    if job["status"] == "WAITING":
        info = job["waitingInfo"]
        assert info["queueRank"].isdigit() and info["queueLen"].isdigit()
        assert 1 <= int(info["queueRank"]) <= int(info["queueLen"])
    if job["status"] == "FAILED":
        assert job["failedInfo"]["code"] in ("TRANSITORY_ERROR", "FATAL_ERROR")
        assert job["failedInfo"]["reason"]
    if job["status"] == "SUCCESS":
        outputs = job["successInfo"]["images"] + job["successInfo"]["videos"]
        assert outputs
        for output in outputs:
            # Served by the simulator itself (tests/sim/test_media.py fetches them).
            assert output["url"].startswith(("https://", "http://127.0.0.1:"))
            assert int(output["expiredIn"]) > 1_000_000_000_000  # an instant, epoch ms


async def fetch_all(client: httpx.AsyncClient, ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for job_id in ids:
        answer = await client.get(f"/v1/jobs/{job_id}")
        assert answer.status_code == 200, answer.text
        found[job_id] = answer.json()["job"]
    return found


async def test_seeded_jobs_match_the_documented_shape_and_show_every_state(
    start_sim: Any,
) -> None:
    sim = start_sim(jobs=30, speed=0)
    async with client_for(sim) as client:
        jobs = await fetch_all(client, sim.job_ids("tensorart"))
    for job in jobs.values():
        check_job_shape(job)
    assert {job["status"] for job in jobs.values()} == {*ORDER, *FINAL}
    codes = {job["failedInfo"]["code"] for job in jobs.values() if job["status"] == "FAILED"}
    assert codes == {"TRANSITORY_ERROR", "FATAL_ERROR"}
    running = [job["runningInfo"] for job in jobs.values() if job["status"] == "RUNNING"]
    workflows = [info["workflowFinishItem"] for info in running if "workflowFinishItem" in info]
    assert workflows, "some running job is a workflow"
    for flow in workflows:
        assert 0.0 <= flow["progress"] < 1.0
        statuses = [node["status"] for node in flow["nodes"].values()]
        assert statuses.count("RUNNING") == 1
        assert set(flow["finishedNodes"]) == {
            node_id for node_id, node in flow["nodes"].items() if node["status"] == "SUCCESS"
        }


async def test_lifecycle_moves_forward_and_every_job_ends(start_sim: Any) -> None:
    sim = start_sim(jobs=25, speed=0)
    ids = sim.job_ids("tensorart")
    seen: dict[str, list[dict[str, Any]]] = {job_id: [] for job_id in ids}
    async with client_for(sim) as client:
        for _ in range(40):
            for job_id, job in (await fetch_all(client, ids)).items():
                seen[job_id].append(job)
            sim.clock.advance(120.0)
        sim.clock.advance(2 * 3600)  # every plan ends within about two hours
        final = await fetch_all(client, ids)
    rank = {status: position for position, status in enumerate((*ORDER, "END"))}
    for job_id, history in seen.items():
        steps = [rank.get(job["status"], rank["END"]) for job in history]
        assert steps == sorted(steps), f"{job_id} went back: {[j['status'] for j in history]}"
        ranks = [int(job["waitingInfo"]["queueRank"]) for job in history if "waitingInfo" in job]
        assert ranks == sorted(ranks, reverse=True), "queueRank counts down"
        flows = [
            job["runningInfo"]["workflowFinishItem"]
            for job in history
            if "workflowFinishItem" in job.get("runningInfo", {})
        ]
        progress = [flow["progress"] for flow in flows]
        assert progress == sorted(progress)
        done = [len(flow["finishedNodes"]) for flow in flows]
        assert done == sorted(done), "nodes finish one by one, none un-finishes"
        # A finished job stays exactly as it was.
        ended = [job for job in history if job["status"] in FINAL]
        assert all(job == final[job_id] for job in ended)
    assert {job["status"] for job in final.values()} <= set(FINAL)


async def test_success_lists_outputs_with_expiring_urls_and_the_whole_workflow(
    start_sim: Any,
) -> None:
    sim = start_sim(jobs=40, speed=0)
    sim.clock.advance(6 * 3600)
    async with client_for(sim) as client:
        jobs = await fetch_all(client, sim.job_ids("tensorart"))
    done = [job for job in jobs.values() if job["status"] == "SUCCESS"]
    assert done
    kinds = set()
    for job in done:
        info = job["successInfo"]
        kinds |= {"image" for _ in info["images"]} | {"video" for _ in info["videos"]}
        flow = info.get("workflowFinishItem")
        if flow is not None:
            assert flow["status"] == "SUCCESS" and flow["progress"] == 1.0
            assert set(flow["finishedNodes"]) == set(flow["nodes"])
            assert int(flow["mtime"]) >= int(flow["ctime"])
            for output in info["images"] + info["videos"]:
                assert int(output["expiredIn"]) > int(flow["mtime"])
    assert kinds == {"image", "video"}


async def test_same_seed_gives_the_same_world(start_sim: Any) -> None:
    first = start_sim(jobs=12, speed=0, seed=7, epoch=1_767_225_600.0)
    second = start_sim(jobs=12, speed=0, seed=7, epoch=1_767_225_600.0)
    other = start_sim(jobs=12, speed=0, seed=8, epoch=1_767_225_600.0)
    assert first.job_ids("tensorart") == second.job_ids("tensorart")
    assert first.job_ids("tensorart") != other.job_ids("tensorart")
    async with client_for(first) as a, client_for(second) as b:
        # Result URLs name each simulator's own port; the rest is identical.
        seen_a = json.dumps(await fetch_all(a, first.job_ids("tensorart")))
        seen_b = json.dumps(await fetch_all(b, second.job_ids("tensorart")))
        assert seen_a.replace(first.url, "SIM") == seen_b.replace(second.url, "SIM")


# -- auth ---------------------------------------------------------------------------------


async def test_signed_requests_are_verified(start_sim: Any) -> None:
    sim = start_sim(jobs=3, speed=0)
    job_id = sim.job_ids("tensorart")[0]
    path = f"/v1/jobs/{job_id}"
    key = app_key()
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    async with client_for(sim, headers=None) as client:

        async def status(header: str | None, url: str = path) -> tuple[int, Any]:
            answer = await client.get(url, headers={"Authorization": header} if header else {})
            return answer.status_code, answer.json()

        assert (await status(signature_header(key, "GET", path, nonce="a")))[0] == 200
        refused = {
            "missing": await status(None),
            "bad bearer": await status("Bearer wrong"),
            "unknown scheme": await status(f"Basic {TOKEN}"),
            "other key": await status(signature_header(stranger, "GET", path, nonce="b")),
            "other path": await status(signature_header(key, "GET", "/v1/jobs/1", nonce="c")),
            "other method": await status(signature_header(key, "DELETE", path, nonce="d")),
            "prefix signed": await status(
                signature_header(key, "GET", "/tensorart" + path, nonce="e")
            ),
            "stale": await status(signature_header(key, "GET", path, timestamp=1_000, nonce="f")),
            "unknown app": await status(signature_header(key, "GET", path, app_id="x", nonce="g")),
            "replayed nonce": await status(signature_header(key, "GET", path, nonce="a")),
            "no signature": await status(
                f"TAMS-SHA256-RSA app_id={APP_ID},nonce_str=h,timestamp={int(time.time())}"
            ),
        }
    for why, (code, body) in refused.items():
        assert code == 401, why
        assert_like(ERROR_EXAMPLE, body, required=("code", "message", "details"))
        assert body["code"] == 16, why
    assert refused["replayed nonce"][1]["message"] == "nonce already used"


async def test_signed_post_covers_the_body(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    body = json.dumps(
        {
            "requestId": "r-1",
            "templateId": "799541882207328343",
            "fields": {
                "fieldAttrs": [{"nodeId": "27", "fieldName": "text", "fieldValue": "a lighthouse"}]
            },
        }
    )
    path = "/v1/jobs/workflow/template"
    key = app_key()
    async with client_for(sim, headers=None) as client:
        good = await client.post(
            path, content=body, headers={"Authorization": signature_header(key, "POST", path, body)}
        )
        tampered = await client.post(
            path,
            content=body.replace("lighthouse", "submarine"),
            headers={"Authorization": signature_header(key, "POST", path, body, nonce="x")},
        )
    assert good.status_code == 200, good.text
    assert tampered.status_code == 401


async def test_signed_query_string_is_part_of_the_signed_path(start_sim: Any) -> None:
    sim = start_sim(jobs=1, speed=0)
    path = f"/v1/jobs/{sim.job_ids('tensorart')[0]}"
    key = app_key()
    async with client_for(sim, headers=None) as client:
        signed_with = await client.get(
            f"{path}?lang=en%20GB",
            headers={"Authorization": signature_header(key, "GET", f"{path}?lang=en%20GB")},
        )
        signed_without = await client.get(
            f"{path}?lang=en",
            headers={"Authorization": signature_header(key, "GET", path, nonce="other")},
        )
    assert signed_with.status_code == 200, signed_with.text
    assert signed_without.status_code == 401


# -- errors, create, cancel -----------------------------------------------------------------


async def test_unknown_job_is_a_grpc_not_found(start_sim: Any) -> None:
    sim = start_sim(jobs=2, speed=0)
    async with client_for(sim) as client:
        answers = [
            await client.get("/v1/jobs/123"),
            await client.delete("/v1/jobs/123"),
        ]
        wrong_method = await client.put(f"/v1/jobs/{sim.job_ids('tensorart')[0]}")
    for answer in answers:
        assert answer.status_code == 404
        assert answer.json() == {"code": 5, "message": "job not found", "details": []}
    assert wrong_method.status_code == 405


async def test_create_endpoints_validate_and_start_jobs(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    stages = {
        "requestId": "stage-1",
        "stages": [
            {"type": "INPUT_INITIALIZE", "inputInitialize": {"seed": -1, "count": 2}},
            {"type": "DIFFUSION", "diffusion": {"width": 768, "height": 1024, "steps": 20}},
        ],
    }
    workflow = {
        "requestId": "flow-1",
        "params": {
            "3": {"classType": "KSampler", "inputs": {}},
            "8": {"classType": "VAEDecode", "inputs": {}},
            "9": {"classType": "SaveImage", "inputs": {}},
        },
    }
    async with client_for(sim) as client:
        created = await client.post("/v1/jobs", json=stages)
        again = await client.post("/v1/jobs", json=stages)
        flow = await client.post("/v1/jobs/workflow", json=workflow)
        refused = [
            await client.post("/v1/jobs", json={"stages": stages["stages"]}),
            await client.post("/v1/jobs", json={"requestId": "x", "stages": []}),
            await client.post("/v1/jobs", json={"requestId": "x", "stages": [{"type": "NOPE"}]}),
            await client.post(
                "/v1/jobs",
                json={
                    "requestId": "x",
                    "stages": [{"type": "DIFFUSION", "diffusion": {"width": 700}}],
                },
            ),
            await client.post("/v1/jobs/workflow", json={"requestId": "x", "params": {}}),
            await client.post("/v1/jobs/workflow/template", json={"requestId": "x"}),
            await client.post("/v1/jobs", content=b"not json"),
        ]
        assert created.status_code == 200, created.text
        job = created.json()["job"]
        sim.clock.advance(3 * 3600)
        done = (await client.get(f"/v1/jobs/{job['id']}")).json()["job"]
        flow_job = (await client.get(f"/v1/jobs/{flow.json()['job']['id']}")).json()["job"]
    assert job["status"] == "CREATED"
    check_job_shape(job)
    assert again.json()["job"]["id"] == job["id"], "a repeated requestId is the same job"
    assert sim.job_ids("tensorart") == [job["id"], flow.json()["job"]["id"]]
    for answer in refused:
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == 3
    assert done["status"] in FINAL
    if done["status"] == "SUCCESS":
        images = done["successInfo"]["images"]
        assert len(images) == 2
        assert {(i["meta"]["image"]["width"], i["meta"]["image"]["height"]) for i in images} == {
            (768, 1024)
        }
    if flow_job["status"] == "SUCCESS":
        assert set(flow_job["successInfo"]["workflowFinishItem"]["nodes"]) == {"3", "8", "9"}


async def test_cancel_ends_a_live_job_and_refuses_a_finished_one(start_sim: Any) -> None:
    sim = start_sim(jobs=8, speed=0)
    async with client_for(sim) as client:
        jobs = await fetch_all(client, sim.job_ids("tensorart"))
        live = next(i for i, job in jobs.items() if job["status"] == "RUNNING")
        finished = next(i for i, job in jobs.items() if job["status"] == "SUCCESS")
        canceled = await client.delete(f"/v1/jobs/{live}")
        twice = await client.delete(f"/v1/jobs/{live}")
        refused = await client.delete(f"/v1/jobs/{finished}")
        sim.clock.advance(3600)
        after = (await client.get(f"/v1/jobs/{live}")).json()["job"]
    assert canceled.status_code == 200 and canceled.json() == {"jobId": live}
    assert twice.status_code == 200
    assert refused.status_code == 400 and refused.json()["code"] == 9
    assert after["status"] == "CANCELED"
    assert not {"runningInfo", "successInfo", "failedInfo"} & set(after)


async def test_a_job_canceled_while_queued_answers_canceled_ever_after(start_sim: Any) -> None:
    sim = start_sim(jobs=10, speed=0)
    async with client_for(sim) as client:
        jobs = await fetch_all(client, sim.job_ids("tensorart"))
        queued = {job["status"]: i for i, job in jobs.items() if job["status"] in ORDER[:3]}
        assert set(queued) == set(ORDER[:3])
        for job_id in queued.values():
            assert (await client.delete(f"/v1/jobs/{job_id}")).status_code == 200
        answers: list[httpx.Response] = []
        for step in (0.0, 0.5, 30.0, 7200.0):
            sim.clock.advance(step)
            for job_id in queued.values():
                answers.append(await client.get(f"/v1/jobs/{job_id}"))
    for answer in answers:
        assert answer.status_code == 200, answer.text
        job = answer.json()["job"]
        assert job["status"] == "CANCELED"
        check_job_shape(job)


def test_every_cut_of_every_plan_gives_a_canceled_body_from_then_on() -> None:
    world = World(seed=7)
    for index in range(60):
        job = plan_job(str(index), world.rng("tensorart", str(index)), 0.0)
        ends = [step.at for step in job.plan.steps]
        for cut_at in (0.0, *ends, *(at + 0.25 for at in ends)):
            if job.plan.is_final(cut_at):
                continue
            cut = replace(job, plan=job.plan.cut(cut_at, "CANCELED"))
            for later in (cut_at, cut_at + 1.0, cut_at + 86400.0):
                body = job_json(cut, later, 1_700_000_000.0)
                assert body["status"] == "CANCELED"
                check_job_shape(body)


async def test_injected_faults_speak_the_grpc_error_shape(start_sim: Any) -> None:
    sim = start_sim(jobs=1, speed=0, faults=1.0, slow_delay=0.0)
    bodies = []
    async with client_for(sim) as client:
        for _ in range(30):
            try:
                answer = await client.get(f"/v1/jobs/{sim.job_ids('tensorart')[0]}")
            except httpx.HTTPError:
                continue  # a truncated answer
            if answer.headers["content-type"] == "application/json" and answer.status_code >= 400:
                bodies.append((answer.status_code, answer.json()))
    assert bodies
    for status, body in bodies:
        assert_like(ERROR_EXAMPLE, body, required=("code", "message", "details"))
        assert body["code"] == {429: 8, 500: 13, 503: 14}[status]


# -- our provider against the simulator ---------------------------------------------------


async def test_provider_polls_and_cancels_with_signed_requests(start_sim: Any) -> None:
    sim = start_sim(jobs=12, speed=0)
    table = sim.provider_tables()["tensorart"]
    assert "token" not in table and table["app_id"] == APP_ID
    provider = TensorartProvider(provider_config(table))
    ids = sim.job_ids("tensorart")
    try:
        results = await provider.fetch([*ids, "42"])
        jobs = [result for result in results if isinstance(result, Job)]
        assert len(jobs) == len(ids)
        assert {job.state for job in jobs} == {
            JobState.QUEUED,
            JobState.RUNNING,
            JobState.SUCCEEDED,
            JobState.FAILED,
            JobState.CANCELED,
        }
        missing = results[-1]
        assert isinstance(missing, FetchError) and missing.category is FetchCategory.NOT_FOUND
        waiting = [job for job in jobs if job.raw_status == "WAITING"]
        assert waiting and all(job.summary.startswith("queue ") for job in waiting)
        running = next(job for job in jobs if job.state is JobState.RUNNING)
        assert running.summary.startswith("RUNNING ")
        assert await provider.cancel(running.id) is None
        (after,) = await provider.fetch([running.id])
        assert isinstance(after, Job) and after.state is JobState.CANCELED
        succeeded = next(job for job in jobs if job.state is JobState.SUCCEEDED)
        assert any("expires" in item.label for item in succeeded.items)
    finally:
        await provider.aclose()
    endpoints = sim.stats()["providers"]["tensorart"]["endpoints"]
    assert endpoints["GET /v1/jobs/{id}"] == {"200": len(ids) + 1, "404": 1}
    assert endpoints["DELETE /v1/jobs/{id}"] == {"200": 1}


async def test_provider_with_bearer_token_and_with_a_wrong_key(start_sim: Any) -> None:
    sim = start_sim(jobs=3, speed=0)
    table = sim.provider_tables()["tensorart"]
    job_id = sim.job_ids("tensorart")[0]
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_pem = stranger.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    with_token = TensorartProvider(provider_config(table, token=TOKEN))
    wrong_key = TensorartProvider(provider_config(table, private_key=other_pem))
    try:
        (good,) = await with_token.fetch([job_id])
        (bad,) = await wrong_key.fetch([job_id])
    finally:
        await with_token.aclose()
        await wrong_key.aclose()
    assert isinstance(good, Job) and good.id == job_id
    assert isinstance(bad, FetchError) and bad.category is FetchCategory.AUTH
    assert other_pem not in str(bad)


def test_config_table_credentials_match_what_the_simulation_accepts() -> None:
    table = TensorartSim(World()).config("http://127.0.0.1:1/tensorart")
    assert table["kind"] == "tensorart"
    assert table["private_key"] == app_private_key_pem()
    key = serialization.load_pem_private_key(str(table["private_key"]).encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)


@pytest.mark.parametrize("count", [0, 1, 10, 31])
def test_seed_jobs_makes_as_many_jobs_as_asked(count: int) -> None:
    sim = TensorartSim(World(seed=3))
    ids = sim.seed_jobs(count)
    assert len(ids) == len(set(ids)) == count
    assert sim.job_ids() == ids
    assert [int(job_id) for job_id in ids] == sorted(int(job_id) for job_id in ids)


async def test_printed_config_table_works_as_is(start_sim: Any) -> None:
    sim = start_sim(jobs=4, speed=0)
    printed = tomllib.loads(sim.config_toml())
    table = printed["providers"]["tensorart"]
    jobs = [job["id"] for job in printed["jobs"] if job["provider"] == "tensorart"]
    assert jobs == sim.job_ids("tensorart")
    provider = TensorartProvider(provider_config(table))
    try:
        results = await provider.fetch(jobs)
    finally:
        await provider.aclose()
    assert all(isinstance(result, Job) for result in results), results
