"""Previews of the images jobs name: each provider's picture from the simulator as frozen
half-block cells, polygon outlines on the right cells, expiry, credentials never sent to an
image host, oversized and non-image bodies refused."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image

from jobtui.model import Job, JobState
from jobtui.preview import ImageLoader, Picture, PreviewFailure, half_cells, image_refs
from jobtui.preview.cells import Cell, outline_cells
from jobtui.preview.sources import ImageRef
from jobtui.providers import create_provider
from jobtui.providers.cognite.client import CogniteProvider
from jobtui.sim import Simulator

from support.scripted_server import Reply, serve
from support.sim_configs import sim_config

SNAPSHOTS = Path(__file__).parent / "__snapshots__"
EPOCH = 1_767_225_600.0


def hexrgb(color: tuple[int, int, int]) -> str:
    return "".join(f"{part:02x}" for part in color)


def cells_text(cells: list[list[Cell]]) -> str:
    """Cells as text, one line a row: ``top/bottom`` colours in hex (``*`` marks an outline)."""
    return (
        "\n".join(
            " ".join(
                f"{hexrgb(c.top)}/{hexrgb(c.bottom)}{'*' if c.outline else ''}"
                for c in row
            )
            for row in cells
        )
        + "\n"
    )


def assert_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("JOBTUI_UPDATE_SNAPSHOTS"):  # regenerate on purpose, then review the diff
        path.write_text(text)
    assert path.exists(), f"missing snapshot {path}"
    assert text == path.read_text(), f"half-block cells of {name} changed"


async def jobs_of(sim: Simulator, kind: str) -> list[Job]:
    provider = create_provider(sim_config(sim, kind))
    try:
        found = await provider.fetch(sim.job_ids(kind))
    finally:
        await provider.aclose()
    return [job for job in found if isinstance(job, Job)]


def loader_for(
    sim: Simulator, providers: dict[str, Any] | None = None, **kwargs: Any
) -> ImageLoader:
    resolvers = {}
    for name, provider in (providers or {}).items():

        async def resolve(ref: ImageRef, provider: CogniteProvider = provider) -> str:
            assert ref.file_id is not None
            return await provider.download_url(ref.file_id)

        resolvers[name] = resolve
    return ImageLoader(
        resolvers, now=lambda: datetime.fromtimestamp(sim.world.wall(), UTC), **kwargs
    )


async def test_each_providers_image_from_the_simulator(start_sim: Any) -> None:
    sim = start_sim(jobs=30, speed=0, seed=3, epoch=EPOCH)
    sim.clock.advance(10_000)
    cognite = create_provider(sim_config(sim, "cognite"))
    assert isinstance(cognite, CogniteProvider)
    loader = loader_for(sim, {"cognite": cognite})
    try:
        for kind in ("tensorart", "imageintelligence", "cognite"):
            job = next(
                j
                for j in await jobs_of(sim, kind)
                if j.state is JobState.SUCCEEDED
                and image_refs(j)
                and (kind != "cognite" or any(r.polygons for r in image_refs(j)))
            )
            ref = next(r for r in image_refs(job) if kind != "cognite" or r.polygons)
            picture = await loader.load(kind, ref)
            assert isinstance(picture, Picture), (kind, picture)
            cells = half_cells(picture, 32, 10, ref.polygons, ref.segment_of)
            assert cells and len(cells) <= 10 and len(cells[0]) <= 32
            if kind == "cognite":
                assert outline_cells(cells), "the segments' outlines are drawn"
            assert_snapshot(f"{kind}-32x10", cells_text(cells))
    finally:
        await loader.aclose()
        await cognite.aclose()


def test_polygon_outline_lands_on_the_right_cells() -> None:
    picture = Picture(20, 20, bytes(20 * 20 * 3))
    square = ((0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75))
    cells = half_cells(picture, 20, 10, [square])
    assert len(cells) == 10 and len(cells[0]) == 20
    marked = outline_cells(cells)
    # Pixels 5..15 across, 5..15 down; two pixel rows a cell: rows 2..7.
    expected = {(x, y) for x in range(5, 16) for y in (2, 7)} | {
        (x, y) for x in (5, 15) for y in range(2, 8)
    }
    assert marked == expected
    assert cells[2][10].top == (0, 0, 0) and cells[2][10].bottom != (0, 0, 0)  # pixel row 5


async def test_expired_tensorart_url_shows_expired(start_sim: Any) -> None:
    sim = start_sim(jobs=30, speed=0, seed=3, epoch=EPOCH)
    job = next(j for j in await jobs_of(sim, "tensorart") if image_refs(j))
    ref = image_refs(job)[0]
    assert ref.expires_at is not None
    sim.clock.advance(ref.expires_at.timestamp() - sim.world.wall() + 5)
    by_clock = loader_for(sim)
    # A loader whose clock is behind still hears it from the CDN: 403 "Request has expired".
    by_server = ImageLoader(now=lambda: ref.expires_at - timedelta(hours=1))  # type: ignore[operator]
    try:
        assert await by_clock.load("tensorart", ref) == PreviewFailure("expired")
        assert await by_server.load("tensorart", ref) == PreviewFailure("expired")
    finally:
        await by_clock.aclose()
        await by_server.aclose()


def png(size: tuple[int, int] = (4, 4)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


async def test_image_host_never_receives_a_provider_credential(start_sim: Any) -> None:
    sim = start_sim(jobs=1, speed=0)
    with serve() as origin, serve() as images:
        images.script("GET", "/f/1.png", Reply(200, png(), {"content-type": "image/png"}))
        origin.script(
            "POST",
            "/api/v1/projects/p/files/downloadlink",
            Reply(200, {"items": [{"id": 1, "downloadUrl": images.url + "/f/1.png"}]}),
        )
        cfg = sim_config(sim, "cognite", base_url=origin.url, project="p", token="tok-SECRET")
        provider = create_provider(cfg)
        assert isinstance(provider, CogniteProvider)
        loader = loader_for(sim, {"cognite": provider})
        try:
            picture = await loader.load("cognite", ImageRef(label="f", file_id=1))
        finally:
            await loader.aclose()
            await provider.aclose()
    assert isinstance(picture, Picture) and picture.pixel(0, 0) == (200, 10, 10)
    [link] = origin.to("POST", "/api/v1/projects/p/files/downloadlink")
    assert link.headers.get("authorization") == "Bearer tok-SECRET"
    [fetched] = images.requests
    assert "authorization" not in {name.lower() for name in fetched.headers}
    assert all("SECRET" not in value for value in fetched.headers.values())


async def test_oversized_or_non_image_bodies_are_refused() -> None:
    with serve() as host:
        host.script(
            "GET", "/big.png", Reply(200, b"\x89PNG" + bytes(5000), {"content-type": "image/png"})
        )
        host.script(
            "GET",
            "/stream.png",
            Reply(200, chunks=[bytes(1000)] * 10, headers={"content-type": "image/png"}),
        )
        host.script("GET", "/page.png", Reply(200, b"<html></html>", {"content-type": "text/html"}))
        host.script(
            "GET", "/liar.png", Reply(200, b"not a png at all", {"content-type": "image/png"})
        )
        host.script("GET", "/gone.png", Reply(404, b"nope", {"content-type": "text/plain"}))
        loader = ImageLoader(max_bytes=4096)
        try:
            reasons = {
                name: await loader.load("x", ImageRef(label=name, url=f"{host.url}/{name}"))
                for name in ("big.png", "stream.png", "page.png", "liar.png", "gone.png")
            }
            scheme = await loader.load("x", ImageRef(label="f", url="file:///etc/passwd"))
        finally:
            await loader.aclose()
    assert reasons == {
        "big.png": PreviewFailure("too large"),
        "stream.png": PreviewFailure("too large"),
        "page.png": PreviewFailure("not an image (text/html)"),
        "liar.png": PreviewFailure("not an image"),
        "gone.png": PreviewFailure("not found (404)"),
    }
    assert scheme == PreviewFailure("not an http(s) URL")


async def test_cache_is_bounded_least_recently_used_leave_first() -> None:
    with serve() as host:
        for name in ("a", "b", "c"):
            host.script("GET", f"/{name}.png", Reply(200, png(), {"content-type": "image/png"}))
        loader = ImageLoader(max_entries=2)
        try:
            for name in ("a", "b", "a", "c", "a", "b"):
                await loader.load("x", ImageRef(label=name, url=f"{host.url}/{name}.png"))
        finally:
            await loader.aclose()
        fetched = [r.path for r in host.requests]
    # "a" stays (used again before "c" came), "b" is evicted by "c" and fetched again.
    assert fetched == ["/a.png", "/b.png", "/c.png", "/b.png"]
