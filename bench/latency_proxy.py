"""A TCP proxy that delays every answer, to put a network between a client and the simulator.

    .venv/bin/python -m bench.latency_proxy --target http://127.0.0.1:PORT --delay 0.02

Loopback answers in a fraction of a millisecond, so a client that overlaps
requests has nothing to overlap there. Real provider APIs sit tens of
milliseconds away; this proxy adds ``delay`` seconds to every chunk the
server sends back (order kept), and prints ``listening at http://HOST:PORT``
on stderr once ready.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from urllib.parse import urlsplit

__all__ = ["main"]


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float
) -> None:
    loop = asyncio.get_running_loop()
    try:
        while chunk := await reader.read(1 << 16):
            if delay:
                # Same delay for every chunk: call_later keeps them in order.
                loop.call_later(delay, writer.write, chunk)
            else:
                writer.write(chunk)
        if delay:
            await asyncio.sleep(delay)
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _serve(host: str, port: int, delay: float) -> None:
    async def connection(
        client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            _pipe(client_reader, upstream_writer, 0.0),
            _pipe(upstream_reader, client_writer, delay),
        )

    server = await asyncio.start_server(connection, "127.0.0.1", 0)
    listening = server.sockets[0].getsockname()
    print(f"listening at http://127.0.0.1:{listening[1]}", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    """Proxy until interrupted."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--target", required=True, help="the server's http://HOST:PORT")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds added per answer")
    args = parser.parse_args()
    target = urlsplit(args.target)
    asyncio.run(_serve(target.hostname or "127.0.0.1", target.port or 80, args.delay))


if __name__ == "__main__":
    main()
