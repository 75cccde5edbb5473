"""Run the site until SIGTERM or SIGINT, then end every session before leaving."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aiohttp import web

from jobtui.serve.access import Origins, new_token, served_url
from jobtui.serve.sessions import QUIT_GRACE, SessionSlots
from jobtui.serve.site import Site, build_app

__all__ = ["ServeOptions", "run_server"]

log = logging.getLogger("jobtui.serve")


@dataclass(frozen=True)
class ServeOptions:
    """Where to listen and what each session runs."""

    host: str
    port: int
    max_sessions: int
    dashboard_argv: Sequence[str]
    """The command line of one dashboard (``python -m jobtui --config … --store …``)."""
    environment: dict[str, str] = field(default_factory=dict)
    """Variables added to each dashboard's environment."""


async def run_server(options: ServeOptions, announce: Callable[[str], None]) -> int:
    """Serve until SIGTERM/SIGINT; ``announce`` gets the URL (with the token) once listening.

    Raises ``OSError`` when the address cannot be listened on.
    """
    token = new_token()
    slots = SessionSlots(options.max_sessions)
    runner: web.AppRunner | None = None
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stopping.set)
    try:
        site = Site(
            token=token,
            origins=Origins(options.host, options.port),
            dashboard_argv=options.dashboard_argv,
            slots=slots,
            environment=options.environment,
        )
        runner = web.AppRunner(build_app(site), access_log=None, handle_signals=False)
        await runner.setup()
        listener = web.TCPSite(runner, options.host, options.port, reuse_address=True)
        await listener.start()
        port = _bound_port(runner) or options.port
        site.origins = Origins(options.host, port)
        announce(served_url(options.host, port, token))
        await stopping.wait()
        log.info("stopping: ending %d session(s)", len(slots))
    finally:
        await slots.end_all(QUIT_GRACE)
        if runner is not None:
            await runner.cleanup()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(number)
    return 0


def _bound_port(runner: web.AppRunner) -> int | None:
    """The port actually bound (``--port 0`` asks the system for a free one)."""
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None


def port_in_use_hint(error: OSError) -> str:
    """A user-facing reason for a failed listen."""
    import errno

    if error.errno == errno.EADDRINUSE:
        return (
            "the port is in use (by another jobtui serve, or jobtui sim, whose default "
            "is 8765 too); choose another with --port"
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return "no such address on this machine (--host)"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "not allowed (ports below 1024 need privileges)"
    if isinstance(error, socket.gaierror):
        return "unknown host name (--host)"
    return error.strerror or type(error).__name__
