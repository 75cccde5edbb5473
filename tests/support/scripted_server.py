"""A scripted HTTP/1.1 server on 127.0.0.1 for the provider tests (real sockets, no mocks).

Each route answers from a script (the last answer
repeats) or from a function of the request; every request is recorded. On
top of that a reply can stream its body in chunks without a length (to test
size caps), hold its answer until an event is set (to test timeouts), and
carry any bytes and headers (HTML, broken UTF-8, gzip, redirects). Routes
match the path with its query first, then the path alone.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = ["Recorded", "Reply", "ScriptedServer", "serve"]


@dataclass(frozen=True)
class Recorded:
    """A request as the server saw it."""

    method: str
    target: str
    """The path with its query, as sent."""
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        """The path without the query."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        """The query parameters, each with all its values."""
        return parse_qs(urlsplit(self.target).query)

    def json(self) -> object:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """An answer: JSON (any object) or raw bytes, with headers.

    ``chunks`` streams those bytes with chunked encoding instead of ``body``;
    ``hold`` makes the server wait for the event before answering.
    """

    status: int = 200
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Iterable[bytes] | None = None
    hold: threading.Event | None = None


Route = list[Reply] | Callable[[Recorded], Reply]


class ScriptedServer:
    """Routes by (method, path[?query]); unscripted requests get 404 ``{}``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.streams_finished = 0
        """Chunked replies the server managed to send to the end."""
        self.streams_cut = 0
        """Chunked replies the client hung up on."""
        self._routes: dict[tuple[str, str], Route] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def script(self, method: str, path: str, *replies: Reply) -> None:
        """Answer ``method path`` with these replies in turn, the last one forever."""
        self._routes[(method, path)] = list(replies)

    def handle(self, method: str, path: str, answer: Callable[[Recorded], Reply]) -> None:
        """Answer ``method path`` with a function of the request."""
        self._routes[(method, path)] = answer

    def to(self, method: str, path: str) -> list[Recorded]:
        """The requests received for one path (query ignored)."""
        return [r for r in self.requests if (r.method, r.path) == (method, path)]

    def _answer(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            route = self._routes.get((request.method, request.target))
            if route is None:
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
                if reply.hold is not None:
                    reply.hold.wait(10)
                try:
                    self._send(reply)
                except (BrokenPipeError, ConnectionResetError):
                    with server._lock:
                        server.streams_cut += 1
                    self.close_connection = True

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                names = {name.lower() for name in reply.headers}
                if "content-type" not in names:
                    self.send_header("Content-Type", "application/json")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.chunks is not None:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for chunk in reply.chunks:
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                    with server._lock:
                        server.streams_finished += 1
                    return
                raw = reply.body
                if raw is None and reply.status == 204:
                    body = b""
                else:
                    body = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = do_PUT = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def start(self) -> None:
        """Serve from a daemon thread."""
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def serve() -> Iterator[ScriptedServer]:
    """A started server, stopped on exit."""
    server = ScriptedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
