"""One poller, many viewers (issue 18): what an open dashboard costs when another process polls.

    .venv/bin/python -m bench.tui_sharing [--jobs-per-provider 2000] [--keys 30] [--idle 20]

- idle viewer: a dashboard in a 120x36 pty over a seeded 10k store that nobody
  writes, (a) with no provider configured, (b) with ``jobtui poll`` holding every
  lease (long intervals, after its first sweep): CPU % and bytes written to the
  terminal over the window (target <= 0.5 %, 0 bytes);
- key latency: ``jobtui sim --jobs N`` (5N active jobs, speed 1, rate limits
  lifted), cursor keys (``j``/``k`` alternately, 150 ms apart) while (a) another
  process (``jobtui poll``) polls them and the dashboard only views, (b) the
  dashboard itself polls them. A key counts from its write to the pty to the
  moment the cursor row is painted on another job (the list keeps the cursor
  on its job while changes reorder the rows); target p95 <= 50 ms.
Figures are for people; tests never assert them.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import Figure, SimProcess, family_cpu_seconds, median, percentile, wait_until
from bench.pty_terminal import PtyProcess
from bench.sweep import config_text
from bench.tui_bigload import seed
from bench.tui_pty import _command, _environment

__all__ = ["run"]

SECTION = "sharing (pty)"
# The list paints its cursor row bold on this background, from column 30 (after the sidebar),
# up to the next cursor move (the scrollbar's column; a frame ends with one too) or line:
# a row is only read once it is whole.
CURSOR = re.compile(
    rb"\x1b\[(\d+);30H(\x1b\[1;[0-9;]*48;2;96;78;50m.*?)(?=\x1b\[\d+;\d+H|\n)", re.S
)
_START_ROWS = 10
"""Rows the cursor goes down before the measured keys (see ``_keys``)."""
_TAIL = 256 * 1024
"""Bytes of output read back to find the row the cursor rests on."""
_ESCAPE = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def _poller(
    config: Path, store: Path, env: dict[str, str], workdir: Path
) -> subprocess.Popen[bytes]:
    head = _command(config, store)
    return subprocess.Popen(
        [*head, "--log-file", str(workdir / "poll.log"), "poll"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=env, cwd=workdir,
    )  # fmt: skip


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _all_leased(store_file: Path, names: set[str], pid: int) -> bool:
    from datetime import UTC, datetime

    from jobtui.store import Store

    with Store(store_file) as store:
        leases = store.leases()
    now = datetime.now(UTC)
    return all(n in leases and leases[n].pid == pid and leases[n].live(now) for n in names)


def _all_polled(store_file: Path) -> bool:
    import sqlite3

    with sqlite3.connect(f"file:{store_file}?mode=ro", uri=True) as conn:
        return not conn.execute("SELECT 1 FROM jobs WHERE polled_at IS NULL LIMIT 1").fetchone()


def _cursor_jobs(output: bytes) -> list[tuple[str, str]]:
    """The job (provider, id as drawn) of every cursor row painted in ``output``, in order.

    The columns are the sign, the state glyph and word, the provider, the id (a
    job never polled has nothing after it).
    """
    jobs: list[tuple[str, str]] = []
    for match in CURSOR.finditer(output):
        words = _ESCAPE.sub(b"", match.group(2)).decode("utf-8", "replace").split()
        if len(words) >= 5:
            jobs.append((words[3], words[4]))
    return jobs


def _read_since(terminal: PtyProcess, mark: int) -> bytes:
    """The output read since ``mark`` (a count of bytes read).

    The terminal keeps only a tail of its output, trimmed as it grows: an index
    into it taken before a key points elsewhere after a trim (keys went
    "unanswered" when it fell beyond the trimmed end).
    """
    new = terminal.bytes_read - mark
    return bytes(terminal.output[-new:]) if new > 0 else b""


def _keys(terminal: PtyProcess, keys: int) -> list[float]:
    """Milliseconds from each cursor key to the cursor painted on another job.

    The list keeps its cursor on its job while engine changes reorder the rows,
    so the cursor's screen line moves without any key; the job the cursor row
    names changes only with a key. A key counts from its write to the pty to the
    first cursor row painted on a job other than the one before the key.

    The keys start ``_START_ROWS`` rows down: on the first row an up key moves
    nothing and paints nothing (the rows reordering around the cursor's job
    could bring it there between a down key and the next up key).
    """
    terminal.settle(0.3, timeout=3)
    for _ in range(_START_ROWS):
        terminal.send(b"j")
        terminal.settle(0.1, timeout=2)
    terminal.settle(0.3, timeout=3)
    shown = _cursor_jobs(bytes(terminal.output))
    if not shown:
        raise RuntimeError("no cursor row found on the screen")
    job = shown[-1]
    found: list[float] = []
    for index in range(keys):
        mark = terminal.bytes_read
        sent = terminal.send(b"j" if index % 2 == 0 else b"k")
        deadline = sent + 5
        while time.perf_counter() < deadline:
            terminal.read(deadline - time.perf_counter())
            moved = [j for j in _cursor_jobs(_read_since(terminal, mark)) if j != job]
            if moved:
                found.append(1000 * (time.perf_counter() - sent))
                break
        pause_until = time.perf_counter() + 0.15
        while (left := pause_until - time.perf_counter()) > 0:
            terminal.read(left)
        # Where the cursor rests now: the last cursor row painted (a frame is far
        # shorter than the tail read).
        job = (_cursor_jobs(bytes(terminal.output[-_TAIL:])) or [job])[-1]
    return found


def _idle(workdir: Path, idle: float) -> list[Figure]:
    from jobtui.model import JobState
    from jobtui.store import Store

    env = _environment(workdir)
    figures: list[Figure] = []
    empty = workdir / "empty.toml"
    empty.write_text("")
    store_file = workdir / "idle.sqlite"
    with Store(store_file) as store:
        seed(store, 10_000, JobState.RUNNING)
    with PtyProcess(_command(empty, store_file), env, workdir) as terminal:
        terminal.wait_for(b"job-0", timeout=120)
        terminal.calm()
        cpu, rate = terminal.watch(idle)
    figures.append(
        Figure(
            SECTION,
            "idle viewer CPU, no providers, 10k active",
            cpu,
            "%",
            "<= 0.5 %",
            cpu <= 0.5,
            {"seconds": idle},
        )
    )
    figures.append(
        Figure(
            SECTION,
            "idle viewer bytes to terminal, no providers",
            rate * idle,
            "B",
            "0 B",
            rate == 0,
            {"seconds": idle},
        )
    )
    return figures


def _idle_with_poller(workdir: Path, per_provider: int, idle: float) -> list[Figure]:
    import tomllib

    import tomli_w

    env = _environment(workdir)
    with SimProcess(workdir, jobs=per_provider, speed=0.0, cpu=0) as sim:
        data = tomllib.loads(config_text(sim.config_text(), 1000.0, 16))
        data["defaults"] = {"poll_interval": 3600.0, "max_interval": 3600.0}
        config = workdir / "slow.toml"
        config.write_text(tomli_w.dumps(data))
        config.chmod(0o600)
        store_file = workdir / "leased.sqlite"
        poller = _poller(config, store_file, env, workdir)
        try:
            names = set(data["providers"])
            wait_until(
                lambda: store_file.exists() and _all_leased(store_file, names, poller.pid), 120
            )
            # Nobody writes the store from here on (but the lease heartbeats): the
            # poller's first sweep is over and the next poll is an hour away.
            wait_until(lambda: _all_polled(store_file), 150, step=0.5)
            needles = [str(job["id"]).encode() for job in data.get("jobs", [])]
            with PtyProcess(_command(config, store_file), env, workdir) as terminal:
                terminal.wait_for(needles, timeout=120)
                terminal.calm(timeout=60)
                terminal.settle(2.0, timeout=60)
                cpu, rate = terminal.watch(idle)
        finally:
            _stop(poller)
    label = f"{per_provider * 5:,} jobs, another process holds the leases"
    return [
        Figure(
            SECTION,
            f"idle viewer CPU, {label}",
            cpu,
            "%",
            "<= 0.5 %",
            cpu <= 0.5,
            {"seconds": idle},
        ),
        Figure(
            SECTION,
            f"idle viewer bytes to terminal, {label}",
            rate * idle,
            "B",
            "0 B",
            rate == 0,
            {"seconds": idle},
        ),
    ]


def _latency(workdir: Path, per_provider: int, keys: int) -> list[Figure]:
    import tomllib

    env = _environment(workdir)
    figures: list[Figure] = []
    with SimProcess(workdir, jobs=per_provider, speed=1.0, cpu=0) as sim:
        text = config_text(sim.config_text(), 1000.0, 16)
        config = workdir / "fast.toml"
        config.write_text(text)
        config.chmod(0o600)
        data = tomllib.loads(text)
        names = set(data["providers"])
        needles = [str(job["id"]).encode() for job in data.get("jobs", [])]
        for case in ("another process polls", "the dashboard polls"):
            store_file = workdir / f"poll-{len(figures)}.sqlite"
            poller = _poller(config, store_file, env, workdir) if "another" in case else None
            try:
                if poller is not None:
                    wait_until(
                        lambda p=poller, s=store_file: s.exists() and _all_leased(s, names, p.pid),
                        120,
                    )
                with PtyProcess(_command(config, store_file), env, workdir) as terminal:
                    if terminal.wait_for(needles, timeout=120) is None:
                        raise RuntimeError(f"no job painted ({case})")
                    terminal.watch(3.0)  # polling under way
                    # The dashboard's CPU (and its poller child's) while the keys come.
                    cpu_before, started = family_cpu_seconds(terminal.pid), time.perf_counter()
                    values = _keys(terminal, keys)
                    cpu = 100 * (family_cpu_seconds(terminal.pid) - cpu_before)
                    cpu /= time.perf_counter() - started
            finally:
                if poller is not None:
                    _stop(poller)
            p95 = percentile(values, 0.95)
            label = f"{per_provider * 5:,} active jobs, {case}"
            figures.append(
                Figure(
                    SECTION,
                    f"cursor key p50, {label}",
                    median(values),
                    "ms",
                    detail={"samples": values, "sent": keys},
                )
            )
            figures.append(
                Figure(
                    SECTION,
                    f"cursor key p95, {label}",
                    p95,
                    "ms",
                    "<= 50 ms",
                    p95 <= 50,
                    {
                        "max": max(values, default=None),
                        "answered": len(values),
                        "sent": keys,
                        "cpu": cpu,
                    },
                )
            )
    return figures


def run(
    mode: object, *, per_provider: int = 2000, keys: int = 30, idle: float = 20.0
) -> list[Figure]:
    """Every figure of the section."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        figures = _idle(workdir, idle)
        figures += _idle_with_poller(workdir, per_provider, idle)
        figures += _latency(workdir, per_provider, keys)
    return figures


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs-per-provider", type=int, default=2000)
    parser.add_argument("--keys", type=int, default=30)
    parser.add_argument("--idle", type=float, default=20.0)
    parser.add_argument("--only", choices=("idle", "latency"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        figures: list[Figure] = []
        if args.only in (None, "idle"):
            figures += _idle(workdir, args.idle)
            figures += _idle_with_poller(workdir, args.jobs_per_provider, args.idle)
        if args.only in (None, "latency"):
            figures += _latency(workdir, args.jobs_per_provider, args.keys)
    for f in figures:
        met = "" if f.met is None else ("met" if f.met else "MISSED")
        extra = (
            f" max {f.detail['max']:.0f} ms, {f.detail['answered']}/{f.detail['sent']},"
            f" dashboard CPU {f.detail['cpu']:.0f} %"
            if ("max" in f.detail and f.detail["max"] is not None)
            else ""
        )
        print(f"  {f.name:70s} {f.value:10,.2f} {f.unit:3s} {f.target or '':10s} {met}{extra}")


if __name__ == "__main__":
    main()
