"""A process in a real pseudo-terminal: send keys, read what it paints, time both.

The bench plays the terminal emulator: it gives the child a 120x36 pty,
counts every byte the child writes to it, and decides that the screen has
settled when no byte has come for a short quiet spell.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from collections.abc import Sequence
from pathlib import Path

from bench.common import family_cpu_seconds, peak_rss_mb

__all__ = ["PtyProcess"]


class PtyProcess:
    """A child process whose stdin, stdout and stderr are one pty."""

    def __init__(
        self,
        argv: Sequence[str],
        env: dict[str, str],
        cwd: Path,
        columns: int = 120,
        rows: int = 36,
    ) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.master = master
        self.bytes_read = 0
        self.output = bytearray()
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,  # the pty becomes its controlling terminal
            close_fds=True,
        )
        os.close(slave)
        self.closed = False

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.process.pid

    def read(self, timeout: float) -> bytes:
        """What the child wrote within ``timeout`` seconds (b"" if nothing, or it exited)."""
        if self.closed:
            return b""
        ready, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not ready:
            return b""
        try:
            chunk = os.read(self.master, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            self.closed = True
            return b""
        if not chunk:
            self.closed = True
        self.bytes_read += len(chunk)
        # Keep only a tail: searches look at recent output, and 100k-row runs are long.
        self.output += chunk
        if len(self.output) > 1 << 20:
            del self.output[: len(self.output) - (1 << 19)]
        return chunk

    def wait_for(self, needles: bytes | Sequence[bytes], timeout: float) -> float | None:
        """Seconds from the child's start until a needle appears in its output (None: never)."""
        wanted = [needles] if isinstance(needles, bytes) else list(needles)
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and not self.closed:
            self.read(deadline - time.perf_counter())
            if any(needle in self.output for needle in wanted):
                return time.perf_counter() - self.started
        return None

    def settle(self, quiet: float, timeout: float = 5.0) -> tuple[float | None, float | None]:
        """Read until ``quiet`` seconds pass without output: (first, last) byte times or None."""
        first: float | None = None
        last: float | None = None
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and not self.closed:
            if self.read(quiet):
                last = time.perf_counter()
                first = first if first is not None else last
            else:
                break
        return first, last

    def send(self, data: bytes) -> float:
        """Write ``data`` as typed keys; returns the moment it was written."""
        os.write(self.master, data)
        return time.perf_counter()

    def key(self, data: bytes, quiet: float) -> tuple[float | None, float | None]:
        """Send one key: seconds to the first and to the last byte of the screen's answer."""
        self.settle(quiet)
        sent = self.send(data)
        first, last = self.settle(quiet)
        return (
            None if first is None else first - sent,
            None if last is None else last - sent,
        )

    def calm(self, share: float = 0.05, window: float = 1.0, timeout: float = 120.0) -> float:
        """Read until the child uses under ``share`` of a CPU for ``window`` s; seconds taken.

        After the first paint the dashboard may still be busy (the engine reads the
        watch list too): idle and key figures are taken once that is done.
        """
        started = time.perf_counter()
        while time.perf_counter() - started < timeout and not self.closed:
            before = family_cpu_seconds(self.pid)
            began = time.perf_counter()
            while (left := window - (time.perf_counter() - began)) > 0 and not self.closed:
                self.read(left)
            if family_cpu_seconds(self.pid) - before <= share * window:
                break
        return time.perf_counter() - started

    def watch(self, seconds: float) -> tuple[float, float]:
        """Over ``seconds``: the child's CPU share (%) and bytes it wrote per second.

        The CPU counts the child's own children too: a dashboard polls in one.
        """
        cpu_before = family_cpu_seconds(self.pid)
        bytes_before = self.bytes_read
        started = time.perf_counter()
        while (left := seconds - (time.perf_counter() - started)) > 0 and not self.closed:
            self.read(left)
        elapsed = time.perf_counter() - started
        cpu = family_cpu_seconds(self.pid) - cpu_before
        return 100.0 * cpu / elapsed, (self.bytes_read - bytes_before) / elapsed

    def peak_rss_mb(self) -> float:
        """The child's peak resident set so far (VmHWM), MB."""
        return peak_rss_mb(self.pid)

    def close(self, quit_keys: bytes = b"q") -> None:
        """Ask the child to quit with ``quit_keys``, then end it (SIGKILL after 10 s)."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.send(quit_keys)
            deadline = time.perf_counter() + 10
            while self.process.poll() is None and time.perf_counter() < deadline:
                self.read(0.05)  # a child blocked on a full pty cannot exit: keep reading
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
        os.close(self.master)
        self.closed = True

    def __enter__(self) -> PtyProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
