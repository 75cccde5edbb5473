"""The command line's parser: each command named gets the same parse from its module alone."""

from __future__ import annotations

import argparse
import importlib

import pytest

from jobtui.cli import COMMAND_MODULES, COMMANDS, build_parser, command_word


def _commands_of(module_name: str) -> set[str]:
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers(dest="command")
    importlib.import_module(module_name).register(subparsers)
    return set(subparsers.choices)


def test_every_command_is_mapped_to_the_module_that_registers_it() -> None:
    registered = {name: module for module in COMMAND_MODULES for name in _commands_of(module)}
    assert registered == COMMANDS


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        (["config", "check"], "config"),
        (["--config", "c.toml", "config", "check", "--strict"], "config"),
        (["--config=c.toml", "--debug", "status", "--all"], "status"),
        (["--conf", "config", "ls"], "ls"),  # an option's value is not the command
        (["--store", "s.db", "--log-file", "l", "--no-mouse"], None),
        ([], None),
        (["-h", "config"], None),
        (["--version"], None),
        (["--config"], None),
    ],
)
def test_the_command_word_is_read_past_the_global_options(
    argv: list[str], word: str | None
) -> None:
    assert command_word(argv) == word


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "c.toml", "config", "check", "--strict"],
        ["config", "path"],
        ["--store", "s.db", "status", "--all", "--json"],
        ["ls", "--state", "failed"],
        ["errors"],
    ],
)
def test_a_parser_of_one_command_parses_as_the_whole(argv: list[str]) -> None:
    word = command_word(argv)
    assert word is not None
    alone = build_parser((COMMANDS[word],)).parse_args(argv)
    whole = build_parser().parse_args(argv)
    assert vars(alone) == vars(whole)
