"""``jobtui stats``: percentiles from the stored transitions, request counts, budgets."""

from __future__ import annotations

import json
import random
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobtui.cli import main
from jobtui.insights.stats import percentile, provider_stats
from jobtui.model import Job, JobState
from jobtui.store import PollOutcome, Store

from support.engine_sim import write_config


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOBTUI_CONFIG", raising=False)
    monkeypatch.delenv("JOBTUI_STORE", raising=False)


def outcome(job_id: str, state: JobState, at: datetime, credits: float = 0.0) -> PollOutcome:
    raw = {"job": {"id": job_id, "status": state.name, "credits": credits}}
    job = Job(kind="tensorart", provider="ta", id=job_id, state=state, raw=raw)
    return PollOutcome("ta", job_id, at, None, job=job)


def seed_store(path: Path, start: datetime, count: int) -> Store:
    """``count`` Tensor.Art jobs walking queued → running → succeeded/failed at random times."""
    rng = random.Random(7)
    store = Store(path)
    store.add_jobs([("ta", "tensorart", f"j{n}", None) for n in range(count)], added_at=start)
    for n in range(count):
        queued = start + timedelta(seconds=rng.uniform(0, 600))
        running = queued + timedelta(seconds=rng.expovariate(1 / 40))
        ended = running + timedelta(seconds=rng.uniform(5, 900))
        end_state = JobState.FAILED if n % 5 == 0 else JobState.SUCCEEDED
        store.save_outcomes([outcome(f"j{n}", JobState.QUEUED, queued)])
        store.save_outcomes([outcome(f"j{n}", JobState.RUNNING, running)])
        store.save_outcomes([outcome(f"j{n}", end_state, ended, credits=1.5)])
    return store


def independent_times(store: Store, count: int) -> tuple[list[float], list[float]]:
    """Queue and run seconds read back job by job, without jobtui.insights."""
    queue, run = [], []
    for n in range(count):
        at = {t.to_state: t.at for t in store.transitions("ta", f"j{n}")}
        queue.append((at[JobState.RUNNING] - at[JobState.QUEUED]).total_seconds())
        ended = at.get(JobState.SUCCEEDED) or at[JobState.FAILED]
        run.append((ended - at[JobState.RUNNING]).total_seconds())
    return queue, run


def p(values: list[float], fraction: float) -> float:
    # statistics' "inclusive" method interpolates between closest ranks, as stats promises.
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def test_percentiles_match_ones_computed_independently(tmp_path: Path) -> None:
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    count = 60
    with seed_store(tmp_path / "s.sqlite", start, count) as store:
        queue, run = independent_times(store, count)
        history: dict[tuple[str, str], list[Any]] = {}
        for t in store.transitions_since(None):
            history.setdefault((t.provider, t.id), []).append(t)
        (stats,) = provider_stats(
            store.list_jobs(), history, since=start, now=start + timedelta(hours=2),
            rate_limits={"ta": 5.0}, requests=store.request_counts(start),
        )  # fmt: skip
    assert sorted(stats.queue_times) == pytest.approx(sorted(queue))
    for fraction in (0.5, 0.95):
        assert percentile(stats.queue_times, fraction) == pytest.approx(p(queue, fraction))
        assert percentile(stats.run_times, fraction) == pytest.approx(p(run, fraction))
    row = stats.as_json()
    assert row["finished"] == count and row["failed"] == count // 5
    assert row["failure_rate"] == pytest.approx(0.2)
    assert row["finished_per_hour"] == pytest.approx(count / 2)
    assert row["credits"] == pytest.approx(1.5 * count)
    assert row["budget"] == 5 * 7200 and row["requests"] == 0


def test_stats_cli_reports_the_same_percentiles_and_honours_since(
    tmp_path: Path, capsys: Any
) -> None:
    count = 30
    start = datetime.now(UTC) - timedelta(hours=3)
    with seed_store(tmp_path / "s.sqlite", start, count) as store:
        queue, run = independent_times(store, count)
        store.record_requests({("ta", start): 40, ("ta", start + timedelta(seconds=30)): 2})
    config = tmp_path / "config.toml"
    config.write_text(
        '[providers.ta]\nkind = "tensorart"\nbase_url = "https://tams.example"\nrate_limit = 2.0\n'
    )
    argv = ["--config", str(config), "--store", str(tmp_path / "s.sqlite"), "stats"]
    assert main([*argv, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["queue_p50"] == pytest.approx(p(queue, 0.5), abs=1e-3)
    assert row["run_p95"] == pytest.approx(p(run, 0.95), abs=1e-3)
    assert row["requests"] == 42 and row["rate_limit"] == 2.0 and row["budget"] == 2 * 86400
    assert main([*argv, "--since", "1h", "--json"]) == 0
    (recent,) = json.loads(capsys.readouterr().out)
    assert recent["finished"] == 0 and recent["requests"] == 0 and recent["run_p50"] is None
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:2] == ["PROVIDER", "STATES"] and out[1].startswith("ta ")


def test_the_engine_counts_the_requests_it_sends(
    start_sim: Any, tmp_path: Path, capsys: Any
) -> None:
    sim = start_sim(jobs=4, seed=9, speed=0)
    config = write_config(tmp_path / "config.toml", sim)
    argv = ["--config", str(config), "--store", str(tmp_path / "jobs.sqlite")]
    assert main([*argv, "status", "--all", "--json"]) == 0
    capsys.readouterr()
    assert main([*argv, "stats", "--json"]) == 0
    rows = {r["provider"]: r for r in json.loads(capsys.readouterr().out)}
    sent = sim.stats()["providers"]
    for name in sim.kinds:
        # One status request per job, Deepomatic's batch one for all four; the simulator
        # also counts the token requests of Image Intelligence and Cognite.
        assert rows[name]["requests"] == (1 if name == "deepomatic" else 4), name
        assert rows[name]["requests"] <= sent[name]["requests"], name
    assert rows["superai"]["requests"] == sent["superai"]["requests"]
    assert rows["tensorart"]["rate_limit"] == 5.0  # the documented default budget
