"""Headless Chromium driven over its DevTools protocol, with nothing but aiohttp.

Debian's ``chromium`` runs headless with a throwaway profile and
``--remote-debugging-port=0``; it writes the port it chose to
``DevToolsActivePort`` in the profile. ``Browser`` speaks the protocol on
that websocket (one page, flattened sessions): navigate, evaluate, press
keys, capture a screenshot.

The served page draws the terminal with xterm.js onto a canvas, so its text
is not in the DOM. ``XTERM_HOOK`` runs before the page's own scripts and
catches the xterm ``Terminal`` when textual-serve's client stores it as
``this.terminal``: a setter on ``Object.prototype`` for that one name, which
keeps the instance as ``window.__jobtuiTerminal`` and then steps aside. The
test reads the rows xterm shows from its buffer: the text a person sees.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from support.waiting import wait_for

__all__ = ["CHROMIUM", "XTERM_HOOK", "Browser", "chromium_path", "open_browser"]

CHROMIUM = "/usr/bin/chromium"

XTERM_HOOK = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    window.__jobtuiTerminal = value;
    Object.defineProperty(this, "terminal", {
      value, writable: true, configurable: true, enumerable: true,
    });
  },
});
"""

SCREEN_TEXT = """
(() => {
  const term = window.__jobtuiTerminal;
  if (!term || !term.buffer) return null;
  const buffer = term.buffer.active, rows = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
})()
"""

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
)


def chromium_path() -> str | None:
    """Debian's chromium, or another on PATH; None when there is none."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One page of a running headless Chromium."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())
        self.session: str | None = None

    async def _read(self) -> None:
        async for message in self._socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            future = self._waiting.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """One protocol command on the page (or the browser before ``open_page``)."""
        number = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[number] = future
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if self.session is not None:
            message["sessionId"] = self.session
        await self._socket.send_str(json.dumps(message))
        answer = await asyncio.wait_for(future, 30)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return dict(answer.get("result", {}))

    async def open_page(self, width: int, height: int) -> None:
        """A fresh page of ``width``×``height`` CSS pixels, with the xterm hook installed."""
        target = await self.call("Target.createTarget", url="about:blank")
        attached = await self.call(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        self.session = attached["sessionId"]
        await self.call("Page.enable")
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        await self.call("Page.addScriptToEvaluateOnNewDocument", source=XTERM_HOOK)

    async def navigate(self, url: str) -> None:
        """Load ``url`` in the page."""
        await self.call("Page.navigate", url=url)

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def screen_text(self) -> str:
        """The terminal's visible rows as text ('' before it exists)."""
        return str(await self.evaluate(SCREEN_TEXT) or "")

    async def wait_for_screen(self, wanted: str, what: str, timeout: float = 60.0) -> str:  # noqa: ASYNC109
        """Poll the terminal's rows until ``wanted`` shows; returns the screen text."""
        screen = ""

        async def refresh() -> None:
            nonlocal screen
            screen = await self.screen_text()

        loop = asyncio.get_running_loop()
        give_up = loop.time() + timeout
        while wanted not in screen:
            if loop.time() > give_up:
                raise AssertionError(f"never happened within {timeout}s: {what}\n{screen}")
            await refresh()
            if wanted not in screen:
                await asyncio.sleep(0.05)  # the polling step of a deadline-bound wait
        return screen

    async def press(self, text: str) -> None:
        """Type ``text`` as key presses into the terminal (xterm's textarea, focused first)."""
        await self.evaluate("window.__jobtuiTerminal && window.__jobtuiTerminal.focus()")
        for char in text:
            await self.call("Input.dispatchKeyEvent", type="keyDown", text=char, key=char)
            await self.call("Input.dispatchKeyEvent", type="keyUp", key=char)

    async def screenshot(self, path: Path) -> None:
        """Save what the page shows as a PNG."""
        shot = await self.call("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))

    async def close(self) -> None:
        """Stop reading (the socket is closed by ``open_browser``)."""
        self._reader.cancel()


@contextlib.asynccontextmanager
async def open_browser(profile: Path, executable: str | None = None) -> AsyncIterator[Browser]:
    """A headless Chromium on a throwaway ``profile``; killed on the way out."""
    binary = executable or chromium_path()
    if binary is None:
        raise RuntimeError("no chromium to run")
    port_file = profile / "DevToolsActivePort"
    await asyncio.to_thread(profile.mkdir, parents=True, exist_ok=True)
    # A previous run's port would send us nowhere.
    await asyncio.to_thread(port_file.unlink, missing_ok=True)
    process = await asyncio.create_subprocess_exec(
        binary,
        *FLAGS,
        f"--user-data-dir={profile}",
        "about:blank",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        await wait_for(
            lambda: port_file.exists() and len(port_file.read_text().split()) >= 2,
            "chromium wrote its DevTools port",
            timeout=60,
        )
        port, path = port_file.read_text().split()[:2]
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0) as socket,
        ):
            browser = Browser(socket)
            try:
                yield browser
            finally:
                await browser.close()
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the browser and its helpers
        await asyncio.wait_for(process.wait(), 30)
