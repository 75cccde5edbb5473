"""The dashboard's command line: ``jobtui``, ``jobtui dashboard``, ``jobtui demo``."""

from __future__ import annotations

import pytest

from jobtui.cli import build_parser
from jobtui.cli.dashboard_cmd import run as dashboard_run
from jobtui.cli.demo_cmd import run as demo_run


@pytest.mark.parametrize(
    ("argv", "no_mouse"),
    [
        (["--no-mouse", "dashboard"], True),
        (["dashboard", "--no-mouse"], True),
        (["dashboard"], False),
        (["demo", "--no-mouse"], True),
    ],
)
def test_no_mouse_wherever_it_is_given(argv: list[str], no_mouse: bool) -> None:
    args = build_parser().parse_args(argv)
    assert bool(getattr(args, "no_mouse", False)) is no_mouse


def test_commands_route_to_their_handlers() -> None:
    parser = build_parser()
    assert parser.parse_args(["dashboard"]).handler is dashboard_run
    args = parser.parse_args(["demo", "--jobs", "3", "--faults", "0.2", "--speed", "4"])
    assert args.handler is demo_run
    assert (args.jobs, args.faults, args.speed) == (3, 0.2, 4.0)


@pytest.mark.parametrize(
    "argv",
    [["demo", "--faults", "1.5"], ["demo", "--speed", "0"], ["demo", "--jobs", "-1"]],
)
def test_demo_rejects_bad_values(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(argv)
    assert caught.value.code == 2
    assert "must be" in capsys.readouterr().err
