"""Failure signatures and groups: pure rules, then the real store fed by the simulator."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from jobtui.cli import main
from jobtui.insights.failures import FAILURE_STATES, group_failures, mask_message, signature_of
from jobtui.model import Job, JobItem, JobState
from jobtui.providers import parse
from jobtui.store import Store, WatchedJob

from support.engine_sim import write_config

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def watched(job: Job) -> WatchedJob:
    return WatchedJob(
        provider=job.provider, kind=job.kind, id=job.id, label=None, added_at=T0, job=job,
        state=job.state, next_poll_at=None, poll_error=None, polled_at=T0,
    )  # fmt: skip


def tensorart(job_id: str, code: str, reason: str) -> Job:
    payload = {"job": {"id": job_id, "status": "FAILED", "failedInfo": {"code": code,
               "reason": reason}}}  # fmt: skip
    return parse("tensorart", payload)


def test_mask_hides_urls_ids_numbers_and_quoted_values() -> None:
    a = mask_message("Could not download image: 404 Not Found for url https://cdn.x/a.jpg")
    b = mask_message("Could not download image: 404 Not Found for url https://cdn.y/b/c.png?x=1")
    assert a == b == "Could not download image: <n> Not Found for url <url>"
    assert mask_message("task 269999729 failed on 'cat.jpg'") == "task <id> failed on <q>"
    # Four digits or more are an id; fewer stay a number worth reading as one.
    assert mask_message("Model not found: 600423083519508503") == "Model not found: <id>"
    assert mask_message("node 10 of 1,234 lost (1234)") == "node <n> of <n> lost (<id>)"
    assert mask_message("job-0042 on node a1b2c3 timed out") == "<id> on node <id> timed out"
    assert mask_message("uuid 1f3c2d4e-aaaa-bbbb-cccc-0123456789ab gone") == "uuid <id> gone"
    # Sizes and numbers set against a limit are quantities, however many digits.
    assert (
        mask_message("Image too large: 8192x8192 exceeds 4096x4096")
        == "Image too large: <n>x<n> exceeds <n>x<n>"
    )
    assert mask_message("Image too large: 5000 exceeds 4096") == "Image too large: <n> exceeds <n>"
    assert mask_message("at most 20000 images, limit of 1000") == "at most <n> images, limit of <n>"


def test_messages_differing_only_by_url_or_id_share_a_group() -> None:
    jobs = [
        Job(kind="deepomatic", provider="deepo", id=str(n), state=JobState.FAILED,
            error=f"Could not download https://img.example/{n}.jpg for task {n}")
        for n in range(5)
    ]  # fmt: skip
    groups = group_failures(watched(j) for j in jobs)
    assert len(groups) == 1 and groups[0].count == 5
    assert groups[0].examples == ["0", "1", "2"] and len(groups[0].keys) == 5


def test_different_tensorart_codes_stay_apart_with_the_same_reason() -> None:
    jobs = [
        tensorart("a", "TRANSITORY_ERROR", "GPU worker 12 lost"),
        tensorart("b", "TRANSITORY_ERROR", "GPU worker 7 lost"),
        tensorart("c", "FATAL_ERROR", "GPU worker 7 lost"),
    ]
    groups = group_failures(watched(j) for j in jobs)
    by_code = {g.signature.code: g.count for g in groups}
    assert by_code == {"TRANSITORY_ERROR": 2, "FATAL_ERROR": 1}
    assert {g.signature.message for g in groups} == {"GPU worker <n> lost"}


def test_image_intelligence_groups_by_per_image_status() -> None:
    def ii(job_id: str, url: str, status: str) -> Job:
        item = JobItem(id="1", state=JobState.FAILED, error=f"{status}: could not fetch {url}")
        return Job(kind="imageintelligence", provider="ii", id=job_id, state=JobState.PARTIAL,
                   raw_status="COMPLETED_PARTIAL_ERROR", items=(item,))  # fmt: skip

    first = signature_of(ii("1", "https://a/x.jpg", "IMAGE_DOWNLOAD_ERROR"))
    second = signature_of(ii("2", "https://b/y.jpg", "IMAGE_DOWNLOAD_ERROR"))
    third = signature_of(ii("3", "https://b/y.jpg", "INVALID_IMAGE_FORMAT_ERROR"))
    assert first == second != third
    assert first.code == "IMAGE_DOWNLOAD_ERROR" and first.message == "could not fetch <url>"


def test_bare_item_statuses_do_not_split_a_group_by_which_image_failed_first() -> None:
    def ii(job_id: str, *statuses: str) -> Job:
        items = tuple(JobItem(id=str(n), state=JobState.FAILED, error=status)
                      for n, status in enumerate(statuses))  # fmt: skip
        return Job(kind="imageintelligence", provider="ii", id=job_id, state=JobState.PARTIAL,
                   error=statuses[0], items=items)  # fmt: skip

    first = signature_of(ii("1", "MODEL_SERVICE_ERROR", "UNKNOWN_ERROR"))
    second = signature_of(ii("2", "UNKNOWN_ERROR", "MODEL_SERVICE_ERROR"))
    assert first == second
    assert (first.code, first.message) == ("MODEL_SERVICE_ERROR+UNKNOWN_ERROR", "")


def run(tmp_path: Path, config: Path, *argv: str, capsys: Any) -> tuple[int, str, str]:
    code = main(["--config", str(config), "--store", str(tmp_path / "jobs.sqlite"), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOBTUI_CONFIG", raising=False)
    monkeypatch.delenv("JOBTUI_STORE", raising=False)


@pytest.mark.parametrize("faults", [0.0, 0.1], ids=["clean", "faults"])
def test_errors_counts_add_up_to_the_failed_jobs_of_the_simulator(
    start_sim: Any, tmp_path: Path, capsys: Any, faults: float
) -> None:
    # With faults some polls fail (5xx, timeouts, garbage): those jobs carry a poll_error,
    # not a failure, and the groups still count exactly the failed and partial jobs.
    sim = start_sim(jobs=30, seed=4, speed=0, faults=faults)
    # Tensor.Art's own budget (5 requests/s) would make the sweep of its 30 jobs take
    # seconds, and status's retries of a failed poll wait back-offs drawn up to
    # min(1 s, poll_interval) doubled each time: neither is what this test is about.
    quick = {"rate_limit": 1000.0, "poll_interval": 0.05}
    config = write_config(tmp_path / "config.toml", sim, defaults=quick)
    code, _, err = run(tmp_path, config, "status", "--all", "--json", capsys=capsys)
    assert code == 0, err
    with Store(tmp_path / "jobs.sqlite") as store:
        failed = [j for j in store.list_jobs() if j.state in FAILURE_STATES]
    assert len(failed) >= 10, "the seeded simulator should end some jobs failed"
    if faults:
        hit = sum(sum(p.get("faults", {}).values()) for p in sim.stats()["providers"].values())
        assert hit > 0, "the faults should have hit some polls"

    code, out, err = run(tmp_path, config, "errors", "--json", capsys=capsys)
    assert code == 0, err
    groups = json.loads(out)
    assert sum(g["count"] for g in groups) == len(failed)
    assert len(groups) < len(failed), "masking should merge jobs failing the same way"
    kinds = {g["kind"] for g in groups}
    assert {"tensorart", "imageintelligence"} <= kinds
    for group in groups:
        assert group["examples"] and group["first_seen"] and group["last_seen"]
        assert "https://" not in group["message"]
    ta_codes = [g["code"] for g in groups if g["kind"] == "tensorart"]
    assert all(c is not None for c in ta_codes), ta_codes

    code, out, _ = run(tmp_path, config, "errors", "--provider", "tensorart", "--json",
                       capsys=capsys)  # fmt: skip
    only = json.loads(out)
    assert only and {g["kind"] for g in only} == {"tensorart"}
    assert sum(g["count"] for g in only) == sum(1 for j in failed if j.provider == "tensorart")

    code, out, _ = run(tmp_path, config, "errors", "--format", "csv", capsys=capsys)
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert [int(r["count"]) for r in parsed] == [g["count"] for g in groups]

    code, out, _ = run(tmp_path, config, "errors", capsys=capsys)
    assert out.splitlines()[0].split()[:3] == ["COUNT", "SIGNATURE", "PROVIDERS"]
    assert len(out.splitlines()) == 1 + len(groups)

    code, out, _ = run(tmp_path, config, "errors", "--since", "0s", "--json", capsys=capsys)
    assert json.loads(out) == []
    code, _, err = run(tmp_path, config, "errors", "--since", "soon", capsys=capsys)
    assert code == 2 and "--since" in err
