"""Numbers on one screen agree: the result tree, the summary line and the list's bar."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from jobtui.providers import parse
from jobtui.tui.joblist.columns import progress_text
from jobtui.tui.joblist.row import JobRow
from jobtui.tui.results.nodes import ResultNode
from jobtui.tui.results.tensorart import tensorart_nodes

from support.detail import watched

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _texts(nodes: list[ResultNode]) -> Iterator[str]:
    pending = list(nodes)
    while pending:
        node = pending.pop()
        yield node.text
        if node.children is not None:
            pending.extend(node.children.load(0, 200))


def _running_tensorart(progress: float, node_progress: float) -> dict[str, object]:
    return {
        "job": {
            "id": "1814480486365823872",
            "status": "RUNNING",
            "runningInfo": {
                "workflowFinishItem": {
                    "status": "RUNNING",
                    "progress": progress,
                    "nodes": {
                        "1": {"status": "SUCCESS", "progress": 1},
                        "2": {"status": "RUNNING", "progress": node_progress},
                    },
                    "finishedNodes": ["1"],
                }
            },
        }
    }


def test_tensorart_fractions_show_as_the_summary_says() -> None:
    raw = _running_tensorart(0.474, 0.474)
    job = parse("tensorart", raw)
    assert "47%" in job.summary
    texts = list(_texts(tensorart_nodes(raw, job, NOW)[0]))
    joined = "\n".join(texts)
    assert "0.474%" not in joined
    assert any("RUNNING  47%" in text for text in texts), texts
    assert any("SUCCESS  100%" in text for text in texts), texts
    assert not any(text.endswith("SUCCESS  1%") for text in texts)


def test_tensorart_percentages_stay_percentages() -> None:
    raw = _running_tensorart(47.4, 62.0)
    job = parse("tensorart", raw)
    texts = list(_texts(tensorart_nodes(raw, job, NOW)[0]))
    assert any("RUNNING  62%" in text for text in texts), texts
    assert "47%" in job.summary


def test_the_list_bar_floors_like_the_summary() -> None:
    raw = _running_tensorart(0.259, 0.259)
    job = parse("tensorart", raw)
    assert "25%" in job.summary
    row = JobRow.from_watched(watched(job))
    assert progress_text(row, 20).endswith(" 25%")


def test_a_job_canceled_in_the_queue_did_not_run() -> None:
    from datetime import timedelta

    from jobtui.model import Job, JobState
    from jobtui.tui.results.nodes import header_nodes

    created = NOW - timedelta(minutes=50)
    job = Job(kind="superai", provider="superai", id="j1", state=JobState.CANCELED,
              raw_status="CANCELED", created_at=created,
              finished_at=created + timedelta(minutes=42, seconds=51))  # fmt: skip
    texts = list(_texts(list(header_nodes(job, NOW))))
    finished = [text for text in texts if "finished" in text]
    assert finished and all("ran " not in text for text in finished), texts
    assert any("never started; waited 42m 51s" in text for text in finished), texts


def test_a_running_cognite_job_is_not_summarised_as_failed() -> None:
    raw = {
        "jobId": 123, "status": "Running", "createdTime": 1_700_000_000_000,
        "items": [],
        "failedItems": [{"errorMessage": "bad file", "items": [{"fileId": i} for i in range(7)]}],
    }  # fmt: skip
    job = parse("cognite", raw)
    assert job.state.value == "running"
    assert "7 of 7" not in job.summary
    assert job.summary.startswith("running, 7 files failed so far"), job.summary


def test_image_intelligence_tree_counts_images_as_the_summary_does() -> None:
    from jobtui.tui.results.imageintelligence import imageintelligence_nodes

    statuses = ["IMAGE_DOWNLOAD_ERROR", "IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS"]
    raw = {
        "id": "ii-1", "status": "IN_PROGRESS", "createdAt": 1_700_000_000,
        "question": "Is the door open?",
        "imageResults": [
            {"id": f"i{n}", "url": f"https://x.test/{n}.jpg", "status": status}
            for n, status in enumerate(statuses)
        ],
    }  # fmt: skip
    job = parse("imageintelligence", raw)
    assert job.summary.endswith("1 of 4 images done, 1 failed"), job.summary
    texts = list(_texts(imageintelligence_nodes(raw, job, NOW)[0]))
    (branch,) = [text for text in texts if text.startswith("imageResults")]
    assert branch.endswith("1 of 4 images done, 1 failed"), branch


def test_the_header_progress_floors_like_the_summary() -> None:
    from jobtui.tui.results.nodes import header_nodes

    raw = _running_tensorart(0.789, 0.789)
    job = parse("tensorart", raw)
    assert "78%" in job.summary
    texts = list(_texts(list(header_nodes(job, NOW))))
    assert "progress 78%" in texts, texts  # was 79 %, rounded, beside "78%"
