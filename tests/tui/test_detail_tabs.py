"""Pilot tests of the detail pane's JSON and Timeline tabs."""

from __future__ import annotations

import json

from jobtui.tui.terminal.safe_text import component_text_style
from jobtui.tui.widgets.detail import DetailPane
from jobtui.tui.widgets.jsonview import JsonLines, JsonView
from jobtui.tui.widgets.timeline import Timeline

from support.detail import (
    DetailHost,
    make_job,
    screen_text,
    seed_payload,
    transitions_for,
    watched,
)
from support.waiting import wait_until, wait_until_settled

# -- JSON tab --------------------------------------------------------------------------------------


async def test_json_search_highlights_and_steps_through_matches() -> None:
    job = make_job("imageintelligence", seed_payload("imageintelligence"))
    app = DetailHost(watched(job))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until_settled(pilot)  # the start-up focus must not switch the tab back
        app.query_one(DetailPane).select_tab("json")
        await wait_until(pilot, lambda: bool(app.query_one(JsonLines).lines), "the JSON drawn")
        await pilot.press("slash", *"image-00", "enter")
        view, body = app.query_one(JsonView), app.query_one(JsonLines)
        await wait_until(
            pilot, lambda: body.has_focus and bool(body.matches), "the search ran, keyboard back"
        )
        count = len(body.matches)
        assert count == sum(line.lower().count("image-00") for line in body.lines) > 2
        assert body.current == 0
        assert f"match 1/{count}" in screen_text(app)
        await pilot.press("n", "n")
        assert body.current == 2
        await pilot.press("N", "N", "N")
        assert body.current == count - 1
        await wait_until_settled(pilot)
        line, column = body.matches[body.current]
        strip = body._line_strip(line)
        current_style = component_text_style(body, "jsonlines--current", background=True)
        assert current_style.bgcolor is not None
        segments = list(strip.crop(column, column + 8))
        assert segments and all(
            current_style.bgcolor == seg.style.bgcolor for seg in segments if seg.style is not None
        )
        assert view.search("no such text") == 0
        assert "no match" in screen_text(app)


async def test_one_megabyte_payload_does_not_freeze() -> None:
    raw = {
        "status": "success",
        "data": {"rows": [{"i": i, "name": f"row {i}" * 3, "ok": True} for i in range(17_000)]},
    }
    assert len(json.dumps(raw)) > 1_000_000
    job = make_job("deepomatic", raw)
    app = DetailHost(watched(job))
    # How fast is measured in bench/; here: it opens, searches and scrolls at all.
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until_settled(pilot)  # the start-up focus must not switch the tab back
        app.query_one(DetailPane).select_tab("json")
        body = app.query_one(JsonLines)
        await wait_until(pilot, lambda: len(body.lines) > 80_000, "the megabyte of JSON laid out")
        assert app.query_one(JsonView).search("row 16999") == 3
        await wait_until(
            pilot,
            lambda: '"i": 16999' in screen_text(app),
            "the view scrolled to the match",
            detail=lambda: screen_text(app),
        )


# -- Timeline tab ----------------------------------------------------------------------------------


async def test_timeline_rows_with_durations() -> None:
    job = make_job("tensorart", seed_payload("tensorart"))
    app = DetailHost(watched(job), transitions_for(job))
    async with app.run_test(size=(100, 20)) as pilot:
        await wait_until_settled(pilot)  # the start-up focus must not switch the tab back
        app.query_one(DetailPane).select_tab("timeline")
        table = app.query_one(Timeline)
        await wait_until(pilot, lambda: table.row_count == 3, "the three transitions listed")
        rows = [[cell.plain for cell in table.get_row_at(i)] for i in range(3)]
        assert rows[0] == ["2026-11-22 11:50:00Z", "● queued", "PENDING", "first seen", "40s"]
        assert rows[1] == ["2026-11-22 11:50:40Z", "◐ running", "RUNNING", "+40s", "3m 12s"]
        assert rows[2][1].endswith(job.state.value)
        assert rows[2][3] == "+3m 12s"
        expected_last = "final" if job.state.terminal else "6m 8s so far"
        assert rows[2][4] == expected_last
