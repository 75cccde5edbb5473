"""The dashboard with ``[ui] images = "kitty"`` or ``"sixel"``: what the graphics layer writes
to the terminal as the Preview tab is opened, covered by another screen, uncovered, and left.

The real app under Pilot (headless: Textual writes no frame, but the layer still hears of
each one and writes through ``terminal_write``, which the test captures), a real store, the
picture served by a loopback server.
"""

from __future__ import annotations

import io
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from jobtui.model import JobState
from jobtui.tui.app import make_app
from jobtui.tui.screens.help import HelpScreen

from support.scripted_server import Reply, serve
from support.sixel_decode import decode_sixel
from support.tui_data import FrozenClock, open_store, seed_store, shell_config, watched
from support.waiting import wait_until


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 48), (30, 160, 90)).save(out, "PNG")
    return out.getvalue()


async def run_preview(tmp_path: Path, images: str, steps: Any) -> list[str]:
    written: list[str] = []
    with serve() as host:
        host.script("GET", "/a.png", Reply(200, png(), {"content-type": "image/png"}))
        raw = {"job": {"id": "t1", "status": "SUCCESS",
                       "successInfo": {"images": [{"url": f"{host.url}/a.png"}]}}}  # fmt: skip
        store = open_store(tmp_path / "store.sqlite")
        seed_store(store, [watched("tart", "t1", JobState.SUCCEEDED, summary="1 image", raw=raw)])
        try:
            app = make_app(
                shell_config(images=images), store, FrozenClock(), None,
                prefs_path=tmp_path / "prefs.toml", ascii_only=False, tz=UTC,
            )  # fmt: skip
            app.terminal_write = written.append
            async with app.run_test(size=(120, 36)) as pilot:
                await wait_until(pilot, lambda: app.loaded.is_set(), "the store loaded")
                await steps(app, pilot, written)
        finally:
            store.close()
    return written


@pytest.fixture(autouse=True)
def outside_tmux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMUX", raising=False)


async def test_kitty_is_placed_hidden_under_help_placed_again_moved_and_hidden(
    tmp_path: Path,
) -> None:
    async def steps(app: Any, pilot: Any, written: list[str]) -> None:
        await pilot.press("i")
        await wait_until(pilot, lambda: any("a=p," in w for w in written), "a placement")
        assert sum("a=t," in w for w in written) == 1  # transmitted once
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help open")
        await wait_until(pilot, lambda: "a=d,d=i," in written[-1], "hidden under help")
        await pilot.press("escape")
        await wait_until(pilot, lambda: "a=p," in written[-1], "placed again")
        assert sum("a=t," in w for w in written) == 1  # the terminal kept the data
        before = written[-1]
        await pilot.resize_terminal(140, 44)  # a taller pane: a larger picture, elsewhere
        await wait_until(
            pilot,
            lambda: "a=p," in written[-1] and written[-1] != before,
            "placed anew",
        )
        await pilot.press("left_square_bracket")  # to the Timeline tab
        await wait_until(pilot, lambda: "a=d,d=i," in written[-1], "hidden with its tab")
        placements = len([w for w in written if "a=p," in w])
        await pilot.press("j")  # nothing on screen changes for the picture: nothing written
        await pilot.pause()
        assert len([w for w in written if "a=p," in w]) == placements

    await run_preview(tmp_path, "kitty", steps)


async def test_sixel_is_written_at_the_reserved_cells(tmp_path: Path) -> None:
    async def steps(app: Any, pilot: Any, written: list[str]) -> None:
        await pilot.press("i")
        await wait_until(pilot, lambda: any("\x1bP0;1;0q" in w for w in written), "a Sixel")

    written = await run_preview(tmp_path, "sixel", steps)
    sixel = next(w for w in written if "\x1bP0;1;0q" in w)
    assert sixel.startswith("\x1b7\x1b[") and sixel.endswith("\x1b8")
    body = sixel[sixel.index("\x1bP") : sixel.rindex("\x1b\\") + 2]
    width, height, pixels = decode_sixel(body)
    assert width % 10 == 0 and height % 20 == 0  # whole cells at the assumed 10 × 20
    middle = pixels[(width // 2, height // 2)]  # registers are percentages: ±2 a level
    assert all(abs(a - b) <= 2 for a, b in zip(middle, (30, 160, 90), strict=True))
