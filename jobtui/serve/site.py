"""The served site: the page, the websocket that carries a dashboard, the static assets.

Routes:

- ``GET /?token=T``: the terminal page (401 without the token, 503 when
  every session slot is taken);
- ``GET /ws/T``: the websocket of one session (the token sits in the path
  because textual-serve's script appends its own ``?width=…&height=…`` to
  the URL it is given); refused with 403 before the handshake without the
  token or from a foreign ``Origin``, and closed with code 1013 and a reason
  when every slot is taken;
- ``GET /static/…``: textual-serve's script, styles and fonts (public files).

Nothing logs a request line (no access log): the token is in URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import textual_serve
from aiohttp import WSCloseCode, WSMsgType, web

from jobtui.serve.access import Origins, token_matches
from jobtui.serve.pages import refusal_page, terminal_page
from jobtui.serve.sessions import DashboardSession, SessionSlots

__all__ = ["TITLE", "Site", "build_app"]

log = logging.getLogger("jobtui.serve")

TITLE = "jobtui"
STATIC_DIR = Path(textual_serve.__file__).resolve().parent / "static"
"""textual-serve's assets: xterm.js, its styles, the websocket client, the font."""

_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


def _size(text: str | None, default: int, largest: int) -> int:
    """A terminal dimension from the query (the browser's fitted size), kept sane."""
    try:
        value = int(text or default)
    except ValueError:
        return default
    return min(max(value, 10), largest)


@dataclass
class Site:
    """What every request needs: the token, the admitted origins, the sessions."""

    token: str
    origins: Origins
    dashboard_argv: Sequence[str]
    slots: SessionSlots
    environment: dict[str, str] = field(default_factory=dict)

    def _page(self, status: int, html: str) -> web.Response:
        return web.Response(
            status=status, text=html, content_type="text/html", headers=_SECURITY_HEADERS
        )

    def _full_reason(self) -> str:
        return (
            f"All {self.slots.limit} dashboard sessions of this jobtui serve are open. "
            "Close one (a browser tab) and reload, or restart serve with a larger --max-sessions."
        )

    async def index(self, request: web.Request) -> web.StreamResponse:
        """The terminal page, for the URL with the token."""
        if not token_matches(request.query.get("token"), self.token):
            return self._page(
                401,
                refusal_page(
                    TITLE,
                    "This address needs its token: open the whole URL that "
                    "`jobtui serve` printed when it started.",
                ),
            )
        if self.slots.full:
            return self._page(503, refusal_page(TITLE, self._full_reason()))
        host = self.origins.page_host(request.host)
        font_size = _size(request.query.get("fontsize"), 16, 64)
        return self._page(200, terminal_page(TITLE, f"ws://{host}/ws/{self.token}", font_size))

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        """One dashboard session: a process of its own for as long as the socket is open."""
        if not token_matches(request.match_info.get("token"), self.token):
            # What was given is not logged: it may be the token with a typo.
            log.warning("refused a websocket without the right token from %s", request.remote)
            raise web.HTTPForbidden(text="jobtui serve: the websocket needs the token\n")
        origin = request.headers.get("Origin")
        if not self.origins.permits(origin, request.host):
            log.warning("refused a websocket from a foreign origin %r", origin)
            raise web.HTTPForbidden(text="jobtui serve: foreign origin refused\n")
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)

        async def close() -> None:
            await websocket.close()

        session = DashboardSession(
            self.dashboard_argv,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=close,
            environment=self.environment,
        )
        if not self.slots.take(session):
            reason = f"jobtui serve: all {self.slots.limit} sessions are open (--max-sessions)"
            await websocket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=reason.encode())
            return websocket
        try:
            width = _size(request.query.get("width"), 80, 1000)
            height = _size(request.query.get("height"), 24, 500)
            await session.start(width, height)
            log.info("session opened (pid %s), %d open", session.pid, len(self.slots))
            await _relay(websocket, session)
        finally:
            await session.end()
            self.slots.release(session)
            await websocket.close()
            log.info("session closed, %d open", len(self.slots))
        return websocket


async def _relay(websocket: web.WebSocketResponse, session: DashboardSession) -> None:
    """Pass the browser's keys, sizes and pings on until either side goes away."""
    reader = asyncio.create_task(_read_browser(websocket, session))
    ended = session.finished
    waiting: set[asyncio.Future[None]] = {reader}
    if ended is not None:
        waiting.add(ended)
    try:
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def _read_browser(websocket: web.WebSocketResponse, session: DashboardSession) -> None:
    """The browser's messages: ``["stdin", text]``, ``["resize", {…}]``, ping, focus, blur."""
    async for message in websocket:
        if message.type != WSMsgType.TEXT:
            continue
        try:
            envelope = json.loads(message.data)
            kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
        except (ValueError, TypeError, KeyError, IndexError):
            continue  # not the page's protocol: ignore rather than end the session
        if kind == "stdin" and isinstance(data, str):
            await session.send_bytes(data.encode("utf-8"))
        elif kind == "resize" and isinstance(data, dict):
            width = _size(str(data.get("width")), 80, 1000)
            height = _size(str(data.get("height")), 24, 500)
            await session.set_terminal_size(width, height)
        elif kind == "ping":
            await websocket.send_json(["pong", data])
        elif kind == "blur":
            await session.blur()
        elif kind == "focus":
            await session.focus()


def build_app(site: Site) -> web.Application:
    """The aiohttp application serving ``site``."""
    app = web.Application()
    app.router.add_get("/", site.index)
    app.router.add_get("/ws", site.websocket)  # no token: refused with a reason, not a 404
    app.router.add_get("/ws/{token}", site.websocket)
    app.router.add_static("/static", STATIC_DIR)
    return app
