"""Two dashboards in two real terminals on one store: a job added from a shell reaches both.

Real processes (``python -m jobtui``) in real ptys, the simulator over
loopback, ``jobtui add`` from a subprocess. Each step waits for the text it
needs on both screens, with a deadline; nothing sleeps.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from jobtui.sim import Simulator

from support.engine_sim import write_config
from support.pty_run import PtyChild

TART = "tensorart"
STEADY = {"poll_interval": 0.5, "max_interval": 0.5, "rate_limit": 1000.0}


def wait_on_both(children: list[PtyChild], text: bytes, what: str, deadline: float = 90) -> None:
    """Read both screens until ``text`` was drawn on each (both drained, so neither stalls)."""
    end = time.monotonic() + deadline
    while not all(text in child.seen for child in children):
        left = end - time.monotonic()
        if left <= 0:
            tails = [child.seen[-300:] for child in children]
            raise AssertionError(f"never on both screens: {what} ({text!r}); they show {tails!r}")
        select.select([child.master for child in children], [], [], min(left, 0.5))
        for child in children:
            child.drain()


def test_a_job_added_from_a_shell_appears_on_two_open_dashboards(
    start_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = start_sim(jobs=3, seed=4, speed=0)
    config = write_config(tmp_path / "config.toml", sim, only=(TART,), defaults=STEADY)
    # Both children get tmp_path's config.toml and jobs.sqlite: one store, two viewers.
    children = [PtyChild([], tmp_path), PtyChild([], tmp_path)]
    try:
        wait_on_both(children, b"Jobs", "the dashboards painted")
        env = {k: v for k, v in os.environ.items() if not k.startswith("JOBTUI_")}
        new_id = sim.job_ids(TART)[0] + "-x1"
        added = subprocess.run(
            [sys.executable, "-m", "jobtui", "--config", str(config),
             "--store", str(tmp_path / "jobs.sqlite"),
             "add", TART, new_id, "--label", "frompipe"],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        # The id column keeps an id's tail when it cuts one (the label column comes and
        # goes with the width left): the new id's "-x1" tail names the new row.
        wait_on_both(children, b"-x1", "the added job's row")
        for child in children:
            os.write(child.master, b"q")
        for child in children:
            while child.process.poll() is None:  # keep reading: a full pty would block the exit
                select.select([child.master], [], [], 0.2)
                child.drain()
            assert child.wait_exit() == 0
    finally:
        for child in children:
            child.cleanup()
