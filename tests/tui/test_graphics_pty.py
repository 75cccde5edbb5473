"""Opted-in Sixel and Kitty pictures reach a real terminal: ``python -m jobtui`` in a pty,
the simulator's Tensor.Art results, the Preview tab opened with ``i``. The bytes the child
writes are read back: Kitty's chunked transmission and placement at the widget's cell,
deleted when the tab is left; a Sixel that decodes to the reserved box; inside tmux every
sequence wrapped in a passthrough with its ESCs doubled."""

from __future__ import annotations

import os
import re
import select
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tomli_w

from jobtui.sim import Simulator

from support.engine_sim import write_config
from support.pty_run import PtyChild
from support.sixel_decode import decode_sixel

TART = "tensorart"


def config_with_images(tmp_path: Path, sim: Simulator, images: str) -> None:
    path = write_config(tmp_path / "config.toml", sim, only=(TART,))
    data = tomllib.loads(path.read_text())
    data.setdefault("ui", {})["images"] = images
    path.write_text(tomli_w.dumps(data))


def wait_for(child: PtyChild, text: bytes, what: str, deadline: float = 90) -> None:
    """Read the child's output until ``text`` was written, failing after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while text not in child.seen:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"never written: {what} ({text!r}); last: {child.seen[-400:]!r}")
        select.select([child.master], [], [], min(left, 0.5))
        child.drain()


@pytest.fixture
def preview_child(
    start_sim: Callable[..., Simulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], PtyChild]]:
    # pytest-xdist workers carry COLUMNS=80 and LINES=24, which the child would take over
    # the pty's 120 x 40: at 80 x 24 the detail pane is too short for a whole picture.
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
    children: list[PtyChild] = []

    def open_preview(images: str) -> PtyChild:
        sim = start_sim(jobs=8, seed=3, speed=0)
        sim.clock.advance(10_000)  # every job finished: successes name their images
        config_with_images(tmp_path, sim, images)
        # Remembered from a last session: the list opens on the successes, the cursor on one.
        prefs = tmp_path / "state" / "jobtui" / "prefs.toml"
        prefs.parent.mkdir(parents=True, exist_ok=True)
        prefs.write_text('filter = "state:succeeded"\n')
        child = PtyChild([], tmp_path)
        children.append(child)
        # The tab strip offers Preview once the detail pane shows a job naming images.
        wait_for(child, b"Preview", "the Preview tab offered")
        os.write(child.master, b"i")
        return child

    yield open_preview
    for child in children:
        child.cleanup()


def quit_child(child: PtyChild) -> None:
    os.write(child.master, b"q")
    while child.process.poll() is None:  # keep reading: a full pty would block the exit
        select.select([child.master], [], [], 0.2)
        child.drain()
    assert child.wait_exit() == 0


def test_kitty_picture_is_sent_in_chunks_placed_then_hidden(
    preview_child: Callable[[str], PtyChild],
) -> None:
    child = preview_child("kitty")
    wait_for(child, b"\x1b_Ga=p,", "a Kitty placement")
    transmit = re.search(rb"\x1b_Ga=t,f=100,t=d,i=(\d+),q=2,m=([01]);", child.seen)
    assert transmit is not None, "no transmission before the placement"
    image_id = transmit.group(1)
    chunks = re.findall(
        rb"\x1b_G(?:a=t[^;]*,)?m=([01])(?:,q=2)?;([A-Za-z0-9+/=]*)\x1b\\", child.seen
    )
    assert chunks and chunks[-1][0] == b"0" and all(m == b"1" for m, _ in chunks[:-1])
    assert all(len(payload) <= 4096 for _, payload in chunks)
    placement = re.search(
        rb"\x1b7\x1b\[(\d+);(\d+)H\x1b_Ga=p,i="
        + image_id
        + rb",p=1,c=(\d+),r=(\d+),C=1,q=2\x1b\\\x1b8",
        child.seen,
    )
    assert placement is not None, "the placement is written at a cell, the cursor restored"
    columns, rows = int(placement.group(3)), int(placement.group(4))
    assert 0 < columns <= 120 and 0 < rows <= 18
    assert b"Kitty graphics" in child.seen
    os.write(child.master, b"[")  # back to the Timeline tab: the picture must go
    wait_for(child, b"\x1b_Ga=d,d=i,i=" + image_id + b",q=2\x1b\\", "the placement deleted")
    quit_child(child)


def test_sixel_picture_fills_the_reserved_cells(
    preview_child: Callable[[str], PtyChild],
) -> None:
    child = preview_child("sixel")
    wait_for(child, b"\x1bP0;1;0q", "a Sixel")
    wait_for(child, b"\x1b\\\x1b8", "the Sixel's end, the cursor restored")
    start = child.seen.index(b"\x1bP0;1;0q")
    end = child.seen.index(b"\x1b\\", start) + 2
    width, height, pixels = decode_sixel(child.seen[start:end].decode("ascii"))
    # The pty reports no pixel size: 10 × 20 pixels a cell are assumed, and said.
    assert width % 10 == 0 and height % 20 == 0 and 0 < height <= 18 * 20
    assert len(pixels) == width * height
    assert b"assuming" in child.seen
    quit_child(child)


def test_inside_tmux_every_sequence_passes_through(
    preview_child: Callable[[str], PtyChild], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A TMUX variable naming no server: tmux cannot be asked, so the line says what it needs.
    monkeypatch.setenv("TMUX", "/nonexistent/jobtui-test,1,0")
    child = preview_child("kitty")
    wait_for(child, b"\x1bPtmux;\x1b\x1b7\x1b\x1b[", "a placement through tmux")
    assert b"\x1bPtmux;\x1b\x1b_Ga=t,f=100" in child.seen
    assert b"\x1b_Ga=t" not in child.seen.replace(b"\x1b\x1b_Ga=t", b"")  # never bare
    wait_for(child, b"passthrough", "the line about allow-passthrough")
    quit_child(child)
