"""The pure result-node layer: paging, durations, expiry, and odd payloads never breaking it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobtui.model import Job, JobItem, JobState
from jobtui.tui.results.nodes import (
    PAGE_SIZE,
    ResultNode,
    concat,
    format_duration,
    header_nodes,
    item_nodes,
    node_list,
    relative,
    value_node,
)
from jobtui.tui.results.providers import provider_nodes
from jobtui.tui.results.tensorart import expiry_moment

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (40, "40s"),
        (192, "3m 12s"),
        (180, "3m"),
        (7_500, "2h 5m"),
        (7_200, "2h"),
        (273_600, "3d 4h"),
        (-40, "40s"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_relative() -> None:
    assert relative(NOW + timedelta(hours=2), NOW) == "in 2h"
    assert relative(NOW - timedelta(seconds=90), NOW) == "1m ago"  # minutes past a minute
    assert relative(NOW - timedelta(seconds=59), NOW) == "59s ago"
    assert relative(NOW - timedelta(hours=2, minutes=5, seconds=9), NOW) == "2h 5m ago"
    assert relative(NOW, NOW) == "now"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3600s", NOW + timedelta(hours=1)),
        ("3600", NOW + timedelta(hours=1)),
        (3600, NOW + timedelta(hours=1)),
        ("1795000000", datetime.fromtimestamp(1_795_000_000, UTC)),
        ("1795000000000", datetime.fromtimestamp(1_795_000_000, UTC)),
        ("2026-11-22T14:00:00Z", NOW + timedelta(hours=2)),
        ("soon", None),
        ("", None),
    ],
)
def test_tensorart_expiry(value: object, expected: datetime | None) -> None:
    assert expiry_moment(value, NOW) == expected


def test_list_pages_are_built_only_when_asked() -> None:
    built: list[int] = []

    class Probe(list[int]):
        def __getitem__(self, index: Any) -> Any:
            built.append(index)
            return super().__getitem__(index)

    node = value_node("big", Probe(range(10_000)))
    assert node.text == "big [10,000]" and built == []
    assert node.children is not None
    page = node.children.load(PAGE_SIZE, 2 * PAGE_SIZE)
    assert [child.text for child in page[:2]] == ["[50]: 50", "[51]: 51"]
    assert built == list(range(PAGE_SIZE, 2 * PAGE_SIZE))


def test_concat_pages_across_the_seam() -> None:
    first = node_list([value_node(f"a{i}", i) for i in range(3)])
    second = node_list([value_node(f"b{i}", i) for i in range(3)])
    both = concat(first, second)
    assert both.total == 6
    assert [n.text for n in both.load(2, 5)] == ["a2: 2", "b0: 0", "b1: 1"]


def test_scalars_render_as_json_and_long_strings_are_clipped() -> None:
    assert value_node("x", None).text == "x: null"
    assert value_node("x", True).text == "x: true"
    assert value_node("x", 0.5).text == "x: 0.5"
    long = value_node("x", "y" * 1_000).text
    assert long.startswith("x: " + "y" * 200 + "…") and long.endswith("(1,000 chars)")


def test_header_for_a_running_job_counts_from_start() -> None:
    job = Job(
        kind="superai",
        provider="sa",
        id="1",
        state=JobState.RUNNING,
        raw_status="IN_PROGRESS",
        created_at=NOW - timedelta(minutes=5),
        started_at=NOW - timedelta(minutes=4),
    )
    texts = [node.text for node in header_nodes(job, NOW)]
    assert texts[0] == "◐ running  IN_PROGRESS  sa 1"
    assert "elapsed  running for 4m" in texts
    # As the list's ages: seconds under 2 minutes, then whole minutes (one change a minute).
    early = [node.text for node in header_nodes(job, NOW - timedelta(minutes=2, seconds=1))]
    assert "elapsed  running for 119s" in early
    later = [node.text for node in header_nodes(job, NOW + timedelta(minutes=38, seconds=59))]
    assert "elapsed  running for 42m" in later
    assert header_nodes(job, NOW, ascii_only=True)[0].text.startswith("~ running")


def test_items_branch_counts_failures_and_shows_errors() -> None:
    items = (
        JobItem(id="a", state=JobState.SUCCEEDED),
        JobItem(id="b", label="img.jpg", state=JobState.FAILED, error="IMAGE_DOWNLOAD_ERROR"),
    )
    node = item_nodes(items)
    assert node.text == "job items (2)  1 failed"
    assert node.children is not None
    texts = [child.text for child in node.children.load(0, 5)]
    assert texts == ["✓ a  succeeded", "✗ b  img.jpg  failed  IMAGE_DOWNLOAD_ERROR"]


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("cognite", {"items": "not a list", "failedItems": [{"items": 3}]}),
        ("deepomatic", {"data": [1, 2]}),
        ("deepomatic", {"data": {"outputs": [{"labels": {"predicted": [{"score": "high"}]}}]}}),
        ("tensorart", {"job": {"successInfo": {"images": [{"expiredIn": {"x": 1}}]}}}),
        ("imageintelligence", {"imageResults": [None, 3, {"status": {"code": None}}]}),
        ("superai", {"tags": "x", "response": None}),
        ("unknown-kind", {"a": [1, {"b": 2}]}),
        ("superai", ["a", "list"]),
    ],
)
def test_odd_payloads_still_render(kind: str, raw: Any) -> None:
    job = Job(kind=kind, provider=kind, id="1", state=JobState.UNKNOWN, raw=raw)
    texts = _all_texts(provider_nodes(job, NOW))
    assert texts  # something is shown


def _all_texts(nodes: list[ResultNode], depth: int = 0) -> list[str]:
    texts = []
    for node in nodes:
        texts.append(node.text)
        if node.children is not None and depth < 8:
            texts += _all_texts(list(node.children.load(0, PAGE_SIZE)), depth + 1)
    return texts


JSON = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "items",
                    "failedItems",
                    "segments",
                    "polygons",
                    "vertices",
                    "data",
                    "outputs",
                    "labels",
                    "predicted",
                    "job",
                    "successInfo",
                    "images",
                    "nodes",
                    "finishedNodes",
                    "imageResults",
                    "jobResults",
                    "status",
                    "input",
                    "tags",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(["imageintelligence", "deepomatic", "superai", "tensorart", "cognite"]),
    raw=JSON,
)
def test_any_json_renders_without_error(kind: str, raw: Any) -> None:
    job = Job(kind=kind, provider=kind, id="1", state=JobState.UNKNOWN, raw=raw)
    texts = _all_texts(provider_nodes(job, NOW))
    assert "could not read the provider's structures" not in " ".join(texts)


def test_superai_output_fetched_by_the_provider_is_shown() -> None:
    raw = {
        "id": 7,
        "state": "COMPLETED",
        "_jobtui_response": {"response": {"label": "cat-in-hat"}},
    }
    job = Job(kind="superai", provider="sa", id="7", state=JobState.SUCCEEDED, raw=raw)
    texts = " ".join(_all_texts(provider_nodes(job, NOW)))
    assert "output" in texts and "cat-in-hat" in texts
    assert "_jobtui_response" not in texts
