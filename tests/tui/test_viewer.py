"""``e``'s pager: which program is run, what it is given, and that nothing is left behind."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from jobtui.tui.terminal.viewer import open_in_viewer, viewer_command


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"PAGER": "less -R", "EDITOR": "vim"}, ["less", "-R"]),
        ({"PAGER": "  ", "EDITOR": "code --wait"}, ["code", "--wait"]),
        ({"EDITOR": "'/opt/my editor/bin/ed'"}, ["/opt/my editor/bin/ed"]),
        ({}, ["less"]),
    ],
)
def test_pager_then_editor_then_less(environ: dict[str, str], expected: list[str]) -> None:
    assert viewer_command(environ) == expected


def test_an_unparsable_pager_is_named() -> None:
    with pytest.raises(ValueError, match=r"\$PAGER"):
        viewer_command({"PAGER": "less 'unbalanced"})


def test_the_program_gets_the_text_in_a_file_that_is_removed_after(tmp_path: Path) -> None:
    seen = tmp_path / "seen.json"
    # A stand-in pager: records the path it was given and a copy of the file.
    script = (
        "import pathlib, sys; p = pathlib.Path(sys.argv[2]);"
        "pathlib.Path(sys.argv[1]).write_text(str(p) + '\\n' + p.read_text())"
    )
    text = json.dumps({"id": "269999729", "label": "é [bold]x[/]"}, ensure_ascii=False)
    code = open_in_viewer(text, [sys.executable, "-c", script, str(seen)])
    assert code == 0
    path, content = seen.read_text(encoding="utf-8").split("\n", 1)
    assert content == text + "\n"
    assert path.endswith(".json") and not Path(path).exists()


def test_exit_status_is_returned_and_a_missing_program_raises() -> None:
    assert open_in_viewer("{}", [sys.executable, "-c", "raise SystemExit(3)"]) == 3
    with pytest.raises(OSError):
        open_in_viewer("{}", ["/nonexistent/jobtui-pager"])
