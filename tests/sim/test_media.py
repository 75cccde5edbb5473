"""The simulator serves the images its jobs name: deterministic PNGs, expiring Tensor.Art URLs,
Cognite files whose painted segments sit where the job's polygons say."""

from __future__ import annotations

import struct
import zlib
from typing import Any
from urllib.parse import urlsplit

import httpx

from jobtui.model import Job, JobState
from jobtui.providers import create_provider
from jobtui.sim import Simulator
from jobtui.sim.media import SEGMENT_COLORS, Canvas, png_bytes, scene

from support.sim_configs import sim_config


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGB rows of an 8-bit RGB PNG with filter 0 (what the sim writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    offset, idat = 8, b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        tag = data[offset + 4 : offset + 8]
        if tag == b"IDAT":
            idat += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 3 + 1
    rows = b"".join(raw[row * stride + 1 : (row + 1) * stride] for row in range(height))
    return width, height, rows


async def jobs_of(sim: Simulator, kind: str) -> list[Job]:
    provider = create_provider(sim_config(sim, kind))
    try:
        found = await provider.fetch(sim.job_ids(kind))
    finally:
        await provider.aclose()
    return [job for job in found if isinstance(job, Job)]


def test_png_writer_round_trips_pixels() -> None:
    canvas = Canvas(3, 2, (10, 20, 30))
    canvas.set(2, 1, (255, 0, 0))
    width, height, rows = decode_png(canvas.png())
    assert (width, height) == (3, 2)
    assert rows[-3:] == b"\xff\x00\x00" and rows[:3] == b"\x0a\x14\x1e"
    assert png_bytes(1, 1, b"\x00\x00\x00") != png_bytes(1, 1, b"\x00\x00\x01")


def test_pictures_are_deterministic_and_keep_the_aspect() -> None:
    assert scene("a", 512, 768) == scene("a", 512, 768)
    assert scene("a", 512, 768) != scene("b", 512, 768)
    width, height, _ = decode_png(scene("a", 512, 768))
    assert (width, height) == (64, 96)


async def test_tensorart_result_url_serves_a_png_until_it_expires(start_sim: Any) -> None:
    sim = start_sim(jobs=30, speed=0, seed=3)
    success = [job for job in await jobs_of(sim, "tensorart") if job.state is JobState.SUCCEEDED]
    images = [i for job in success for i in job.raw["job"]["successInfo"]["images"]]
    assert images, "the seeded world has a Tensor.Art success with images"
    url = images[0]["url"]
    assert url.startswith(sim.url + "/_media/tensorart/")
    async with httpx.AsyncClient() as client:
        first = await client.get(url)
        again = await client.get(url)
        tampered = await client.get(url.replace("expires=", "expires=9"))
        assert first.status_code == 200 and first.headers["content-type"] == "image/png"
        assert first.content == again.content
        assert decode_png(first.content)[0] <= 96
        assert tampered.status_code == 403 and b"SignatureDoesNotMatch" in tampered.content
        expires_at = int(images[0]["expiredIn"]) / 1000
        sim.clock.advance(expires_at - sim.world.wall() + 1)
        late = await client.get(url)
    assert late.status_code == 403
    assert b"Request has expired" in late.content


async def test_imageintelligence_urls_and_proxy_urls_show_the_same_photo(start_sim: Any) -> None:
    sim = start_sim(jobs=5, speed=0)
    job = (await jobs_of(sim, "imageintelligence"))[0]
    result = job.raw["imageResults"][0]
    assert result["url"].startswith(sim.url + "/_media/imageintelligence/public/")
    async with httpx.AsyncClient() as client:
        direct = await client.get(result["url"])
        proxied = await client.get(result["proxyUrl"])
        missing = await client.get(sim.url + "/_media/imageintelligence/proxy/nope")
    assert direct.status_code == proxied.status_code == 200
    assert direct.content == proxied.content
    assert missing.status_code == 404


async def test_cognite_file_shows_its_segments_where_the_polygons_are(start_sim: Any) -> None:
    sim = start_sim(jobs=12, speed=0)
    sim.clock.advance(10_000)  # every job finished
    jobs = await jobs_of(sim, "cognite")
    item, segment = next(
        (item, item["segments"][0])
        for job in jobs
        for item in job.raw.get("items", [])
        if item.get("segments")
    )
    table = sim.provider_tables()["cognite"]
    async with httpx.AsyncClient(base_url=str(table["base_url"])) as client:
        token = (
            await client.post(
                str(table["token_url"]),
                data={
                    "grant_type": "client_credentials",
                    "client_id": str(table["client_id"]),
                    "client_secret": str(table["client_secret"]),
                    "scope": " ".join(map(str, table["scopes"])),  # type: ignore[call-overload]
                },
            )
        ).json()["access_token"]
        links = await client.post(
            f"/api/v1/projects/{table['project']}/files/downloadlink",
            json={"items": [{"id": item["fileId"]}]},
            headers={"Authorization": f"Bearer {token}"},
        )
        refused = await client.post(
            f"/api/v1/projects/{table['project']}/files/downloadlink",
            json={"items": [{"id": item["fileId"]}]},
        )
        assert links.status_code == 200, links.text
        download = links.json()["items"][0]["downloadUrl"]
        assert urlsplit(download).path.startswith("/_media/cognite/files/")
        picture = await client.get(download)  # a download link needs no token
    assert refused.status_code == 401
    width, height, rows = decode_png(picture.content)
    # The centre of the first (best) segment's first polygon is painted in the first colour.
    vertices = segment["polygons"][0]["vertices"]
    cx = sum(v["x"] for v in vertices) / len(vertices) * width
    cy = sum(v["y"] for v in vertices) / len(vertices) * height
    offset = (int(cy) * width + int(cx)) * 3
    assert rows[offset : offset + 3] in {bytes(color) for color in SEGMENT_COLORS}
