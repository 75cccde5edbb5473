"""The README's command examples, run exactly as printed, in a scratch home.

Every ``sh`` block a newcomer types is run here, but these, and why:

- ``pipx install .`` (first line of Install): it builds a wheel and needs the
  network; the suite runs from the installed checkout, so the steps after it
  run as printed with the ``jobtui`` of that install.
- ``make demo`` runs in ``test_make_demo.py`` (which extras it installs), and
  the dashboard it opens in the pty tests of ``tests/tui/test_hangup.py``.
- The systemd block needs a user session manager (``systemctl --user``,
  ``loginctl``), which a test machine does not have; ``jobtui poll``'s
  behaviour under SIGTERM is tested in ``tests/cli/test_sharing.py``.
- Develop (``make test``, ``lint``, ``bench``, ``soak``): the suite itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from support.waiting import wait_until_sync

README = Path(__file__).resolve().parents[2] / "README.md"


def _example(starting_with: str) -> str:
    """One example of a README sh block: from the line ``starting_with`` to a blank line."""
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        start = block.find(starting_with)
        if start >= 0:
            return block[start:].split("\n\n")[0] + "\n"
    raise AssertionError(f"no README example starting {starting_with!r}")


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


def _run(script: str, cwd: Path, env: dict[str, str], timeout: float = 120) -> tuple[int, str, str]:
    process = subprocess.Popen(
        ["bash", "-c", script], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, out, err


def test_the_install_steps_after_pipx_as_printed(tmp_path: Path) -> None:
    block = _shell_block("pipx install .")
    steps = block.split("\n", 1)[1]  # every line after `pipx install .`
    env = _scratch_env(tmp_path) | {"EDITOR": "true"}
    code, out, err = _run(steps, tmp_path, env)
    config = tmp_path / ".config" / "jobtui" / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert f"wrote {config}" in out
    # The fresh starter checks (placeholders and unset variables are warnings) ...
    assert f"{config}: OK, 5 providers" in out, out
    assert "still the placeholder" in err
    # ... and the dashboard, without a terminal here, says what to do and exits 2.
    assert code == 2, err
    assert err.rstrip().endswith(
        "jobtui: the dashboard needs a terminal; try jobtui status or jobtui watch"
    )


def _write_user_config(home: Path, sim_config: dict[str, object]) -> None:
    """The newcomer's own config: a provider named deepo, as the README's examples name it."""
    providers = sim_config["providers"]
    assert isinstance(providers, dict)
    base_url = providers["deepomatic"]["base_url"]
    config = home / ".config" / "jobtui" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    # Polled every half second at most: the batch's end is seen soon after it comes.
    config.write_text(
        f'[providers.deepo]\nkind = "deepomatic"\nbase_url = "{base_url}"\n'
        'api_key_env = "DEEPOMATIC_API_KEY"\nallow_insecure = true\n'
        "poll_interval = 0.5\nmax_interval = 0.5\n",
        encoding="utf-8",
    )


def test_the_batch_and_failed_json_examples_as_printed(tmp_path: Path) -> None:
    env = _scratch_env(tmp_path)
    simulator = subprocess.Popen(
        [sys.executable, "-m", "jobtui", "sim", "--port", "0", "--jobs", "4", "--seed", "3",
         "--speed", "60", "--write-config", "sim.toml"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_until_sync(lambda: (tmp_path / "sim.toml").exists(), "the simulator's config")
        sim_config = tomllib.loads((tmp_path / "sim.toml").read_text(encoding="utf-8"))
        _write_user_config(tmp_path, sim_config)
        ids = [job["id"] for job in sim_config["jobs"] if job["provider"] == "deepomatic"]
        (tmp_path / "ids.txt").write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
        # notify-send, as a desktop has it: here it writes down what it was asked to say.
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        notify = bin_dir / "notify-send"
        notify.write_text('#!/bin/sh\nprintf "%s\\n" "$*" >> "$HOME/notified.txt"\n')
        notify.chmod(0o755)
        user_env = env | {"PATH": f"{bin_dir}{os.pathsep}{env['PATH']}",
                          "DEEPOMATIC_API_KEY": "sim-deepomatic-key"}  # fmt: skip

        batch = _example("# watch a batch you just submitted")
        code, out, err = _run(batch, tmp_path, user_env)
        assert code in (0, 1), err  # 1: some job of the batch ended failed
        ls = subprocess.run([sys.executable, "-m", "jobtui", "ls", "--json"], env=user_env,
                            capture_output=True, text=True, check=True)  # fmt: skip
        rows = json.loads(ls.stdout)
        assert sorted(r["id"] for r in rows) == sorted(ids)
        assert {r["label"] for r in rows} == {"nightly run"}
        assert all(r["state"] in ("succeeded", "failed") for r in rows), rows
        notified = tmp_path / "notified.txt"
        if any(r["state"] == "failed" for r in rows):
            assert code == 1 and not notified.exists()
        else:
            assert code == 0 and notified.read_text() == "jobs done\n"

        if shutil.which("jq") is None:
            pytest.skip("jq, which the README's next example pipes into, is not installed")
        failed = _example("# what failed, as JSON")
        code, out, err = _run(failed, tmp_path, user_env)
        assert code == 0, err
        errors = [json.loads(line) for line in out.splitlines()]
        expected = [r["error"] for r in rows if r["state"] == "failed"]
        assert sorted(map(json.dumps, errors)) == sorted(map(json.dumps, expected))
    finally:
        os.killpg(simulator.pid, signal.SIGTERM)
        simulator.wait(timeout=30)
