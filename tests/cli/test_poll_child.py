"""The dashboard polls in a child process of its own, which lives exactly as long as it does.

Real processes in a real pty, the simulator over loopback, one store file.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from jobtui.cli.pollchild import CHILD_NICENESS
from jobtui.sim import Simulator
from jobtui.store import Store

from support.engine_sim import write_config
from support.pty_run import PtyChild
from support.waiting import wait_until_sync

StartSim = Callable[..., Simulator]
TART = "tensorart"
STEADY = {"poll_interval": 0.5, "max_interval": 0.5, "rate_limit": 1000.0}


def holder(path: Path) -> int | None:
    """The pid holding the live lease of Tensor.Art, if any."""
    if not path.exists():
        return None
    with Store(path) as store:
        lease = store.leases().get(TART)
    return lease.pid if lease is not None and lease.live(datetime.now(UTC)) else None


def parent_of(pid: int) -> int | None:
    """The parent pid of a live process (None once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(text[text.rindex(")") + 2 :].split()[1])


def niceness(pid: int) -> int:
    """The nice value of a live process."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return int(text[text.rindex(")") + 2 :].split()[16])


def gone(pid: int) -> bool:
    """Whether ``pid`` no longer runs (a zombie counts as gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return text[text.rindex(")") + 2 :].split()[0] == "Z"


def polled(path: Path) -> bool:
    with Store(path) as store:
        return any(job.polled_at is not None for job in store.list_jobs(provider=TART))


def watching(dashboard: PtyChild) -> Callable[[], None]:
    """A wait step that reads the screen for a moment, so the dashboard never blocks on it."""

    def step() -> None:
        if select.select([dashboard.master], [], [], 0.05)[0]:
            dashboard.drain()

    return step


def start(tmp_path: Path, sim: Simulator, **kwargs: object) -> PtyChild:
    write_config(tmp_path / "config.toml", sim, only=(TART,), defaults=STEADY)
    (tmp_path / "config.toml").chmod(0o600)
    return PtyChild([], tmp_path, **kwargs)  # type: ignore[arg-type]


def test_the_dashboard_polls_in_its_child_and_takes_it_along_when_it_quits(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=4, seed=3, speed=0)
    store = tmp_path / "jobs.sqlite"
    dashboard = start(tmp_path, sim)
    try:
        dashboard.wait_for(b"Jobs")
        wait_until_sync(
            lambda: holder(store) is not None,
            "someone took the lease",
            60,
            step=watching(dashboard),
        )
        child = holder(store)
        assert child is not None and child != dashboard.process.pid
        assert parent_of(child) == dashboard.process.pid
        # The screen comes first when both want a core.
        assert niceness(child) == min(19, niceness(dashboard.process.pid) + CHILD_NICENESS)
        wait_until_sync(
            lambda: polled(store), "the child polled the jobs", 60, step=watching(dashboard)
        )
        os.write(dashboard.master, b"q")
        wait_until_sync(
            lambda: dashboard.process.poll() is not None,
            "the dashboard quit",
            60,
            step=watching(dashboard),
        )
        assert dashboard.wait_exit() == 0
        assert gone(child)
        assert holder(store) is None  # the child handed its lease back at once
    finally:
        dashboard.cleanup()


def test_a_killed_dashboards_child_ends_and_hands_its_lease_back(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=2, seed=4, speed=0)
    store = tmp_path / "jobs.sqlite"
    dashboard = start(tmp_path, sim)
    try:
        dashboard.wait_for(b"Jobs")
        wait_until_sync(
            lambda: holder(store) is not None,
            "someone took the lease",
            60,
            step=watching(dashboard),
        )
        child = holder(store)
        assert child is not None and child != dashboard.process.pid
        dashboard.process.send_signal(signal.SIGKILL)
        dashboard.wait_exit()
        wait_until_sync(
            lambda: gone(child), "the orphaned poller ended", 60, step=watching(dashboard)
        )
        assert holder(store) is None
    finally:
        dashboard.cleanup()


def test_jobtui_poller_loop_keeps_polling_in_the_dashboard(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=2, seed=6, speed=0)
    store = tmp_path / "jobs.sqlite"
    dashboard = start(tmp_path, sim, env={"JOBTUI_POLLER": "loop"})
    try:
        dashboard.wait_for(b"Jobs")
        wait_until_sync(
            lambda: holder(store) == dashboard.process.pid,
            "the dashboard took the lease",
            60,
            step=watching(dashboard),
        )
        os.write(dashboard.master, b"q")
        wait_until_sync(
            lambda: dashboard.process.poll() is not None,
            "the dashboard quit",
            60,
            step=watching(dashboard),
        )
        assert dashboard.wait_exit() == 0
    finally:
        dashboard.cleanup()


# A process that starts the dashboard's poller child as the dashboard does, then
# releases or stops it when told on stdin (the dashboard's screen is not the point).
STARTER = """
import sys
from pathlib import Path
from jobtui.cli.pollchild import start_poll_child
from jobtui.config import load_config

child = start_poll_child(load_config(Path(sys.argv[1])), sys.argv[2])
print(child.pid, flush=True)
for line in sys.stdin:
    if line.strip() == "release":
        child.release()
    elif line.strip() == "stop":
        child.stop()
        print("stopped", flush=True)
        break
"""


def waiting_in_select(pid: int) -> bool:
    """Whether ``pid`` sleeps in select()/poll(), not in an event loop's epoll.

    Where the kernel does not say (``wchan`` reads 0), sleeping at all is taken.
    """
    try:
        wchan = Path(f"/proc/{pid}/wchan").read_text().strip()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    if wchan in ("", "0"):
        return state == "S"
    return ("select" in wchan or "poll" in wchan) and "ep_poll" not in wchan


@contextlib.contextmanager
def waiting_child(
    tmp_path: Path, sim: Simulator
) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    """(the starter process, its child's pid, the store), the child waiting for its go."""
    write_config(tmp_path / "config.toml", sim, only=(TART,), defaults=STEADY)
    (tmp_path / "config.toml").chmod(0o600)
    store = tmp_path / "jobs.sqlite"
    process = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(tmp_path / "config.toml"), str(store)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        child = int(process.stdout.readline())
        wait_until_sync(lambda: waiting_in_select(child), "the child waiting for its go", 30)
        yield process, child, store
    finally:
        process.kill()
        process.wait()


def tell(process: subprocess.Popen[str], line: str) -> None:
    assert process.stdin is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()


def stop(process: subprocess.Popen[str]) -> None:
    """Stop the child as the dashboard does at its end, and see it done."""
    tell(process, "stop")
    assert process.stdout is not None and process.stdout.readline().strip() == "stopped"


def test_the_child_starts_once_the_dashboards_first_rows_are_shown(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=2, seed=5, speed=0)
    with waiting_child(tmp_path, sim) as (process, child, store):
        # Waiting, it has not even opened the store: the first frame has the machine.
        assert not store.exists()
        tell(process, "release")
        wait_until_sync(lambda: holder(store) == child, "the released child polling", 60)
        stop(process)
        assert gone(child) and holder(store) is None


def test_a_dashboard_gone_before_its_first_rows_takes_its_waiting_child_along(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(jobs=2, seed=6, speed=0)
    with waiting_child(tmp_path, sim) as (process, child, store):
        stop(process)
        assert gone(child)
        assert not store.exists()  # it never started: no store opened, no lease taken
