"""``jobtui watch`` against the simulator: change lines, JSON lines, progress, exit codes."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import pty
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from jobtui.cli import main
from jobtui.cli.status_cmd import _watch
from jobtui.config import load_config
from jobtui.sim import Simulator
from jobtui.store import Store

from support.engine_sim import write_config

StartSim = Callable[..., Simulator]
ENDED = 10 * 24 * 3600.0  # virtual seconds after which every seeded job has ended


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOBTUI_CONFIG", raising=False)
    monkeypatch.delenv("JOBTUI_STORE", raising=False)


def final_states(tmp_path: Path, config: Path, capsys: Any) -> dict[str, str]:
    code = main(["--config", str(config), "--store", str(tmp_path / "probe.sqlite"),
                 "status", "--all", "--json"])  # fmt: skip
    out, _ = capsys.readouterr()
    assert code == 0
    return {row["id"]: row["state"] for row in json.loads(out)}


def only_jobs(config: Path, ids: set[str]) -> Path:
    data = tomllib.loads(config.read_text())
    data["jobs"] = [job for job in data["jobs"] if job["id"] in ids]
    assert data["jobs"]
    config.write_text(tomli_w.dumps(data))
    return config


def watch(tmp_path: Path, config: Path, *argv: str, capsys: Any) -> tuple[int, str, str]:
    code = main(["--config", str(config), "--store", str(tmp_path / "jobs.sqlite"),
                 "watch", *argv])  # fmt: skip
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ended(start_sim: StartSim, tmp_path: Path, capsys: Any) -> tuple[Path, dict[str, str]]:
    sim = start_sim(jobs=6, seed=10, speed=0)
    sim.clock.advance(ENDED)
    config = write_config(tmp_path / "config.toml", sim, only=("tensorart",))
    return config, final_states(tmp_path, config, capsys)


def test_watch_until_done_exits_0_when_every_job_succeeded(
    ended: tuple[Path, dict[str, str]], tmp_path: Path, capsys: Any
) -> None:
    config, states = ended
    good = {job_id for job_id, state in states.items() if state == "succeeded"}
    only_jobs(config, good)
    code, out, err = watch(tmp_path, config, "--until-done", "--timeout", "60", capsys=capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == len(good)
    assert all("unknown -> succeeded" in line for line in lines)
    assert err == ""  # no terminal: no progress line


def test_watch_until_done_exits_1_when_a_job_failed(
    ended: tuple[Path, dict[str, str]], tmp_path: Path, capsys: Any
) -> None:
    config, states = ended
    bad = {job_id for job_id, state in states.items() if state in ("failed", "canceled")}
    good = {job_id for job_id, state in states.items() if state == "succeeded"}
    only_jobs(config, {min(bad), min(good)})
    code, out, _ = watch(tmp_path, config, "--until-done", "--json", "--timeout", "60",
                         capsys=capsys)  # fmt: skip
    assert code == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert {r["id"] for r in records} == {min(bad), min(good)}
    assert {r["from"] for r in records} == {"unknown"}
    assert {r["to"] for r in records} == {states[min(bad)], "succeeded"}
    assert all(set(r) == {"provider", "id", "from", "to", "at", "summary"} for r in records)


def test_watch_times_out_with_exit_3_while_jobs_still_run(
    start_sim: StartSim, tmp_path: Path, capsys: Any
) -> None:
    sim = start_sim(jobs=0, seed=10, speed=0)
    job_id = sim.create_job("deepomatic")
    config = write_config(tmp_path / "config.toml", sim, only=("deepomatic",))
    code, out, _ = watch(tmp_path, config, "--until-done", "--timeout", "0.5", capsys=capsys)
    assert code == 3
    assert f"{job_id}  unknown -> running" in out
    stored = Store(tmp_path / "jobs.sqlite")
    assert stored.get_job("deepomatic", job_id) is not None
    stored.close()


class Terminal(io.StringIO):
    """A text stream that says it is a terminal, as a person's stderr would."""

    def isatty(self) -> bool:
        return True


