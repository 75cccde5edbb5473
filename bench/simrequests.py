"""One prepared raw GET per simulated job, with each provider's authentication.

The simulator's ceiling is measured by replaying these bytes as fast as a
tight client can: no client library, no parsing, tokens fetched once before
the clock starts.
"""

from __future__ import annotations

from urllib.parse import urlencode

from jobtui.sim import CREDENTIALS
from jobtui.sim.tensorart.service import TOKEN as TENSORART_TOKEN

from bench.rawhttp import Target, exchange, get, post_json

__all__ = ["job_ids", "job_requests"]


def _secret(kind: str, key: str) -> str:
    return str(CREDENTIALS[kind][key])


async def job_ids(target: Target) -> dict[str, list[str]]:
    """Every seeded job id, by kind (``GET /_sim/jobs``)."""
    listing = await target.call_json(get(target.netloc, "/_sim/jobs"))
    assert isinstance(listing, dict)
    return {str(kind): [str(i) for i in ids] for kind, ids in listing.items()}


async def _imageintelligence_headers(target: Target) -> dict[str, str]:
    body = {
        "clientId": _secret("imageintelligence", "client_id"),
        "clientSecret": _secret("imageintelligence", "client_secret"),
    }
    answer = await target.call_json(
        post_json(target.netloc, "/imageintelligence/v2/oauth/token", body)
    )
    assert isinstance(answer, dict)
    return {"Authorization": f"Bearer {answer['accessToken']}"}


async def _cognite_headers(target: Target) -> dict[str, str]:
    form = urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": _secret("cognite", "client_id"),
            "client_secret": _secret("cognite", "client_secret"),
            "scope": f"http://{target.netloc}/cognite/.default",
        }
    )
    answer = await target.call_json(
        post_json(
            target.netloc,
            "/cognite/oauth2/v2.0/token",
            form,
            content_type="application/x-www-form-urlencoded",
        )
    )
    assert isinstance(answer, dict)
    # Segmentation is a beta endpoint: the header is valid for every job type.
    return {"Authorization": f"Bearer {answer['access_token']}", "cdf-version": "beta"}


async def _cognite_requests(
    target: Target, ids: list[str], headers: dict[str, str]
) -> list[bytes]:
    # A job's type is part of its path and the simulator does not list it: ask once,
    # before the clock starts, which of the two paths knows the job.
    project = _secret("cognite", "project")
    requests: list[bytes] = []
    reader, writer = await target.open()
    try:
        for job_id in ids:
            for job_type in ("extract", "segment"):
                path = f"/cognite/api/v1/projects/{project}/context/vision/{job_type}/{job_id}"
                request = get(target.netloc, path, headers)
                status, _ = await exchange(reader, writer, request)
                if status == 200:
                    requests.append(request)
                    break
    finally:
        writer.close()
    return requests


async def job_requests(target: Target, ids: dict[str, list[str]]) -> dict[str, list[bytes]]:
    """One ready-to-send GET per job, by kind (kinds the bench cannot address are left out)."""
    netloc = target.netloc
    requests: dict[str, list[bytes]] = {}
    if "deepomatic" in ids:
        headers = {"X-API-KEY": _secret("deepomatic", "api_key")}
        requests["deepomatic"] = [
            get(netloc, f"/deepomatic/v0.7/tasks/{i}", headers) for i in ids["deepomatic"]
        ]
    if "superai" in ids:
        headers = {"API-KEY": _secret("superai", "api_key")}
        requests["superai"] = [
            get(netloc, f"/superai/v1/jobs/{i}", headers) for i in ids["superai"]
        ]
    if "imageintelligence" in ids:
        headers = await _imageintelligence_headers(target)
        requests["imageintelligence"] = [
            get(netloc, f"/imageintelligence/v2/ask/{i}", headers)
            for i in ids["imageintelligence"]
        ]
    if "tensorart" in ids:
        headers = {"Authorization": f"Bearer {TENSORART_TOKEN}"}
        requests["tensorart"] = [
            get(netloc, f"/tensorart/v1/jobs/{i}", headers) for i in ids["tensorart"]
        ]
    if "cognite" in ids:
        headers = await _cognite_headers(target)
        requests["cognite"] = await _cognite_requests(target, ids["cognite"], headers)
    return requests
