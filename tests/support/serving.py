"""``jobtui serve`` as a real process, and a websocket client that speaks its page's protocol.

``ServeProcess`` starts ``python -m jobtui … serve --port 0`` and reads the
one URL it prints. ``Terminal`` is what the page's script does on the
websocket: it sends ``["resize", …]`` and ``["stdin", keys]`` as JSON text
and receives the dashboard's output as binary frames (escape sequences);
``text`` is that output with the escape sequences taken out, enough to find
the words a screen shows.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp

from support.waiting import wait_for, wait_until_sync

__all__ = ["ServeProcess", "Terminal", "children_of", "plain_text", "serve_env"]

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: cursor moves, colours
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: titles, clipboard
    r"|\x1b[@-Z\\-_=>]"  # two-character escapes
)


def plain_text(data: bytes) -> str:
    """Terminal output without its escape sequences."""
    return _ESCAPES.sub("", data.decode("utf-8", "replace"))


def serve_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a scratch user: XDG dirs under ``tmp_path``, no JOBTUI_ overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBTUI_")}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
        JOBTUI_LEASE_PERIOD="2",
    )
    return env


def children_of(pid: int) -> set[int]:
    """The live processes whose parent is ``pid`` (from /proc)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid …": comm may hold spaces and parentheses.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running (not zombie) process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


class ServeProcess:
    """A running ``jobtui serve`` on a free loopback port."""

    def __init__(
        self,
        config: Path,
        store: Path,
        tmp_path: Path,
        *,
        serve_args: Sequence[str] = (),
        global_args: Sequence[str] = (),
    ) -> None:
        argv = [sys.executable, "-m", "jobtui", "--config", str(config), "--store", str(store)]
        argv += [*global_args, "serve", "--port", "0", *serve_args]
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=serve_env(tmp_path),
            cwd=tmp_path,
        )
        self.first_line = ""
        self._read_url()
        self.url = self.first_line.split("open ", 1)[1].strip()
        parts = urlsplit(self.url)
        self.token = parse_qs(parts.query)["token"][0]
        self.port = parts.port or 80
        self.origin = f"http://127.0.0.1:{self.port}"
        self.base = f"http://127.0.0.1:{self.port}"

    def _read_url(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        chunks = b""

        def step() -> None:
            nonlocal chunks
            ready, _, _ = select.select([stdout], [], [], 0.1)
            if ready:
                chunks += os.read(stdout.fileno(), 4096)

        def printed() -> bool:
            return b"\n" in chunks or self.process.poll() is not None

        wait_until_sync(printed, "jobtui serve printed its URL", 60, step=step)
        if b"\n" not in chunks:
            raise AssertionError(f"jobtui serve left: {self.process.stderr.read()!r}")  # type: ignore[union-attr]
        self.first_line = chunks.split(b"\n", 1)[0].decode()

    def websocket_url(self, token: str | None) -> str:
        """The session websocket's URL (with ``token`` in its path, or none)."""
        path = "/ws" if token is None else f"/ws/{token}"
        return f"ws://127.0.0.1:{self.port}{path}?width=100&height=30"

    def stop(self, number: int = signal.SIGTERM) -> int:
        """Signal the server and wait for it to leave; returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(number)
        try:
            return self.process.wait(timeout=60)
        finally:
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()

    def kill(self) -> None:
        """Make sure it is gone (teardown): SIGTERM first, so it ends its dashboards too."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None and not stream.closed:
                stream.close()


class Terminal:
    """One session over the websocket, as textual-serve's page drives it."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.output = b""
        self.closed = False

    async def start(self, width: int = 100, height: int = 30) -> None:
        """Tell the dashboard the terminal's size, as the page does once connected."""
        await self.socket.send_str(json.dumps(["resize", {"width": width, "height": height}]))

    async def pump(self) -> None:
        """Collect the dashboard's output until the socket closes (run as a task)."""
        async for message in self.socket:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.output += message.data
        self.closed = True

    @property
    def text(self) -> str:
        """Everything received so far, escape sequences taken out."""
        return plain_text(self.output)

    async def keys(self, text: str) -> None:
        """Type ``text`` as the page would (one ``stdin`` message)."""
        await self.socket.send_str(json.dumps(["stdin", text]))

    async def wait_for_text(self, wanted: str, what: str, since: int = 0) -> None:
        """Until ``wanted`` shows in the output received after byte ``since``."""
        await wait_for(
            lambda: wanted in plain_text(self.output[since:]),
            what,
            timeout=60,
            detail=lambda: plain_text(self.output[since:])[-3000:],
        )
