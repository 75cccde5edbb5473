"""A small scripted HTTP server on 127.0.0.1 for the Tensor.Art and Cognite provider tests.

Each route answers from a script (the last answer repeats) or a function of
the request; every request is recorded with its headers and body.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["LoopbackServer", "Recorded", "Reply", "serve"]


@dataclass(frozen=True)
class Recorded:
    """A request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    """An answer: JSON (any object) or raw bytes, with headers."""

    status: int = 200
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)


Route = list[Reply] | Callable[[Recorded], Reply]


class LoopbackServer:
    """Routes by (method, path with query); unscripted requests get 404 ``{}``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._routes: dict[tuple[str, str], Route] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def script(self, method: str, path: str, *replies: Reply) -> None:
        """Answer ``method path`` with these replies in turn, the last one forever."""
        self._routes[(method, path)] = list(replies)

    def handle(self, method: str, path: str, answer: Callable[[Recorded], Reply]) -> None:
        """Answer ``method path`` with a function of the request."""
        self._routes[(method, path)] = answer

    def to(self, method: str, path: str) -> list[Recorded]:
        """The requests received for one route."""
        return [r for r in self.requests if (r.method, r.path) == (method, path)]

    def _answer(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            route = self._routes.get((request.method, request.path))
            if route is None:
                return Reply(404, {})
            if callable(route):
                return route(request)
            return route.pop(0) if len(route) > 1 else route[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Recorded(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                reply = server._answer(request)
                raw = reply.body
                body = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def start(self) -> None:
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def serve() -> Iterator[LoopbackServer]:
    """A started server, stopped on exit."""
    server = LoopbackServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
