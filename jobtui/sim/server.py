"""The simulator's HTTP/1.1 server: asyncio + h11 on loopback, keep-alive, one prefix per kind.

``/<kind>/...`` goes to that kind's ``ProviderSim`` with the prefix stripped;
``/_sim/stats``, ``/_sim/clock`` and ``/_sim/jobs`` are the simulator's own
endpoints. Faults are injected here, before a provider sees the request, so
every provider misbehaves the same ways.

The server is the ceiling the benchmarks measure, so the hot path is short: a
protocol object per connection (no stream wrappers), one ``write`` per answer.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

import h11

from jobtui.sim.api import ProviderSim, SimRequest, SimResponse, json_response
from jobtui.sim.clock import SimClock
from jobtui.sim.faults import BAD_GATEWAY_HTML, FaultPlan
from jobtui.sim.stats import RequestStats

__all__ = ["SimServer"]

log = logging.getLogger(__name__)

_SERVER_HEADER = (b"server", b"jobtui-sim")
_MAX_HEAD = 256 * 1024
"""Request line + headers limit: a Deepomatic batch of 1,000 ``task_ids`` is ~20 KB of URL."""
_MAX_BODY = 32 * 1024 * 1024
"""Request bodies beyond this are refused with 413 (a real gateway has a limit too)."""


@dataclass
class _Answer:
    """A response plus how to deliver it (now, late, or cut off)."""

    response: SimResponse
    delay: float = 0.0
    truncate: bool = False


class SimServer:
    """Serves the provider simulations over HTTP; see the module docstring."""

    def __init__(
        self,
        sims: Mapping[str, ProviderSim],
        clock: SimClock,
        lock: threading.Lock,
        *,
        faults: float = 0.0,
        seed: int = 0,
        slow_delay: float = 2.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._sims = dict(sims)
        self._clock = clock
        self._lock = lock
        self.faults = FaultPlan(faults, seed)
        self._slow_delay = slow_delay
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._socket: socket.socket | None = None
        self._connections: set[_Connection] = set()
        self.stats = RequestStats()

    @property
    def port(self) -> int:
        """The listening port (the one picked by the OS when asked for 0, once bound)."""
        return self._port

    def bind(self) -> None:
        """Bind and listen now, synchronously; connections wait until ``start`` accepts them."""
        if self._socket is not None:
            return
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._port))
            sock.listen(1024)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self._port = int(sock.getsockname()[1])

    async def start(self) -> None:
        """Serve on ``host:port`` in the running loop (binding first if needed)."""
        self.bind()
        sock = self._socket
        assert sock is not None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), sock=sock)
        log.info("simulator listening on http://%s:%d", self._host, self.port)

    async def stop(self) -> None:
        """Stop listening and close every open connection."""
        if self._server is None:
            if self._socket is not None:
                self._socket.close()  # bound but never served
                self._socket = None
            return
        self._server.close()
        for connection in list(self._connections):
            connection.close()
        await self._server.wait_closed()
        self._server = None
        self._socket = None  # closed with the server

    def answer(self, request: SimRequest) -> _Answer:
        """Route one request: simulator endpoints, then faults, then the provider."""
        arrived = time.time()  # before waiting for the world's lock: when the request came
        path = request.path
        _, _, rest = path.partition("/")
        kind, slash, tail = rest.partition("/")
        if kind == "_sim":
            return _Answer(self._own_endpoint(request.method, tail, request))
        if kind == "_media":
            return _Answer(self._media(request))
        sim = self._sims.get(kind)
        if sim is None:
            return _Answer(
                json_response(404, {"message": f"no simulated provider at /{kind}"}),
            )
        inner = SimRequest(
            request.method, slash + tail, request.query, request.headers, request.body
        )
        endpoint = sim.endpoint(inner)
        fault = self.faults.next(kind)
        answer: _Answer
        if fault is not None and fault.kind not in ("slow", "truncated"):
            self.stats.record_fault(kind, fault.kind)
            answer = _Answer(self._fault_response(sim, fault.kind, fault.retry_after))
        else:
            with self._lock:
                try:
                    response = sim.handle(inner)
                except Exception:
                    # A bug in a simulation must look like a server error, not kill the connection.
                    log.exception("simulated %s failed on %s %s", kind, request.method, path)
                    response = sim.fault_response(500, "Internal Server Error")
            answer = _Answer(response)
            if fault is not None:
                self.stats.record_fault(kind, fault.kind)
                if fault.kind == "slow":
                    answer.delay = self._slow_delay
                else:
                    answer.truncate = True
        self.stats.record(kind, endpoint, answer.response.status, sim.jobs_asked(inner), at=arrived)
        return answer

    def _media(self, request: SimRequest) -> SimResponse:
        """``/_media/<kind>/...``: an image a provider named; never faulted, like a CDN."""
        _, _, rest = request.path.partition("/_media/")
        kind, slash, tail = rest.partition("/")
        sim = self._sims.get(kind)
        if sim is None or request.method not in ("GET", "HEAD"):
            return SimResponse(404, b"no such image", {"content-type": "text/plain"})
        inner = SimRequest(request.method, slash + tail, request.query, request.headers, b"")
        with self._lock:
            try:
                return sim.media(inner)
            except Exception:
                log.exception("simulated %s media failed on %s", kind, request.path)
                return SimResponse(500, b"media failed", {"content-type": "text/plain"})

    def _fault_response(self, sim: ProviderSim, kind: str, retry_after: int) -> SimResponse:
        if kind == "502":
            return SimResponse(502, BAD_GATEWAY_HTML, {"content-type": "text/html"})
        if kind == "429":
            response = sim.fault_response(429, "Too Many Requests")
            response.headers["retry-after"] = str(retry_after)
            return response
        if kind == "503":
            response = sim.fault_response(503, "Service Unavailable")
            response.headers["retry-after"] = str(retry_after)
            return response
        return sim.fault_response(500, "Internal Server Error")

    def _own_endpoint(self, method: str, tail: str, request: SimRequest) -> SimResponse:
        if tail == "stats" and method == "GET":
            counts = self.stats.snapshot()
            if request.param("detail") in ("1", "true"):
                counts["detail"] = self.stats.detail()
            return json_response(200, counts)
        if tail == "clock":
            if method == "POST":
                try:
                    body = request.json() if request.body else {}
                    if not isinstance(body, dict):
                        raise ValueError("expected a JSON object")
                    if "speed" in body:
                        self._clock.set_speed(float(body["speed"]))
                    if "advance" in body:
                        self._clock.advance(float(body["advance"]))
                except (TypeError, ValueError) as error:
                    return json_response(400, {"message": str(error)})
            elif method != "GET":
                return json_response(405, {"message": "use GET or POST"})
            return json_response(200, {"now": self._clock.now(), "speed": self._clock.speed})
        if tail == "jobs" and method == "GET":
            with self._lock:
                listing = {kind: sim.job_ids() for kind, sim in self._sims.items()}
            return json_response(200, listing)
        if tail.startswith("jobs/") and method == "POST":
            sim = self._sims.get(tail.removeprefix("jobs/"))
            if sim is None:
                return json_response(404, {"message": "unknown provider kind"})
            with self._lock:
                job_id = sim.create_job(None)
            return json_response(201, {"id": job_id})
        return json_response(404, {"message": f"no simulator endpoint {method} /_sim/{tail}"})


class _Connection(asyncio.Protocol):
    """One client connection: h11 state machine, requests answered strictly in order."""

    def __init__(self, server: SimServer) -> None:
        self._server = server
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_HEAD)
        self._transport: asyncio.Transport | None = None
        self._request: h11.Request | None = None
        self._body: list[bytes] = []
        self._size = 0
        self._busy = False
        self._late: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._server._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server._connections.discard(self)
        self._transport = None
        if self._late is not None:
            self._late.cancel()

    def close(self) -> None:
        """Close the connection now (server shutdown)."""
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        self._h11.receive_data(data)
        self._drain()

    def eof_received(self) -> bool | None:
        self._h11.receive_data(b"")
        self._drain()
        return None

    def _drain(self) -> None:
        connection = self._h11
        while not self._busy and self._transport is not None:
            try:
                event = connection.next_event()
            except h11.RemoteProtocolError:
                self._reject(400, b"bad request")
                return
            kind = type(event)
            if kind is h11.Request:
                assert isinstance(event, h11.Request)
                self._request = event
                self._body = []
                self._size = 0
            elif kind is h11.Data:
                assert isinstance(event, h11.Data)
                self._size += len(event.data)
                if self._size > _MAX_BODY:
                    self._reject(413, b"request body too large")
                    return
                self._body.append(bytes(event.data))
            elif kind is h11.EndOfMessage:
                self._dispatch()
            elif kind is h11.ConnectionClosed:
                self._transport.close()
                return
            else:
                return  # NEED_DATA, or PAUSED until our answer is out

    def _dispatch(self) -> None:
        request = self._request
        assert request is not None
        target = request.target.decode("latin-1")
        path, _, query_text = target.partition("?")
        # h11 hands header names over lower-cased already.
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in request.headers
        }
        sim_request = SimRequest(
            request.method.decode("ascii"),
            unquote(path),
            parse_qs(query_text, keep_blank_values=True) if query_text else {},
            headers,
            b"".join(self._body),
        )
        answer = self._server.answer(sim_request)
        if answer.delay > 0:
            self._busy = True
            loop = asyncio.get_running_loop()
            self._late = loop.call_later(answer.delay, self._send, answer)
        else:
            self._send(answer)

    def _send(self, answer: _Answer) -> None:
        self._late = None
        transport = self._transport
        if transport is None:
            return
        response = answer.response
        body = response.body
        headers = [_SERVER_HEADER, (b"content-length", str(len(body)).encode())]
        if "content-type" not in response.headers:
            headers.append((b"content-type", b"application/json"))
        headers.extend((name.encode(), value.encode()) for name, value in response.headers.items())
        connection = self._h11
        head = connection.send(h11.Response(status_code=response.status, headers=headers))
        if answer.truncate:
            # The header promised the whole body; half of it arrives, then the line drops.
            transport.write(b"".join((head or b"", body[: len(body) // 2])))
            transport.close()
            return
        data = connection.send(h11.Data(data=body)) if body else b""
        end = connection.send(h11.EndOfMessage())
        transport.write(b"".join((head or b"", data or b"", end or b"")))
        if connection.our_state is h11.MUST_CLOSE or connection.their_state is h11.MUST_CLOSE:
            transport.close()
            return
        try:
            connection.start_next_cycle()
        except h11.LocalProtocolError:
            transport.close()
            return
        self._busy = False
        self._drain()

    def _reject(self, status: int, message: bytes) -> None:
        transport = self._transport
        if transport is None:
            return
        try:
            head = self._h11.send(
                h11.Response(
                    status_code=status,
                    headers=[
                        _SERVER_HEADER,
                        (b"content-type", b"text/plain"),
                        (b"content-length", str(len(message)).encode()),
                        (b"connection", b"close"),
                    ],
                )
            )
            transport.write((head or b"") + message)
        except h11.LocalProtocolError:
            pass  # the request was too broken to answer at all
        transport.close()
