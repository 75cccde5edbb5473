"""``jobtui status`` through the real command line against the simulator (loopback HTTP)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jobtui.cli import main
from jobtui.model import Job
from jobtui.sim import Simulator
from jobtui.store import Store

from support.engine_sim import write_config

StartSim = Callable[..., Simulator]
ROW_FIELDS = (set(Job.model_fields) - {"raw"}) | {"poll_error", "polled_at", "label"}


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOBTUI_CONFIG", raising=False)
    monkeypatch.delenv("JOBTUI_STORE", raising=False)


def run(tmp_path: Path, config: Path, *argv: str, capsys: Any) -> tuple[int, str, str]:
    code = main(["--config", str(config), "--store", str(tmp_path / "jobs.sqlite"), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_status_json_gives_one_row_per_watched_job(
    start_sim: StartSim, tmp_path: Path, capsys: Any
) -> None:
    sim = start_sim(jobs=4, seed=9, speed=0)
    config = write_config(tmp_path / "config.toml", sim)
    code, out, err = run(tmp_path, config, "status", "--all", "--json", capsys=capsys)
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 20
    expected = {(kind, job_id) for kind in sim.kinds for job_id in sim.job_ids(kind)}
    assert {(r["provider"], r["id"]) for r in rows} == expected
    for row in rows:
        assert set(row) == ROW_FIELDS
        assert row["poll_error"] is None and row["polled_at"] is not None
        assert row["state"] != "unknown"
    providers = sim.stats()["providers"]
    assert providers["deepomatic"]["requests"] == 1  # four tasks, one batch


def test_status_filters_by_provider_and_state_and_prints_a_table(
    start_sim: StartSim, tmp_path: Path, capsys: Any
) -> None:
    sim = start_sim(jobs=6, seed=9, speed=0)
    config = write_config(tmp_path / "config.toml", sim)
    code, out, _ = run(tmp_path, config, "status", "--all", "--json", "--provider", "tensorart",
                       capsys=capsys)  # fmt: skip
    assert code == 0
    rows = json.loads(out)
    assert {r["provider"] for r in rows} == {"tensorart"} and len(rows) == 6
    state = rows[0]["state"]
    code, out, _ = run(tmp_path, config, "status", "--all", "--json", "--state", state,
                       capsys=capsys)  # fmt: skip
    assert code == 0 and json.loads(out) and {r["state"] for r in json.loads(out)} == {state}
    code, out, _ = run(tmp_path, config, "status", "--all", capsys=capsys)
    lines = out.splitlines()
    assert lines[0].split() == ["PROVIDER", "ID", "STATE", "SUMMARY", "POLLED"]
    assert len(lines) == 1 + 30
    assert "\x1b" not in out


def test_status_with_providers_down_still_lists_every_job(
    start_sim: StartSim, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = start_sim(jobs=2, seed=9, speed=0)
    down = f"http://127.0.0.1:{closed_port()}"
    config = write_config(
        tmp_path / "config.toml",
        sim,
        providers={
            "deepomatic": {"base_url": down},
            "tensorart": {"base_url": down},
            # A secret that cannot be found: the provider cannot even be built.
            "superai": {"api_key_env": "JOBTUI_TEST_MISSING_KEY"},
        },
    )
    monkeypatch.delenv("JOBTUI_TEST_MISSING_KEY", raising=False)
    _drop_key(config, "superai", "api_key")
    code, out, err = run(tmp_path, config, "status", "--json", capsys=capsys)
    assert code == 0, err
    rows = {(r["provider"], r["id"]): r for r in json.loads(out)}
    assert len(rows) == 10
    for (provider, _), row in rows.items():
        if provider in ("deepomatic", "tensorart", "superai"):
            assert row["state"] == "unknown"
            assert row["poll_error"], row
        else:
            assert row["poll_error"] is None
    assert "JOBTUI_TEST_MISSING_KEY" in rows[("superai", sim.job_ids("superai")[0])]["poll_error"]
    # The table form works too, and says why.
    code, out, _ = run(tmp_path, config, "status", capsys=capsys)
    assert code == 0 and "poll error" in out


def _drop_key(config: Path, provider: str, key: str) -> None:
    import tomllib

    import tomli_w

    data = tomllib.loads(config.read_text())
    data["providers"][provider].pop(key, None)
    config.write_text(tomli_w.dumps(data))


def test_status_retries_a_job_hit_by_a_passing_429(
    start_sim: StartSim, tmp_path: Path, capsys: Any
) -> None:
    sim = start_sim(jobs=3, seed=9, speed=0)
    config = write_config(tmp_path / "config.toml", sim, only=("superai",))
    sim.inject_fault("superai", "429", retry_after=1)
    code, out, err = run(tmp_path, config, "status", "--all", "--json", capsys=capsys)
    assert code == 0, err
    rows = json.loads(out)
    assert [r["poll_error"] for r in rows] == [None, None, None]
    assert all(r["state"] != "unknown" for r in rows)
    assert sim.stats()["providers"]["superai"]["statuses"]["429"] == 1


def test_status_works_with_no_tty_as_a_subprocess(start_sim: StartSim, tmp_path: Path) -> None:
    sim = start_sim(jobs=2, seed=9, speed=0)
    config = write_config(tmp_path / "config.toml", sim)
    store = tmp_path / "jobs.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "jobtui", "--config", str(config), "--store", str(store),
         "status", "--json"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) == len(Store(store).list_jobs())
    assert all(r["polled_at"] for r in rows if r["state"] not in ("succeeded", "failed"))


def test_an_unknown_provider_is_a_usage_error(
    start_sim: StartSim, tmp_path: Path, capsys: Any
) -> None:
    sim = start_sim(jobs=1, seed=9, speed=0)
    config = write_config(tmp_path / "config.toml", sim)
    for command in ("status", "watch"):
        code, out, err = run(tmp_path, config, command, "--provider", "nope", capsys=capsys)
        assert code == 2 and out == ""
        assert "no provider named 'nope'" in err
    assert sim.stats()["total"] == 0
