"""A minimal keep-alive HTTP/1.1 client on raw asyncio streams, to measure the simulator.

An httpx client would be the bottleneck, not the server: this one prepares
its request bytes up front and parses only the status line and
``Content-Length``. It speaks just enough HTTP for the simulator.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

__all__ = ["Target", "exchange", "get", "post_json", "replay", "sustain"]


class Target:
    """Where the simulator listens: host, port, and the ``Host`` header value."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.netloc = f"{self.host}:{self.port}"

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """One new keep-alive connection."""
        return await asyncio.open_connection(self.host, self.port)

    async def call(self, request: bytes) -> tuple[int, bytes]:
        """One request on a connection of its own."""
        reader, writer = await self.open()
        try:
            return await exchange(reader, writer, request)
        finally:
            writer.close()

    async def call_json(self, request: bytes) -> object:
        """One request whose answer must be 2xx JSON."""
        status, body = await self.call(request)
        if not 200 <= status < 300:
            raise RuntimeError(f"simulator answered {status}: {body[:200]!r}")
        return json.loads(body)


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """Send one request and read its answer: (status, body)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


def get(netloc: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    """The bytes of a GET request."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {netloc}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post_json(netloc: str, path: str, payload: object, content_type: str = "") -> bytes:
    """The bytes of a POST request with a JSON (or, given ``content_type``, raw text) body."""
    if isinstance(payload, str | bytes):
        body = payload.encode() if isinstance(payload, str) else payload
    else:
        body = json.dumps(payload).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {netloc}\r\n"
        f"Content-Type: {content_type or 'application/json'}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def replay(
    target: Target, requests: Sequence[bytes], connections: int
) -> tuple[float, Counter[int]]:
    """Send every request once over ``connections`` connections; (seconds, statuses)."""
    queue = list(reversed(requests))
    statuses: Counter[int] = Counter()

    async def worker() -> None:
        reader, writer = await target.open()
        try:
            while queue:
                status, _ = await exchange(reader, writer, queue.pop())
                statuses[status] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(1, min(connections, len(requests))))))
    return time.perf_counter() - started, statuses


async def sustain(
    target: Target, requests: Callable[[], bytes], seconds: float, connections: int
) -> tuple[float, float, int]:
    """Keep ``connections`` requests in flight for ``seconds``; (requests/s, mean ms, non-200)."""
    done = 0
    bad = 0
    latency = 0.0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done, bad, latency
        reader, writer = await target.open()
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                status, _ = await exchange(reader, writer, requests())
                latency += time.perf_counter() - started
                done += 1
                bad += status != 200
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return done / elapsed, 1000 * latency / max(done, 1), bad
