"""``jobtui add``, ``rm`` and ``ls`` through the real command line, on real store files."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobtui.cli import main
from jobtui.cli.output import job_row
from jobtui.model import Job, JobState
from jobtui.store import PollOutcome, Store

pytest.importorskip("jobtui.config")

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
CONFIG = """
[providers.deepo]
kind = "deepomatic"
api_key_env = "JOBTUI_TEST_DEEPO_KEY"

[providers.tart]
kind = "tensorart"
base_url = "https://ap-east-1.tensorart.cloud"
token_env = "JOBTUI_TEST_TART_TOKEN"
"""

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.delenv("JOBTUI_CONFIG", raising=False)
    monkeypatch.delenv("JOBTUI_STORE", raising=False)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    return config, tmp_path / "jobs.sqlite"


@pytest.fixture
def run(
    paths: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    config, store = paths

    def runner(
        *argv: str, stdin: str = "", config_path: Path | None = config
    ) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        prefix = ["--store", str(store)]
        if config_path is not None:
            prefix += ["--config", str(config_path)]
        code = main([*prefix, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return runner


def stored(paths: tuple[Path, Path]) -> dict[tuple[str, str], Any]:
    with Store(paths[1]) as store:
        return {(j.provider, j.id): j for j in store.list_jobs()}


def test_add_watches_with_the_kind_from_the_config(run: Run, paths: tuple[Path, Path]) -> None:
    code, out, _ = run("add", "tart", "job-1", "job-2")
    assert code == 0
    assert out == "watching 2 new jobs at tart\n"
    jobs = stored(paths)
    assert set(jobs) == {("tart", "job-1"), ("tart", "job-2")}
    assert {j.kind for j in jobs.values()} == {"tensorart"}
    assert all(j.state is JobState.UNKNOWN and j.job is None for j in jobs.values())


def test_add_reads_ids_from_stdin_with_a_dash(run: Run, paths: tuple[Path, Path]) -> None:
    code, out, _ = run("add", "deepo", "1", "-", "5", stdin="2\n  3  \n\n1\n4\n")
    assert code == 0
    assert out == "watching 5 new jobs at deepo\n"
    assert sorted(job_id for _, job_id in stored(paths)) == ["1", "2", "3", "4", "5"]
    code, out, _ = run("add", "deepo", "-", stdin="5\n6\n")
    assert out == "watching 1 new job at deepo (1 already watched)\n"


def test_add_label_applies_to_new_and_already_watched_jobs(
    run: Run, paths: tuple[Path, Path]
) -> None:
    run("add", "deepo", "1")
    code, _, _ = run("add", "deepo", "1", "2", "--label", "retriever batch")
    assert code == 0
    assert {j.label for j in stored(paths).values()} == {"retriever batch"}


def test_add_to_an_unknown_provider_is_a_usage_error(run: Run, paths: tuple[Path, Path]) -> None:
    code, out, err = run("add", "deepomatic", "1")
    assert code == 2
    assert out == ""
    assert "no provider named 'deepomatic'" in err and "configured: deepo, tart" in err
    assert "config.toml" in err
    assert "Traceback" not in err
    assert not paths[1].exists()  # nothing was opened, let alone written


def test_add_with_no_ids_is_a_usage_error(run: Run, paths: tuple[Path, Path]) -> None:
    code, _, err = run("add", "deepo", "-", stdin="\n  \n")
    assert code == 2
    assert "no job ids given (stdin held none)" in err
    assert stored(paths) == {}


def test_rm_stops_watching_and_says_what_was_not_watched(
    run: Run, paths: tuple[Path, Path]
) -> None:
    run("add", "deepo", "1", "2", "3")
    code, out, _ = run("rm", "deepo", "1", "-", stdin="3\n9\n")
    assert code == 0
    assert out == "stopped watching 2 jobs at deepo (1 not watched)\n"
    assert set(stored(paths)) == {("deepo", "2")}


def test_rm_needs_no_config(run: Run, paths: tuple[Path, Path]) -> None:
    # A provider dropped from the config can still have its jobs removed.
    with Store(paths[1]) as store:
        store.add_jobs([("gone", "superai", "7", None)])
    code, out, _ = run("rm", "gone", "7", config_path=None)
    assert code == 0 and out == "stopped watching 1 job at gone\n"
    assert stored(paths) == {}


def seed(path: Path) -> None:
    with Store(path) as store:
        store.add_jobs(
            [("deepo", "deepomatic", "1", None), ("deepo", "deepomatic", "2", None),
             ("tart", "tensorart", "a", "upscale"), ("tart", "tensorart", "b", None)]
        )  # fmt: skip
        job = Job(
            kind="deepomatic", provider="deepo", id="1", state=JobState.SUCCEEDED,
            raw_status="success", summary="golden retriever 0.95", raw={"secret": "no"},
        )  # fmt: skip
        hostile = Job(
            kind="tensorart", provider="tart", id="a", state=JobState.FAILED,
            summary="\x1b[2J\x1b]52;c;ZXZpbA==\x07wiped", raw={},
        )  # fmt: skip
        store.save_outcomes(
            [
                PollOutcome("deepo", "1", T0, None, job=job),
                PollOutcome("tart", "a", T0, None, job=hostile),
                PollOutcome("deepo", "2", T0, T0 + timedelta(seconds=30), error="HTTP 503"),
            ]
        )


def test_ls_json_gives_the_status_rows(run: Run, paths: tuple[Path, Path]) -> None:
    seed(paths[1])
    code, out, _ = run("ls", "--json")
    assert code == 0
    rows = json.loads(out)
    with Store(paths[1]) as store:
        expected = [job_row(j) for j in store.list_jobs()]
    assert rows == expected
    assert [(r["provider"], r["id"]) for r in rows] == [
        ("deepo", "1"), ("deepo", "2"), ("tart", "a"), ("tart", "b"),
    ]  # fmt: skip
    assert "raw" not in rows[0]
    assert rows[1]["poll_error"] == "HTTP 503" and rows[1]["state"] == "unknown"
    assert rows[1]["polled_at"] == T0.isoformat().replace("+00:00", "Z")  # one format: Z


def test_ls_filters_by_state_and_provider(run: Run, paths: tuple[Path, Path]) -> None:
    seed(paths[1])
    _, out, _ = run("ls", "--json", "--state", "unknown")
    assert [(r["provider"], r["id"]) for r in json.loads(out)] == [("deepo", "2"), ("tart", "b")]
    _, out, _ = run("ls", "--json", "--provider", "tart", "--state", "failed")
    assert [r["id"] for r in json.loads(out)] == ["a"]
    _, out, _ = run("ls", "--json", "--provider", "nobody")
    assert json.loads(out) == []


def test_ls_table_shows_provider_text_literally(run: Run, paths: tuple[Path, Path]) -> None:
    seed(paths[1])
    code, out, _ = run("ls")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["PROVIDER", "ID", "STATE", "LABEL", "SUMMARY", "POLLED"]
    assert len(lines) == 5
    assert "golden retriever 0.95" in lines[1]
    assert "[poll error: HTTP 503]" in lines[2]
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J" in lines[3]


def test_ls_reads_the_store_alone(run: Run, paths: tuple[Path, Path], tmp_path: Path) -> None:
    seed(paths[1])
    broken = tmp_path / "broken.toml"
    broken.write_text("[providers.deepo\nkind = 1\n")
    code, out, _ = run("ls", "--json", config_path=broken)
    assert code == 0 and len(json.loads(out)) == 4


def test_ls_json_matches_status_json_after_a_refresh(
    start_sim: Callable[..., Any], tmp_path: Path, run: Run, paths: tuple[Path, Path]
) -> None:
    pytest.importorskip("jobtui.providers")
    sim = start_sim(jobs=4, speed=0, seed=3)
    config = tmp_path / "sim.toml"
    config.write_text(sim.config_toml(store_jobs=True))
    code, status_out, err = run("status", "--all", "--json", config_path=config)
    assert code == 0, err
    code, ls_out, _ = run("ls", "--json", config_path=config)
    assert code == 0
    status_rows = json.loads(status_out)
    assert len(status_rows) == 20
    assert json.loads(ls_out) == status_rows
    code, status_out, _ = run("status", "--json", "--provider", "deepomatic", config_path=config)
    _, ls_out, _ = run("ls", "--json", "--provider", "deepomatic", config_path=config)
    assert json.loads(ls_out) == json.loads(status_out)


def test_labels_show_in_ls_and_its_json_and_timestamps_use_z(run: Run) -> None:
    code, _, err = run("add", "deepo", "111", "--label", "nightly run")
    assert code == 0, err
    code, out, _ = run("ls", "--json")
    rows = json.loads(out)
    assert [row["label"] for row in rows] == ["nightly run"]
    stamps = [v for row in rows for k, v in row.items() if k.endswith("_at") and v]
    assert all(stamp.endswith("Z") and "+00:00" not in stamp for stamp in stamps), stamps
    code, out, _ = run("ls")
    header, line = out.splitlines()[:2]
    assert "LABEL" in header and "nightly run" in line


def test_table_cells_cut_with_an_ellipsis_and_the_summary_never(tmp_path: Path) -> None:
    import io
    from datetime import UTC, datetime

    from jobtui.cli.output import print_table
    from jobtui.model import Job, JobState
    from jobtui.store import WatchedJob

    now = datetime(2026, 1, 1, tzinfo=UTC)
    long_id, error = "x" * 80, "connection refused " * 6
    job = Job(kind="deepomatic", provider="deepo", id=long_id, state=JobState.RUNNING,
              summary="working")  # fmt: skip
    watched = WatchedJob(provider="deepo", kind="deepomatic", id=long_id, label=None,
                         added_at=now, job=job, state=JobState.RUNNING, next_poll_at=None,
                         poll_error=error.strip(), polled_at=now)  # fmt: skip
    out = io.StringIO()
    print_table([watched], now, out)
    line = out.getvalue().splitlines()[1]
    assert "x" * 59 + "…" in line and "x" * 61 not in line
    assert error.strip() in line  # the poll error is whole, even in a pipe
