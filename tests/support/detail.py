"""The detail pane's test host and the jobs, payloads and transitions its tests use."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.filter import LineFilter
from textual.pilot import Pilot
from textual.widgets.tree import TreeNode

from jobtui.errors import PayloadError
from jobtui.model import Job, JobState
from jobtui.store import Transition, WatchedJob
from jobtui.tui.themes import STATE_DEFAULTS, load_themes, readable_line_filters
from jobtui.tui.widgets.detail import DetailPane
from jobtui.tui.widgets.resulttree import ResultTree, TreeEntry

from support.data import provider_doc, real_payload_files
from support.waiting import wait_until_settled

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
KINDS = ("imageintelligence", "deepomatic", "superai", "tensorart", "cognite")


# -- payloads and jobs -----------------------------------------------------------------------------


def seed_payload(kind: str) -> dict[str, Any]:
    """The first JSON object of a provider's documentation page with more than two fields."""
    text = provider_doc(kind)
    for match in re.finditer(r"\{", text):
        try:
            value = json.JSONDecoder().raw_decode(text[match.start() :])[0]
        except ValueError:
            continue
        if isinstance(value, dict) and len(value) > 2:
            return value
    raise AssertionError(f"no JSON object in {kind}.seed.txt")


def real_payloads() -> Iterator[tuple[str, str, Any]]:
    """(kind, file name, payload) of every published real payload."""
    for path in real_payload_files():
        yield path.name.split("--", 1)[0], path.name, json.loads(path.read_text())


def make_job(kind: str, raw: Any, **fields: Any) -> Job:
    """The provider's own parse when it has landed and accepts the payload, else a plain Job."""
    try:
        from jobtui.providers import parse

        return parse(kind, raw)
    except (ImportError, AttributeError, PayloadError):
        status = raw.get("status") if isinstance(raw, dict) else None
        job_id = raw.get("id", raw.get("jobId", "1")) if isinstance(raw, dict) else "1"
        defaults: dict[str, Any] = {
            "kind": kind,
            "provider": kind,
            "id": str(job_id),
            "state": JobState.UNKNOWN,
            "raw_status": status if isinstance(status, str) else None,
            "raw": raw,
        }
        defaults.update(fields)
        return Job(**defaults)


def watched(job: Job | None, **fields: Any) -> WatchedJob:
    """A store row for ``job``."""
    values: dict[str, Any] = {
        "provider": job.provider if job else "deepo",
        "kind": job.kind if job else "deepomatic",
        "id": job.id if job else "42",
        "label": None,
        "added_at": NOW - timedelta(hours=1),
        "job": job,
        "state": job.state if job else JobState.UNKNOWN,
        "next_poll_at": None,
        "poll_error": None,
        "polled_at": NOW - timedelta(seconds=5),
    }
    values.update(fields)
    return WatchedJob(**values)


def transitions_for(job: Job) -> list[Transition]:
    """A queued → running → final history ending at ``job.state``."""
    start = NOW - timedelta(minutes=10)
    return [
        Transition(job.provider, job.id, start, None, JobState.QUEUED, "PENDING"),
        Transition(
            job.provider,
            job.id,
            start + timedelta(seconds=40),
            JobState.QUEUED,
            JobState.RUNNING,
            "RUNNING",
        ),
        Transition(
            job.provider,
            job.id,
            start + timedelta(minutes=3, seconds=52),
            JobState.RUNNING,
            job.state,
            job.raw_status,
        ),
    ]


# -- host app --------------------------------------------------------------------------------------


class DetailHost(App[None]):
    """A screen holding only the detail pane, on a jobtui theme, with a frozen clock."""

    CSS = "DetailPane { height: 1fr; }"

    def __init__(
        self,
        job: WatchedJob | None = None,
        transitions: list[Transition] | None = None,
        *,
        theme: str = "jobtui-dark",
        ascii_only: bool = False,
        initial_tab: str = "result",
    ) -> None:
        super().__init__()
        for loaded in load_themes(user_dir=Path("/nonexistent")):
            self.register_theme(loaded)
        self.theme = theme
        self._job = job
        self._transitions = transitions or []
        self._ascii_only = ascii_only
        self._initial_tab = initial_tab

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(STATE_DEFAULTS)

    def get_line_filters(self) -> Sequence[LineFilter]:
        return readable_line_filters(super().get_line_filters(), ansi=self.native_ansi_color)

    def compose(self) -> ComposeResult:
        yield DetailPane(
            now=lambda: NOW, ascii_only=self._ascii_only, initial_tab=self._initial_tab
        )

    def on_mount(self) -> None:
        pane = self.query_one(DetailPane)
        pane.show(self._job, self._transitions)
        pane.focus_body()


def screen_text(app: App[Any]) -> str:
    """What the terminal would show, as plain text lines."""
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())


async def expand_all(pilot: Pilot[Any], tree: ResultTree, depth: int = 6) -> None:
    """Open every branch down to ``depth`` (lazy pages load on the way)."""
    for _ in range(depth):
        closed = [
            node
            for node in _walk(tree.root)
            if node.allow_expand and not node.is_expanded and node.data is not None
        ]
        if not closed:
            return
        for node in closed:
            node.expand()
        # Children are built on NodeExpanded: let those messages (and pages) run.
        await wait_until_settled(pilot)


def _walk(node: TreeNode[TreeEntry]) -> Iterator[TreeNode[TreeEntry]]:
    for child in node.children:
        yield child
        if child.is_expanded:
            yield from _walk(child)


def labels(tree: ResultTree) -> list[str]:
    return [entry.text for _, entry in tree.entries()]


# -- Result tab ------------------------------------------------------------------------------------
