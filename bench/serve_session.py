"""``jobtui serve``: what a browser session costs against the same dashboard in a pty.

    .venv/bin/python -m bench.serve_session [--jobs 10000] [--rounds 3] [--keys 20]

A throwaway store is seeded with N jobs (``bench.tui_bigload``), with an
empty config (nothing polls). Baseline, in the same run: ``jobtui`` in a
120x36 pty, from starting the process to the first job id on the screen.
Served: one ``jobtui serve --port 0``, then per round a websocket session
(what the page's script does: ``resize`` to 120x36, then keys as ``stdin``),
from opening the websocket to the first job id in the output (the session's
process start, imports and store read included, as in the pty). Then, in
one session, ``j`` presses: from the key sent to the first byte of the
answer. Also the peak RSS of a session's process and of ``serve`` itself.
Figures are for people; tests never assert them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import MODES, Figure, Mode, median, peak_rss_mb, percentile
from bench.pty_terminal import PtyProcess
from bench.tui_bigload import seed
from bench.tui_pty import _command, _environment

__all__ = ["run"]

SECTION = "dashboard (served)"
NEEDLE = "job-0"
_ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def _shows(output: bytes, needle: str) -> bool:
    return needle.encode() in _ESCAPES.sub(b"", output)


def _pty_first_paint(command: list[str], env: dict[str, str], workdir: Path) -> float:
    with PtyProcess(command, env, workdir) as terminal:
        first = terminal.wait_for(NEEDLE.encode(), timeout=120)
    if first is None:
        raise RuntimeError("the pty dashboard never showed a job")
    return first


def _start_serve(command: list[str], env: dict[str, str], workdir: Path) -> tuple[Any, str]:
    process = subprocess.Popen(
        [*command, "serve", "--port", "0", "--max-sessions", "2"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=workdir,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if "open " not in line:
        process.kill()
        raise RuntimeError(f"jobtui serve printed no URL: {line!r}")
    return process, line.split("open ", 1)[1].strip()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


async def _session(url: str, serve_pid: int, keys: int) -> dict[str, Any]:
    """One session: time to the first job row, key answers, the session's peak RSS."""
    import aiohttp

    base, token = url.split("/?token=")
    port = base.rsplit(":", 1)[1]
    socket_url = f"ws://127.0.0.1:{port}/ws/{token}?width=120&height=36"
    output = bytearray()
    arrived = asyncio.Event()
    async with aiohttp.ClientSession() as http:
        started = time.perf_counter()
        async with http.ws_connect(socket_url, headers={"Origin": base}) as socket:

            async def pump() -> None:
                async for message in socket:
                    if message.type == aiohttp.WSMsgType.BINARY:
                        output.extend(message.data)
                        arrived.set()

            reader = asyncio.create_task(pump())
            await socket.send_str(json.dumps(["resize", {"width": 120, "height": 36}]))
            deadline = started + 120
            while not _shows(bytes(output), NEEDLE):
                if time.perf_counter() > deadline:
                    raise RuntimeError("the served dashboard never showed a job")
                arrived.clear()
                await asyncio.wait_for(arrived.wait(), 120)
            first = time.perf_counter() - started
            answers: list[float] = []
            for _ in range(keys):
                await _quiet(arrived, 0.3)
                arrived.clear()
                sent = time.perf_counter()
                await socket.send_str(json.dumps(["stdin", "j"]))
                await asyncio.wait_for(arrived.wait(), 30)
                answers.append((time.perf_counter() - sent) * 1000)
            sessions = _children(serve_pid)
            rss = max((peak_rss_mb(pid) for pid in sessions), default=float("nan"))
            reader.cancel()
    return {"first": first, "keys": answers, "rss": rss}


async def _quiet(arrived: asyncio.Event, window: float) -> None:
    """Until no output arrived for ``window`` seconds (the screen has settled)."""
    while True:
        arrived.clear()
        try:
            await asyncio.wait_for(arrived.wait(), window)
        except TimeoutError:
            return


def run(mode: Mode) -> list[Figure]:
    """The section as ``python -m bench`` runs it."""
    from jobtui.store import Store

    count = mode.tui_sizes[0]
    label = f"{count:,} jobs"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        config = workdir / "empty.toml"
        config.write_text("")
        store = workdir / "jobs.sqlite"
        with Store(store) as opened:
            seed(opened, count)
        env = _environment(workdir)
        command = _command(config, store)
        baseline: list[float] = []
        served: list[float] = []
        keys: list[float] = []
        rss = float("nan")
        serve, url = _start_serve(command, env, workdir)
        try:
            for round_number in range(mode.rounds):
                baseline.append(_pty_first_paint(command, env, workdir))
                result = asyncio.run(
                    _session(url, serve.pid, mode.tui_keys if round_number == 0 else 0)
                )
                served.append(result["first"])
                keys += result["keys"]
                if round_number == 0:
                    rss = result["rss"]
            serve_rss = peak_rss_mb(serve.pid)
        finally:
            serve.terminate()
            serve.wait(timeout=60)
    pty_first, served_first = median(baseline), median(served)
    return [
        Figure(SECTION, f"pty: process start -> first job list, {label}", pty_first, "s",
               detail={"rounds": baseline}),
        Figure(SECTION, f"served: websocket open -> first job row, {label}", served_first, "s",
               detail={"rounds": served}),
        Figure(SECTION, "served / pty, first job list", served_first / pty_first, "x"),
        Figure(SECTION, f"served key j p50, first byte, {label}", median(keys), "ms",
               detail={"p95": percentile(keys, 0.95), "samples": keys}),
        Figure(SECTION, f"peak RSS of a session, {label}", rss, "MB"),
        Figure(SECTION, "peak RSS of serve itself", serve_rss, "MB"),
    ]  # fmt: skip


def main() -> None:
    """Print the figures."""
    quick = MODES["quick"]
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=quick.tui_sizes[0])
    parser.add_argument("--rounds", type=int, default=quick.rounds)
    parser.add_argument("--keys", type=int, default=quick.tui_keys)
    args = parser.parse_args()
    mode = Mode(**{**quick.__dict__, "tui_sizes": (args.jobs,), "rounds": args.rounds,
                   "tui_keys": args.keys})  # fmt: skip
    print(f"load average before: {os.getloadavg()}")
    for figure in run(mode):
        print(f"  {figure.name:50s} {figure.value:12,.2f} {figure.unit}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
