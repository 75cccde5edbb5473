"""The README's command examples, run exactly as printed, in a scratch home."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _shell_block(starting_with: str) -> str:
    """The lines of the README's sh block from the comment ``starting_with`` to the block's end."""
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        start = block.find(starting_with)
        if start >= 0:
            return block[start:]
    raise AssertionError(f"no README example starting {starting_with!r}")


def _scratch_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBTUI_")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def test_the_simulator_example_leaves_the_real_store_alone(tmp_path: Path) -> None:
    script = _shell_block("# a simulator for your own scripts")
    process = subprocess.Popen(
        ["bash", "-e", "-c", script + "\nstatus=$?\nkill %1\nwait\nexit $status\n"],
        cwd=tmp_path,
        env=_scratch_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, err
    assert "deepomatic" in out  # the status table of the simulated jobs
    assert "readable by others" not in err  # the fake credentials' file is owner-only
    mode = stat.S_IMODE((tmp_path / "sim.toml").stat().st_mode)
    assert mode == 0o600, oct(mode)
    real_store = tmp_path / ".local" / "state" / "jobtui" / "jobs.sqlite"
    assert not real_store.exists(), "the simulator's jobs went into the user's own store"