def test_watch_shows_a_progress_line_on_a_terminal_only(
    ended: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    config_path, states = ended
    config = load_config(config_path)
    failed = sum(1 for s in states.values() if s in ("failed", "partial", "canceled"))
    args = argparse.Namespace(until_done=True, timeout=60.0, json=False, provider=None)
    for out, err, json_mode in (
        (Terminal(), Terminal(), False),
        (io.StringIO(), Terminal(), False),
        (Terminal(), Terminal(), True),
    ):
        args.json = json_mode
        store = Store(tmp_path / f"jobs-{id(out)}.sqlite")
        code = asyncio.run(_watch(config, store, args, out, err))
        store.close()
        assert code == (1 if failed else 0)
        if isinstance(out, Terminal) and not json_mode:
            assert f"6 of 6 done, {failed} failed" in err.getvalue()
            assert "0 of 6 done, 0 failed" in err.getvalue()
        else:
            assert "done," not in err.getvalue() and "\r" not in out.getvalue()
        assert "done," not in out.getvalue()


def test_watch_says_once_when_a_provider_refuses_the_credentials(
    start_sim: StartSim, tmp_path: Path, capsys: Any
) -> None:
    sim = start_sim(jobs=2, seed=10, speed=0)
    config = write_config(
        tmp_path / "config.toml",
        sim,
        only=("deepomatic", "tensorart"),
        providers={"deepomatic": {"api_key": "not-the-key-123"}},
        # A round every half second: a refusal said (or asked) again would show many times.
        defaults={"poll_interval": 0.5, "max_interval": 0.5},
    )
    # The refused provider's jobs never end, so watch runs to its timeout: long enough
    # for the first polls to be answered on a loaded machine, and for several rounds.
    code, out, err = watch(tmp_path, config, "--until-done", "--timeout", "4", capsys=capsys)
    assert code == 3  # the refused provider's jobs never end
    assert err.count("jobtui: deepomatic: auth_failed") == 1
    assert "jobtui: tensorart" not in err  # healthy: no trouble line (the timeout names its jobs)
    assert "not-the-key-123" not in out + err
    assert sum(1 for line in out.splitlines() if "  tensorart  " in line) == 2
    assert sim.stats()["providers"]["deepomatic"]["requests"] == 1


def _run_cli(config: Path, store: Path, *argv: str, **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "jobtui", "--config", str(config), "--store", str(store), *argv],
        stdin=subprocess.DEVNULL,
        **kwargs,
    )


def test_watch_as_a_subprocess_on_a_pty_and_through_pipes(
    ended: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    config, states = ended
    failed = sum(1 for s in states.values() if s in ("failed", "partial", "canceled"))
    expected = 1 if failed else 0
    # A real terminal: the progress line shows, erased before each change line.
    controller, terminal = pty.openpty()
    proc = _run_cli(config, tmp_path / "a.sqlite", "watch", "--until-done", "--timeout", "60",
                    stdout=terminal, stderr=terminal)  # fmt: skip
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the child closed its side
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    assert proc.wait(timeout=60) == expected
    text = seen.decode()
    assert f"6 of 6 done, {failed} failed" in text
    assert text.count("unknown -> ") == 6
    # Pipes: change lines only, and JSON lines with --json.
    proc = _run_cli(config, tmp_path / "b.sqlite", "watch", "--until-done", "--json",
                    "--timeout", "60", stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == expected
    assert err == b""
    records = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["id"] for r in records) == sorted(states)


def test_watch_of_one_provider_polls_only_that_provider(
    start_sim: StartSim, tmp_path: Path, capsys: Any
) -> None:
    sim = start_sim(jobs=3, seed=10, speed=0)
    sim.clock.advance(ENDED)
    config = write_config(tmp_path / "config.toml", sim)
    code, out, _ = watch(tmp_path, config, "--until-done", "--provider", "cognite",
                         "--timeout", "60", capsys=capsys)  # fmt: skip
    assert code in (0, 1)
    assert len(out.splitlines()) == 3 and all("  cognite  " in line for line in out.splitlines())
    assert set(sim.stats()["requests"]) <= {"cognite"}


def test_watch_until_done_ends_on_a_job_the_provider_does_not_know(
    start_sim: StartSim, tmp_path: Path, capsys: Any
) -> None:
    sim = start_sim(jobs=0, seed=10, speed=0)
    config = write_config(tmp_path / "config.toml", sim, only=("deepomatic",))
    assert main(["--config", str(config), "--store", str(tmp_path / "jobs.sqlite"),
                 "add", "deepomatic", "270966999"]) == 0  # fmt: skip
    capsys.readouterr()
    # The timeout only bounds a regression: the wait must end long before it.
    code, _out, err = watch(tmp_path, config, "--until-done", "--timeout", "120", capsys=capsys)
    assert code == 1, err
    assert "deepomatic 270966999: not found at provider" in err
    assert "timed out" not in err


def test_a_timeout_names_the_jobs_still_active(
    start_sim: StartSim, tmp_path: Path, capsys: Any
) -> None:
    sim = start_sim(jobs=0, seed=10, speed=0)
    job_id = sim.create_job("deepomatic")
    config = write_config(tmp_path / "config.toml", sim, only=("deepomatic",))
    code, _out, err = watch(tmp_path, config, "--until-done", "--timeout", "0.5", capsys=capsys)
    assert code == 3
    assert f"timed out after 0.5 s; 1 job is still active: deepomatic {job_id}" in err


def test_watch_help_describes_the_command(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        main(["watch", "--help"])
    out = capsys.readouterr().out
    assert "unknown at its provider" in out
    assert "--until-done" in out


@pytest.mark.parametrize("command", ["sim", "status", "watch"])
def test_help_shows_no_rst_backticks(command: str, capsys: Any) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "``" not in out
    assert len(out.split("\n\n")[1].strip()) > 20  # a description under the usage
