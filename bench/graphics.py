"""Sixel and Kitty previews: our encoders against ``textual-image`` (when it is installed).

    .venv/bin/python -m bench.graphics
    PYTHONPATH=/path/to/textual-image .venv/bin/python -m bench.graphics   # with the library

``textual-image`` is not a dependency; this compares against it only when it
can be imported (0.12 is the newest for Python 3.11). Measured in one run:

- start-up in a terminal that never answers (a pty nobody reads queries
  from, as a slow SSH link or a terminal without the feature looks): the
  seconds ``import textual_image.widget`` blocks and the bytes of queries it
  writes, against jobtui's ``open_graphics`` (no query: the user chose);
- Sixel encoding of a photo-sized picture (600 × 360 pixels, the Preview box
  of 60 × 18 cells at 10 × 20 pixels): median seconds and bytes, ours against
  ``textual_image._sixel.image_to_sixels``, and their ratio;
- Kitty: the bytes our transmission takes for the same picture as PNG.

Figures are for people; tests never assert them.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from typing import Any

from bench.common import Figure, Mode, median

SECTION = "graphics"
SIZE = (600, 360)


def photo() -> Any:
    """A photo-like picture: smooth gradients, a fractal's detail, soft noise."""
    from PIL import Image, ImageFilter

    detail = Image.effect_mandelbrot(SIZE, (-2.2, -1.1, 1.0, 1.1), 80)
    across = Image.linear_gradient("L").rotate(90).resize(SIZE)
    down = Image.linear_gradient("L").resize(SIZE)
    noise = Image.effect_noise(SIZE, 24).filter(ImageFilter.GaussianBlur(1))
    red = Image.blend(detail, across, 0.5)
    return Image.merge("RGB", (red, Image.blend(down, noise, 0.3), Image.blend(detail, down, 0.6)))


_PRELOAD = "import time, os, PIL.Image, rich.console, textual.widget; "


def _silent_terminal_start(preload: str, code: str) -> tuple[float, int]:
    """Seconds ``code`` blocks in a child on a pty that never answers, and bytes it writes.

    ``preload`` (the modules, which ask nothing) runs first and is not counted:
    what is timed is the step that may wait for a terminal's reply.
    """
    master, slave = pty.openpty()
    # 120 × 36 cells, no pixel size: what tmux and many terminals report.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    child = subprocess.Popen(
        [sys.executable, "-c", _PRELOAD + preload + "; start = time.perf_counter(); " + code
         + "; os.write(2, b'T=%f' % (time.perf_counter() - start))"],
        stdin=slave, stdout=slave, stderr=subprocess.PIPE,
    )  # fmt: skip
    os.close(slave)
    written = b""
    while child.poll() is None:
        if select.select([master], [], [], 0.05)[0]:
            try:
                written += os.read(master, 65536)
            except OSError:
                break
    assert child.stderr is not None
    report = child.stderr.read().decode()
    os.close(master)
    seconds = float(report.rsplit("T=", 1)[1]) if "T=" in report else float("nan")
    return seconds, len(written)


def run(mode: Mode) -> list[Figure]:
    from jobtui.preview.kitty import kitty_transmit
    from jobtui.preview.raster import png_bytes
    from jobtui.preview.sixel import sixel_encode

    try:
        from textual_image._sixel import image_to_sixels
    except ImportError:
        image_to_sixels = None

    rounds = max(3, mode.rounds)
    picture = photo()
    ours, theirs = [], []
    ours_bytes = theirs_bytes = 0
    for _ in range(rounds):  # interleaved: load on the machine hits both alike
        start = time.perf_counter()
        ours_bytes = len(sixel_encode(picture))
        ours.append(time.perf_counter() - start)
        if image_to_sixels is not None:
            start = time.perf_counter()
            theirs_bytes = len(image_to_sixels(picture))
            theirs.append(time.perf_counter() - start)
    kitty_bytes = sum(len(c) for c in kitty_transmit(png_bytes(picture), 1))
    figures = [
        Figure(SECTION, "sixel encode 600x360, ours", median(ours), "s"),
        Figure(SECTION, "sixel bytes 600x360, ours", float(ours_bytes), "bytes"),
        Figure(SECTION, "kitty bytes 600x360 (PNG, base64 chunks)", float(kitty_bytes), "bytes"),
    ]
    ours_start, ours_written = _silent_terminal_start(
        "from jobtui.tui.terminal.graphics import open_graphics",
        "open_graphics('sixel', print, env=dict(os.environ, TMUX=''), ascii_only=False)",
    )
    figures += [
        Figure(SECTION, "blocked at start in a silent terminal, jobtui", ours_start, "s"),
        Figure(SECTION, "queries written at start, jobtui", float(ours_written), "bytes"),
    ]
    if image_to_sixels is None:
        figures.append(Figure(SECTION, "textual-image", None, "n/a", detail={"installed": False}))
        return figures
    theirs_start, theirs_written = _silent_terminal_start(
        "import textual_image._sixel, textual_image._terminal, textual_image.renderable.sixel",
        "import textual_image.widget",
    )
    figures += [
        Figure(SECTION, "sixel encode 600x360, textual-image 0.12", median(theirs), "s"),
        Figure(SECTION, "sixel bytes 600x360, textual-image 0.12", float(theirs_bytes), "bytes"),
        Figure(
            SECTION, "encode time ratio textual-image / ours", median(theirs) / median(ours), "x"
        ),
        Figure(SECTION, "blocked at start in a silent terminal, textual-image", theirs_start, "s"),
        Figure(SECTION, "queries written at start, textual-image", float(theirs_written), "bytes"),
    ]
    return figures


if __name__ == "__main__":
    from bench.common import MODES

    print("load average:", os.getloadavg())
    for figure in run(MODES["quick"]):
        value = "n/a" if figure.value is None else f"{figure.value:.4g}"
        print(f"{figure.name:55} {value} {figure.unit}")
