"""``jobtui sim``: prints a config that parses and loads, serves until SIGINT, exits cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from jobtui.sim import CREDENTIALS


def test_sim_prints_a_ready_config_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "jobtui", "sim", "--port", "0", "--jobs", "3", "--speed", "0",
         "--seed", "9"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        ready = process.stderr.readline()  # written after the whole config is flushed
        assert "serving" in ready, ready
        url = ready.split(" at ")[1].split()[0]
        stats = httpx.get(f"{url}/_sim/stats", timeout=10)
        assert stats.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "stopped" in stderr
    config = tomllib.loads(stdout)
    assert set(config["providers"]) == set(CREDENTIALS)
    for kind, table in config["providers"].items():
        assert table["base_url"] == f"{url}/{kind}"
        assert table["kind"] == kind
    assert len(config["jobs"]) == 3 * len(CREDENTIALS)
    assert {entry["provider"] for entry in config["jobs"]} == set(CREDENTIALS)

    # The same text works as --config for the rest of jobtui, without edits.
    config_module = pytest.importorskip("jobtui.config")
    path = tmp_path / "config.toml"
    path.write_text(stdout)
    path.chmod(0o600)
    loaded = config_module.load_config(path)
    assert set(loaded.providers) == set(CREDENTIALS)
    assert len(loaded.jobs) == 3 * len(CREDENTIALS)
    pytest.importorskip("jobtui.cli.config_cmd")
    check = subprocess.run(
        [sys.executable, "-m", "jobtui", "--config", str(path), "config", "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr


def test_sim_refuses_a_port_in_use() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "jobtui", "sim", "--port", str(port), "--jobs", "0"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 2
    assert f"127.0.0.1:{port}" in done.stderr
    assert done.stdout == ""


def test_sim_rejects_bad_arguments() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jobtui", "sim", "--faults", "2"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "--faults" in done.stderr
