"""Theme files: the shipped set, loader errors, user overrides, and readability (NO_COLOR too)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import Color as RichColor
from rich.segment import Segment
from textual.color import Color

from jobtui.errors import ConfigError
from jobtui.model import JobState
from jobtui.tui.joblist.glyphs import ASCII_GLYPHS, UTF8_GLYPHS, glyph, state_variable
from jobtui.tui.themes import (
    STATE_DEFAULTS,
    load_theme_file,
    load_theme_set,
    load_themes,
    shipped_themes_dir,
)

from support.data import REPO_ROOT
from support.detail import (
    DetailHost,
    make_job,
    seed_payload,
    transitions_for,
    watched,
)
from support.waiting import wait_until, wait_until_settled

SHIPPED = ("ansi-dark", "ansi-light", "high-contrast", "jobtui-dark", "jobtui-light")
NOWHERE = Path("/nonexistent")


def test_shipped_themes_load_with_a_colour_for_every_state() -> None:
    loaded = load_theme_set([shipped_themes_dir()])
    assert loaded.errors == []
    assert sorted(theme.name for theme in loaded.themes) == list(SHIPPED)
    for theme in loaded.themes:
        for state in JobState:
            value = theme.variables[state_variable(state)]
            Color.parse(value)  # raises if not a colour
        if theme.name.startswith("ansi-"):
            assert theme.ansi
            assert all(theme.variables[f"state-{s.value}"].startswith("ansi_") for s in JobState)
        else:
            assert not theme.ansi


def test_shipped_themes_are_found_in_a_source_checkout() -> None:
    assert shipped_themes_dir() == REPO_ROOT / "themes"
    assert len(list(shipped_themes_dir().glob("*.toml"))) == len(SHIPPED)


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = 'name = "mine"\nprimary = "#336699"\n\n[states]\nfailed = "#ff0000"\n'


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        (
            'name = "x"\nprimary = "#123456"\n[states]\nfailed = "notacolour"\n',
            4,
            "states.failed",
            "not a colour",
        ),
        (
            'name = "x"\nprimary = "#123456"\n[states]\nexploded = "#ff0000"\n',
            4,
            "states.exploded",
            "unknown state",
        ),
        (
            'name = "x"\nprimary = "#123456"\nbackgorund = "#000000"\n',
            3,
            "backgorund",
            "unknown key",
        ),
        ('primary = "#123456"\n', None, "name", "needs a name"),
        ('name = "x"\nprimary = "#123456"\ndark = "yes"\n', 3, "dark", "true or false"),
        (
            'name = "x"\nprimary = "#123456"\n[variables]\nborder = 3\n',
            4,
            "variables.border",
            "expected a string",
        ),
        ('name = "x"\nprimary = 7\n', 2, "primary", "colour as a string"),
        ('name = "x"\nprimary = "#123456\n', 2, None, "not valid TOML"),
    ],
)
def test_bad_theme_file_names_file_line_and_key(
    tmp_path: Path, text: str, line: int | None, key: str | None, words: str
) -> None:
    path = _write(tmp_path, "bad.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_theme_file(path)
    error = caught.value
    assert error.file == path and error.line == line and error.key == key
    assert words in str(error)
    assert str(error).startswith(f"{path}:{line}: " if line else f"{path}: ")


def test_a_bad_file_is_skipped_and_the_rest_load(tmp_path: Path) -> None:
    _write(tmp_path, "a-bad.toml", 'name = "bad"\nprimary = "nope"\n')
    _write(tmp_path, "b-good.toml", GOOD)
    loaded = load_theme_set([shipped_themes_dir(), tmp_path])
    assert [error.file for error in loaded.errors] == [tmp_path / "a-bad.toml"]
    names = {theme.name for theme in loaded.themes}
    assert names == {*SHIPPED, "mine"}
    assert load_themes(user_dir=tmp_path)[-1].name == "mine"


def test_user_theme_overrides_a_shipped_one_and_keeps_state_defaults(tmp_path: Path) -> None:
    _write(tmp_path, "dark.toml", 'name = "jobtui-dark"\nprimary = "#010203"\n')
    themes = {theme.name: theme for theme in load_themes(user_dir=tmp_path)}
    assert themes["jobtui-dark"].primary == "#010203"
    assert themes["jobtui-dark"].variables["state-failed"] == STATE_DEFAULTS["state-failed"]


def test_user_ansi_theme_gets_the_variables_textual_needs(tmp_path: Path) -> None:
    _write(tmp_path, "t.toml", 'name = "term"\nansi = true\nprimary = "ansi_blue"\n')
    (theme,) = load_theme_set([tmp_path]).themes
    assert theme.variables["ansi-background"] == "ansi_black"


def test_missing_directories_are_fine() -> None:
    assert load_theme_set([NOWHERE]).themes == []
    assert {t.name for t in load_themes(user_dir=NOWHERE)} == set(SHIPPED)


def test_glyph_tables_cover_every_state_in_one_cell() -> None:
    for table in (UTF8_GLYPHS, ASCII_GLYPHS):
        assert set(table) == set(JobState)
        assert len(set(table.values())) == len(JobState)
    assert all(len(g) == 1 and g.isascii() for g in ASCII_GLYPHS.values())
    assert glyph(JobState.FAILED) == "✗" and glyph(JobState.FAILED, ascii_only=True) == "x"


def _luminance(color: RichColor) -> float:
    def channel(value: int) -> float:
        scaled = value / 255
        return scaled / 12.92 if scaled <= 0.03928 else ((scaled + 0.055) / 1.055) ** 2.4

    red, green, blue = color.get_truecolor()
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def _unreadable(segments: list[Segment]) -> list[str]:
    """Text (letters or digits) whose colour is too close to its background."""
    bad = []
    for segment in segments:
        style = segment.style
        if style is None or not any(char.isalnum() for char in segment.text):
            continue
        fg, bg = style.color, style.bgcolor
        if fg is None or bg is None or fg.is_default or bg.is_default:
            continue  # the terminal's own colours
        darker, lighter = sorted((_luminance(fg), _luminance(bg)))
        if (lighter + 0.05) / (darker + 0.05) < 3.0:
            bad.append(f"{segment.text!r} {style}")
    return bad


@pytest.mark.parametrize("no_color", [False, True], ids=["color", "NO_COLOR"])
@pytest.mark.parametrize("theme", SHIPPED)
async def test_every_theme_is_readable(
    theme: str, no_color: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    job = make_job("cognite", seed_payload("cognite"))
    app = DetailHost(watched(job), transitions_for(job), theme=theme)
    async with app.run_test(size=(90, 18)) as pilot:
        await pilot.press("down")
        await wait_until_settled(pilot)
        assert app.no_color is no_color
        strips = app.screen._compositor.render_strips()
        bad = [text for strip in strips for text in _unreadable(list(strip))]
        assert bad == []
        # The cursor line must look different from the same line without the cursor.
        tree = app.query_one("ResultTree")
        row = tree.region.y + tree.cursor_line

        def look() -> set[str]:
            strip = app.screen._compositor.render_strips()[row]
            return {str(s.style) for s in strip if s.text.strip()}

        with_cursor = look()
        await pilot.press("down")
        await wait_until(pilot, lambda: look() != with_cursor, "the cursor line moved")
