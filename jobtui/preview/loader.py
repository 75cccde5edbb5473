"""Fetch, check, decode and cache the images a job names.

Images are fetched by a client of their own that carries no credential at all
(``trust_env=False``: not even a ``.netrc`` login reaches an image host). The
only authenticated step is resolving a Cognite file to a download link, done
by the Cognite provider's own client against its own ``base_url``.
Bodies are size-capped while streaming, content types checked before
decoding, and Pillow decodes in a worker thread so the UI loop never blocks.
"""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from jobtui.errors import FetchError
from jobtui.preview.sources import ImageRef

if TYPE_CHECKING:
    # Imported by the first loader: the dashboard's first frame shows no picture.
    import httpx

__all__ = [
    "MAX_IMAGE_BYTES",
    "ImageLoader",
    "Picture",
    "PreviewFailure",
    "decode_picture",
]

MAX_IMAGE_BYTES = 8 * 1024 * 1024
"""A larger body is refused as "too large" (a preview needs ~100 pixels a side)."""
MAX_PIXELS = 40_000_000
"""Decompression-bomb guard: a PNG of 1 KB may claim to be 100k × 100k pixels."""
PICTURE_SIDE = 160
"""Decoded pictures are shrunk to at most this many pixels a side before caching."""

Resolver = Callable[[ImageRef], Awaitable[str]]
"""Turns a reference without a URL (a Cognite file) into one, via the provider's client."""


@dataclass(frozen=True)
class Picture:
    """A decoded, shrunk RGB picture."""

    width: int
    height: int
    rgb: bytes
    """Packed rows, three bytes a pixel."""

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        """The colour at ``(x, y)``."""
        offset = (y * self.width + x) * 3
        return (self.rgb[offset], self.rgb[offset + 1], self.rgb[offset + 2])


@dataclass(frozen=True)
class PreviewFailure:
    """Why an image cannot be shown, in a few words ("expired", "not found (404)")."""

    reason: str


def decode_picture(data: bytes, side: int = PICTURE_SIDE) -> Picture | PreviewFailure:
    """Decode with Pillow and shrink to at most ``side`` pixels a side (blocking: a thread)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                return PreviewFailure("too large")
            image.draft("RGB", (side, side))  # JPEG decodes at a fraction of its size
            rgb = image.convert("RGB")
            rgb.thumbnail((side, side))
            return Picture(rgb.width, rgb.height, rgb.tobytes())
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return PreviewFailure("not an image")


class ImageLoader:
    """Loads pictures for references, remembering at most ``max_entries`` of them.

    Args:
        resolvers: per provider name, how to resolve a reference without a URL.
        max_bytes: the body size cap.
        max_entries: the in-memory cache bound (least recently used leave first).
        now: the clock that decides whether a URL has expired.
        transport: for tests only; the loader's client otherwise talks to the network.
        side: the decoded picture's largest side in pixels (graphics protocols want more
            than half-blocks' ``PICTURE_SIDE``).
    """

    def __init__(
        self,
        resolvers: dict[str, Resolver] | None = None,
        *,
        max_bytes: int = MAX_IMAGE_BYTES,
        max_entries: int = 64,
        timeout: float = 15.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        transport: httpx.AsyncBaseTransport | None = None,
        side: int = PICTURE_SIDE,
    ) -> None:
        self._resolvers = dict(resolvers or {})
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._side = side
        self._now = now
        self._cache: OrderedDict[str, Picture | PreviewFailure] = OrderedDict()
        import httpx

        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=True,
            max_redirects=3,
            trust_env=False,
            headers={"Accept": "image/*", "User-Agent": "jobtui-preview"},
            transport=transport,
        )

    async def load(self, provider: str, ref: ImageRef) -> Picture | PreviewFailure:
        """The picture for ``ref`` of a job of ``provider``, or why there is none."""
        if ref.expires_at is not None and ref.expires_at <= self._now():
            return PreviewFailure("expired")
        key = f"{provider}\x00{ref.url or ref.file_id}"
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        result = await self._load(provider, ref)
        if not (isinstance(result, PreviewFailure) and result.reason.startswith("network")):
            self._cache[key] = result  # network trouble is retried next time
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
        return result

    async def _load(self, provider: str, ref: ImageRef) -> Picture | PreviewFailure:
        urls = [ref.url] if ref.url else []
        if not urls:
            resolver = self._resolvers.get(provider)
            if resolver is None:
                return PreviewFailure("no download link (provider not configured)")
            try:
                urls = [await resolver(ref)]
            except FetchError as error:
                return PreviewFailure(f"no download link: {error.message}")
        failure = PreviewFailure("no URL")
        for url in [*urls, *ref.alternates]:
            body = await self._fetch(url)
            if isinstance(body, bytes):
                return await asyncio.to_thread(decode_picture, body, self._side)
            failure = body
        return failure

    async def _fetch(self, url: str) -> bytes | PreviewFailure:
        import httpx  # imported already by __init__: a lookup

        if not url.lower().startswith(("http://", "https://")):
            return PreviewFailure("not an http(s) URL")
        try:
            async with self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    head = (await response.aread())[:2048] if response.status_code < 500 else b""
                    if b"expired" in head.lower():
                        return PreviewFailure("expired")
                    name = "not found" if response.status_code == 404 else "refused"
                    return PreviewFailure(f"{name} ({response.status_code})")
                kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if not kind.startswith("image/"):
                    return PreviewFailure(f"not an image ({kind or 'no content type'})")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self._max_bytes:
                    return PreviewFailure("too large")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self._max_bytes:
                        return PreviewFailure("too large")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError as error:
            return PreviewFailure(f"network: {type(error).__name__}")

    async def aclose(self) -> None:
        """Close the image client."""
        await self._client.aclose()
