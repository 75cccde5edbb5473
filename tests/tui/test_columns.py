"""Job list cells: ids shortened in the middle, ages, progress, columns that fit."""

from __future__ import annotations

from rich.cells import cell_len

from jobtui.model import JobState
from jobtui.tui.joblist.columns import (
    DEFAULT_COLUMNS,
    cell_text,
    fit,
    human_age,
    layout_columns,
    progress_text,
    shorten_middle,
)
from jobtui.tui.joblist.model import JobRow

from support.tui_data import HOSTILE_LABEL, NOW, watched


def test_long_uuid_keeps_both_ends() -> None:
    uuid = "1f3c9a7e-5b2d-4c8e-9f01-23456789abcd"
    short = shorten_middle(uuid, 12)
    assert cell_len(short) == 12
    assert short.startswith("1f3c9a") and short.endswith("9abcd") and "…" in short
    assert shorten_middle(uuid, 12, ascii_only=True).count("~") == 1
    assert shorten_middle("269999729", 12) == "269999729"


def test_fit_pads_or_elides_to_the_exact_width() -> None:
    assert fit("abc", 5) == "abc  "
    assert fit("abcdefgh", 5) == "abcd…"
    assert cell_len(fit("日本語のラベル", 6)) == 6


def test_human_age_steps() -> None:
    ages = (0, 30, 119, 125, 600, 7200, 19_920, 86_400, 200_000, 864_000, 64_000_000)
    assert [human_age(s) for s in ages] == [
        "now", "30s", "119s", "2m", "10m", "120m", "5h", "24h", "2d", "10d", "2y"
    ]


def test_progress_bar_and_queue_position() -> None:
    running = JobRow.from_watched(watched("t", "1", JobState.RUNNING, progress=0.5))
    # The percentage is right-aligned so a column of bars lines up.
    assert progress_text(running, 10) == "██░░░  50%"
    assert progress_text(running, 10, ascii_only=True) == "##---  50%"
    queued = JobRow.from_watched(watched("t", "2", JobState.QUEUED, queue=(3, 17)))
    assert progress_text(queued, 10) == "queue 3/17"
    done = JobRow.from_watched(watched("t", "3", JobState.SUCCEEDED, progress=1.0))
    assert progress_text(done, 10) == ""


def test_state_cell_has_a_glyph_and_a_word() -> None:
    row = JobRow.from_watched(watched("t", "1", JobState.FAILED))
    now = NOW.timestamp()
    assert cell_text("state", row, 11, now, ascii_only=False) == "✗ failed"
    assert cell_text("state", row, 11, now, ascii_only=True) == "x failed"


def test_provider_strings_are_made_visible() -> None:
    row = JobRow.from_watched(watched("t", "1", JobState.FAILED, label=HOSTILE_LABEL))
    text = cell_text("label", row, 40, NOW.timestamp(), ascii_only=False)
    assert "\x1b" not in text and "\x07" not in text
    assert text.startswith("[bold]x[/] \\x1b[31mred\\x1b]52;c;")


def test_columns_fill_the_width_and_drop_by_rank() -> None:
    wide = layout_columns(150, DEFAULT_COLUMNS)
    assert [c.name for c, _, _ in wide] == list(DEFAULT_COLUMNS)
    _, x, width = wide[-1]
    assert x + width == 150
    narrow = [c.name for c, _, _ in layout_columns(76, DEFAULT_COLUMNS)]
    assert "updated" not in narrow and "label" not in narrow
    assert {"state", "id", "summary", "progress"} <= set(narrow)


def test_a_squeezed_id_beats_a_missing_provider() -> None:
    # The job list at 80x24 with the sidebar shown: 47 cells for the columns.
    names = [c.name for c, _, _ in layout_columns(47, DEFAULT_COLUMNS, provider_width=5)]
    assert names == ["state", "provider", "id", "summary"]
    placed = {c.name: w for c, _, w in layout_columns(47, DEFAULT_COLUMNS, provider_width=5)}
    assert placed["id"] == 9 and placed["summary"] >= 16


def test_a_wide_screen_shows_whole_ids() -> None:
    tensorart_id = "1814480486365823872"  # every Tensor.Art id begins 18144804…
    placed = {c.name: w for c, _, w in layout_columns(196, DEFAULT_COLUMNS, id_width=19)}
    assert placed["id"] == len(tensorart_id)
    # Never more than the longest id, and a narrow screen keeps the usual 12.
    assert {c.name: w for c, _, w in layout_columns(196, DEFAULT_COLUMNS)}["id"] == 12
    assert {c.name: w for c, _, w in layout_columns(88, DEFAULT_COLUMNS, id_width=19)}["id"] == 12
    # A 100-column list (beside the detail pane of a 200-column screen): the id is
    # whole, and the "updated" column gives way for it, the first to go as ever.
    beside = {c.name: w for c, _, w in layout_columns(99, DEFAULT_COLUMNS, id_width=19)}
    assert beside["id"] == 19 and "updated" not in beside and beside["summary"] >= 16
    assert "updated" in {c.name for c, _, _ in layout_columns(99, DEFAULT_COLUMNS)}
