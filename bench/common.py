"""What every benchmark section shares: modes, figures, medians, child processes.

A section is a function ``run(mode) -> list[Figure]``. Figures carry their
unit and, where DESIGN.md or issue 7 sets one, the target they are held
against; ``__main__`` prints them as one table and writes ``results.json``.
"""

from __future__ import annotations

import math
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "MODES",
    "Figure",
    "LatencyProxy",
    "Mode",
    "SimProcess",
    "cpu_seconds",
    "median",
    "peak_rss_mb",
    "percentile",
    "pin",
    "unpin",
    "wait_until",
]

ModeName = Literal["smoke", "quick", "full"]


@dataclass(frozen=True)
class Mode:
    """How big each section runs."""

    name: ModeName
    rounds: int
    """A/B rounds for every comparison (medians are reported)."""
    sweep_per_provider: int
    """Jobs per provider in the polling sweep."""
    fresh_per_provider: int
    """Jobs per provider watched in the freshness run."""
    fresh_seconds: float
    """Real seconds the freshness run observes."""
    fresh_speed: float
    """Simulated seconds per real second during the freshness run."""
    tui_sizes: tuple[int, ...]
    """Stored jobs for the dashboard figures (first paint, keys, RSS)."""
    tui_keys: int
    """Keys sent per kind (cursor, filter, sort) in the pty."""
    idle_seconds: float
    """Seconds the idle / polling dashboard is watched for CPU and bytes."""
    poll_per_provider: int
    """Jobs per provider polled from the simulator while the dashboard is watched."""
    sim_seconds: float
    """Seconds per simulator-throughput scenario."""
    far_per_provider: int = 40
    """Jobs per provider in the sweep through the latency proxy (a provider 20 ms away)."""
    real_per_provider: tuple[int, ...] = (2000,)
    """Jobs per provider of each real-shaped store (``bench.realstore``; empty: none)."""
    calm_window: float = 1.0
    """Seconds under 5 % CPU that count as a settled dashboard before idle figures are taken."""


MODES: dict[str, Mode] = {
    "smoke": Mode(
        # Smoke figures are never read: the shortest windows that still run every step.
        "smoke", 1, 4, 3, 1.5, 5.0, (200,), 1, 0.5, 4, 0.3, far_per_provider=2,
        real_per_provider=(), calm_window=0.25,
    ),
    "quick": Mode("quick", 3, 200, 100, 30.0, 5.0, (10_000,), 20, 5.0, 100, 2.0),
    "full": Mode(
        "full", 3, 2000, 400, 120.0, 5.0, (10_000, 100_000), 40, 15.0, 2000, 5.0,
        far_per_provider=200, real_per_provider=(2000, 20_000),
    ),
}


@dataclass
class Figure:
    """One measured number, with what it is held against."""

    section: str
    name: str
    value: float | None
    unit: str
    target: str | None = None
    """The target in words, e.g. ``>= 3x`` (None: a figure without target)."""
    met: bool | None = None
    """Whether the target is met (None: no target, or not measurable)."""
    detail: dict[str, Any] = field(default_factory=dict)
    """Raw rounds and context, for results.json."""

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form (NaN becomes None)."""
        data = asdict(self)
        if isinstance(self.value, float) and math.isnan(self.value):
            data["value"] = None
        return data


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` percentile (0..1) by linear interpolation; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    """The median; NaN when empty."""
    return statistics.median(values) if values else math.nan


def pin(cpu: int) -> None:
    """Run the calling process on one CPU, when the machine has it."""
    if hasattr(os, "sched_setaffinity") and cpu in os.sched_getaffinity(0):
        os.sched_setaffinity(0, {cpu})


def unpin() -> None:
    """Let the calling process run on every CPU again."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used, from /proc/<pid>/stat."""
    text = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces: fields start after its closing parenthesis.
    fields = text[text.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def family_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its live children (a dashboard and its poller)."""
    total = cpu_seconds(pid)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == pid:
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            ticks = os.sysconf("SC_CLK_TCK")
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident set (VmHWM) in MB; NaN when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return math.nan


class LatencyProxy:
    """``bench.latency_proxy`` in a child process on the simulator's CPU."""

    def __init__(self, target: str, delay: float, cpu: int = 0) -> None:
        command = [sys.executable, "-m", "bench.latency_proxy", "--target", target]
        command += ["--delay", f"{delay:g}"]
        self.process = subprocess.Popen(
            command, stderr=subprocess.PIPE, text=True, preexec_fn=lambda: pin(cpu)
        )
        assert self.process.stderr is not None
        ready = self.process.stderr.readline()
        if " at " not in ready:
            self.stop()
            raise RuntimeError(f"latency proxy did not start: {ready.strip()}")
        self.url = ready.split(" at ")[1].split()[0]

    def stop(self) -> None:
        """Stop the proxy."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> LatencyProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class SimProcess:
    """``jobtui sim`` in a child process pinned to one CPU: its URL and its config.

    A child process, not a thread: the simulator must not share the
    interpreter lock with the client it is measured against.
    """

    def __init__(
        self, workdir: Path, *, jobs: int, speed: float = 0.0, seed: int = 1, cpu: int = 0
    ) -> None:
        self.config_file = workdir / "sim-config.toml"
        command = [sys.executable, "-m", "jobtui", "sim", "--port", "0"]
        command += ["--speed", f"{speed:g}", "--jobs", str(jobs), "--seed", str(seed)]
        # The config (one [[jobs]] per seeded job) can exceed a pipe's buffer: a file.
        with self.config_file.open("w") as out:
            self.process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.PIPE,
                text=True,
                preexec_fn=lambda: pin(cpu),
            )
        assert self.process.stderr is not None
        ready = self.process.stderr.readline()
        if " at " not in ready:
            self.stop()
            raise RuntimeError(f"simulator did not start: {ready.strip()}")
        self.url = ready.split(" at ")[1].split()[0]

    def config_text(self) -> str:
        """The config the simulator printed (providers and seeded ``[[jobs]]``)."""
        return self.config_file.read_text()

    def stop(self) -> None:
        """Stop the simulator (SIGINT, then SIGKILL after 20 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def wait_until(predicate: Any, timeout: float, step: float = 0.05) -> bool:
    """Poll ``predicate()`` until true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
