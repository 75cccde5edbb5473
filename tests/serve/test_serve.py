"""``jobtui serve`` as a user runs it: a real server process, real dashboard sessions.

Each test starts ``python -m jobtui serve --port 0`` on a config pointing at
the simulator and a store seeded with its jobs, reads the URL it prints, and
talks to it as textual-serve's page does (an aiohttp websocket). Every wait
is for the condition asserted, with a deadline.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from jobtui.cli import build_parser
from jobtui.sim import Simulator
from jobtui.store import Store

from support.engine_sim import write_config
from support.serving import ServeProcess, Terminal, alive, children_of, serve_env
from support.waiting import wait_for

pytest.importorskip("textual_serve", reason="the serve extra (textual-serve) is not installed")

StartSim = Callable[..., Simulator]
ROW_KIND = "deepomatic"


class Setup:
    """A config on the simulator and a store already watching its jobs."""

    def __init__(self, tmp_path: Path, sim: Simulator) -> None:
        self.tmp_path = tmp_path
        self.config = write_config(tmp_path / "config.toml", sim, jobs=False)
        self.config.chmod(0o600)  # the simulator's fake keys: no warning toast over the rows
        self.store = tmp_path / "jobs.sqlite"
        self.row_ids = sim.job_ids(ROW_KIND)
        store = Store(self.store)
        try:
            store.add_jobs(
                (kind, kind, job_id, "served")
                for kind in (ROW_KIND, "tensorart")
                for job_id in sim.job_ids(kind)
            )
        finally:
            store.close()
        self.servers: list[ServeProcess] = []

    def serve(self, *serve_args: str, global_args: tuple[str, ...] = ()) -> ServeProcess:
        server = ServeProcess(
            self.config, self.store, self.tmp_path, serve_args=serve_args, global_args=global_args
        )
        self.servers.append(server)
        return server


@pytest.fixture
async def setup(tmp_path: Path, start_sim: StartSim) -> AsyncIterator[Setup]:
    made = Setup(tmp_path, start_sim(jobs=3, speed=0))
    yield made
    for server in made.servers:
        server.kill()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _refused(http: aiohttp.ClientSession, url: str, **headers: str) -> int:
    """The HTTP status of a refused websocket handshake (fails if it was accepted)."""
    try:
        async with http.ws_connect(url, headers=headers):
            pass
    except aiohttp.WSServerHandshakeError as refusal:
        return refusal.status
    raise AssertionError(f"the websocket at {url} was accepted")


class Session:
    """An open session: the terminal and the task collecting its output."""

    def __init__(self, terminal: Terminal, pump: asyncio.Task[None]) -> None:
        self.terminal = terminal
        self.pump = pump


OpenSession = Callable[..., Awaitable[Session]]


@pytest.fixture
async def sessions(http: aiohttp.ClientSession) -> AsyncIterator[OpenSession]:
    opened: list[tuple[aiohttp.ClientWebSocketResponse, asyncio.Task[None]]] = []

    async def open_session(server: ServeProcess, origin: str | None = None) -> Session:
        headers = {"Origin": origin or server.origin}
        websocket = await http.ws_connect(server.websocket_url(server.token), headers=headers)
        terminal = Terminal(websocket)
        pump = asyncio.create_task(terminal.pump())
        opened.append((websocket, pump))
        await terminal.start()
        return Session(terminal, pump)

    yield open_session
    for websocket, pump in opened:
        await websocket.close()
        pump.cancel()


async def test_without_the_token_nothing_opens(setup: Setup, http: aiohttp.ClientSession) -> None:
    server = setup.serve()
    assert await _refused(http, server.websocket_url(None), Origin=server.origin) == 403
    wrong = server.token[:-1] + ("A" if server.token[-1] != "A" else "B")
    assert await _refused(http, server.websocket_url(wrong), Origin=server.origin) == 403
    async with http.get(f"{server.base}/") as page:
        assert page.status == 401
        assert "token" in await page.text()
    async with http.get(f"{server.base}/?token={wrong}") as page:
        assert page.status == 401
    async with http.get(server.url) as page:
        assert page.status == 200
        html = await page.text()
    # The page's websocket carries the token in its path; the page loads nothing off-site.
    assert f"/ws/{server.token}" in html
    assert "https://" not in html and "http://" not in html.replace(server.base, "")
    assert not children_of(server.process.pid), "a refused client started a dashboard"


async def test_a_foreign_origin_is_refused_even_with_the_token(
    setup: Setup, http: aiohttp.ClientSession
) -> None:
    server = setup.serve()
    url = server.websocket_url(server.token)
    assert await _refused(http, url, Origin="http://evil.example") == 403
    # Same host, another port: another site as far as the browser is concerned.
    assert await _refused(http, url, Origin=f"http://127.0.0.1:{server.port + 1}") == 403
    assert await _refused(http, url, Origin="null") == 403
    assert not children_of(server.process.pid)


async def test_the_token_and_origin_open_the_dashboard_and_keys_reach_it(
    setup: Setup, sessions: OpenSession
) -> None:
    server = setup.serve()
    # ssh -L shows the tunnel as localhost: a loopback server admits that name too.
    session = await sessions(server, origin=f"http://localhost:{server.port}")
    terminal = session.terminal
    await terminal.wait_for_text("Jobs", "the dashboard's first frame (the job list's title)")
    await terminal.wait_for_text(setup.row_ids[0], "a seeded job's row on screen")
    mark = len(terminal.output)
    await terminal.keys("?")
    await terminal.wait_for_text("Help", "the help screen after pressing ?", since=mark)
    mark = len(terminal.output)
    await terminal.keys("\x1b")
    await terminal.wait_for_text(
        setup.row_ids[0], "the job list drawn again after escape closed the help", since=mark
    )


async def test_the_session_cap_refuses_one_too_many_with_a_reason(
    setup: Setup, http: aiohttp.ClientSession, sessions: OpenSession
) -> None:
    server = setup.serve("--max-sessions", "1")
    first = await sessions(server)
    await first.terminal.wait_for_text(setup.row_ids[0], "the first session's job rows")
    async with http.get(server.url) as page:
        assert page.status == 503
        assert "--max-sessions" in await page.text()
    async with http.ws_connect(
        server.websocket_url(server.token), headers={"Origin": server.origin}
    ) as second:
        message = await second.receive(timeout=60)
        assert message.type == aiohttp.WSMsgType.CLOSE
        assert second.close_code == 1013
        assert "--max-sessions" in str(message.extra)
    assert len(children_of(server.process.pid)) == 1


async def test_a_closed_tab_ends_its_dashboard_and_sigterm_ends_them_all(
    setup: Setup, sessions: OpenSession
) -> None:
    server = setup.serve()
    first = await sessions(server)
    second = await sessions(server)
    for session in (first, second):
        await session.terminal.wait_for_text(setup.row_ids[0], "a session's job rows")
    dashboards = children_of(server.process.pid)
    assert len(dashboards) == 2
    await first.terminal.socket.close()
    await wait_for(
        lambda: len(children_of(server.process.pid)) == 1,
        "the closed tab's dashboard left",
        timeout=60,
    )
    remaining = children_of(server.process.pid)
    server.process.send_signal(signal.SIGTERM)
    await wait_for(lambda: server.process.poll() is not None, "serve left on SIGTERM", 60)
    assert server.process.returncode == 0
    assert not any(alive(pid) for pid in dashboards | remaining)
    await wait_for(lambda: second.terminal.closed, "the open tab's socket closed", 60)


async def test_the_token_reaches_neither_the_log_nor_the_store(
    setup: Setup, sessions: OpenSession
) -> None:
    log = setup.tmp_path / "serve.log"
    server = setup.serve(global_args=("--debug", "--log-file", str(log)))
    session = await sessions(server)
    await session.terminal.wait_for_text(setup.row_ids[0], "the session's job rows")
    await session.terminal.socket.close()
    await wait_for(lambda: not children_of(server.process.pid), "the dashboard left", 60)
    assert server.stop() == 0
    token = server.token.encode()
    assert log.read_bytes(), "nothing was logged: the check would prove nothing"
    for path in setup.tmp_path.rglob("*"):
        if path.is_file():
            assert token not in path.read_bytes(), f"the token is in {path}"
    err = server.process.stderr
    assert err is not None and err.closed
    assert server.first_line.count(server.token) == 1


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        config = tmp_path / "config.toml"
        config.write_text("")
        port = str(holder.getsockname()[1])
        result = subprocess.run(
            [sys.executable, "-m", "jobtui", "--config", str(config), "serve", "--port", port],
            capture_output=True,
            text=True,
            env=serve_env(tmp_path),
            timeout=60,
        )
    finally:
        holder.close()
    assert result.returncode == 2
    assert "in use" in result.stderr and "--port" in result.stderr
    assert "token" not in result.stdout


def test_serve_is_in_the_help() -> None:
    text = build_parser().format_help()
    assert "serve" in text


async def test_a_killed_serve_leaves_no_dashboard_behind(
    setup: Setup, sessions: OpenSession
) -> None:
    server = setup.serve()
    session = await sessions(server)
    await session.terminal.wait_for_text(setup.row_ids[0], "the session's job rows")
    dashboards = children_of(server.process.pid)
    assert len(dashboards) == 1
    server.process.kill()  # SIGKILL: no clean-up of its own
    server.process.wait(timeout=30)
    # The dashboard's pipes to serve hang up: it leaves like one whose terminal closed.
    await wait_for(
        lambda: not any(alive(pid) for pid in dashboards),
        "the orphaned dashboard left after serve was killed",
        timeout=60,
    )


def test_no_config_and_bad_flags_are_usage_errors(tmp_path: Path) -> None:
    def serve(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jobtui", "serve", *argv],
            capture_output=True,
            text=True,
            env=serve_env(tmp_path),
            timeout=60,
        )

    first_start = serve("--port", "0")
    assert first_start.returncode == 2
    assert "jobtui config init" in first_start.stderr and "jobtui demo" in first_start.stderr
    assert first_start.stdout == ""  # no URL, no token: nothing was served
    for bad in (["--max-sessions", "0"], ["--port", "70000"]):
        assert serve(*bad).returncode == 2
