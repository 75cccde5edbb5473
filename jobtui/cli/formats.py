"""``--format table|json|jsonl|csv``: one way to print rows for every report command.

``--json`` stays the shorthand for ``--format json``. Rows are dicts of JSON
values; CSV cells are the values as text (None empty, lists and objects as
JSON), so a spreadsheet or Python's ``csv`` reads back what ``--json`` says.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

from jobtui.textsafe import visible

__all__ = [
    "FORMATS",
    "add_format_option",
    "chosen_format",
    "csv_cell",
    "print_table_rows",
    "write_rows",
]

FORMATS = ("table", "json", "jsonl", "csv")
"""The values ``--format`` accepts."""

_MAX_WIDTH = 60


def add_format_option(parser: argparse.ArgumentParser, *, with_json: bool = True) -> None:
    """Add ``--format`` (and ``--json`` unless the command has it already)."""
    parser.add_argument(
        "--format", choices=FORMATS, default=None, help="output format (default: table)"
    )
    if with_json:
        parser.add_argument("--json", action="store_true", help="same as --format json")


def chosen_format(args: argparse.Namespace) -> str:
    """The format asked for: ``--format``, else ``json`` with ``--json``, else ``table``."""
    fmt: str | None = getattr(args, "format", None)
    if fmt is not None:
        return fmt
    return "json" if getattr(args, "json", False) else "table"


def csv_cell(value: object) -> str:
    """A JSON value as one CSV cell: None empty, text as is, the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def write_rows(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    out: TextIO,
    *,
    table: Callable[[], None] | None = None,
    columns: Sequence[str] | None = None,
) -> None:
    """Print ``rows`` as ``fmt``; ``table`` prints the table form (default: all columns)."""
    if fmt == "json":
        json.dump(list(rows), out, indent=2)
        out.write("\n")
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row) + "\n")
    elif fmt == "csv":
        names = list(columns) if columns else _columns(rows)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow([csv_cell(row.get(name)) for name in names])
    elif table is not None:
        table()
    else:
        names = list(columns) if columns else _columns(rows)
        print_table_rows(
            [n.upper() for n in names],
            ([_table_cell(row.get(n)) for n in names] for row in rows),
            out,
        )


def _columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Every key of the rows, in first-seen order."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return list(names)


def _table_cell(value: object) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return csv_cell(value)


def print_table_rows(headers: Sequence[str], rows: Iterable[Sequence[str]], out: TextIO) -> None:
    """An aligned plain-text table; every cell made safe for the terminal."""
    table = [tuple(headers), *(tuple(visible(c) for c in row) for row in rows)]
    widths = [min(_MAX_WIDTH, max(len(r[i]) for r in table)) for i in range(len(headers))]
    for row in table:
        line = "  ".join(cell[:w].ljust(w) for cell, w in zip(row, widths, strict=True))
        out.write(line.rstrip() + "\n")
