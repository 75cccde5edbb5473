"""Reading the plain ``[[jobs]]`` blocks of a config without ``tomllib``.

``jobtui sim --jobs 2000`` prints 10,000 blocks of two lines each::

    [[jobs]]
    provider = "deepomatic"
    id = "1234"

``tomllib`` (pure Python) spends most of a load on them. ``split_jobs`` reads
blocks of that plain shape (bare keys; basic strings without escapes,
decimal integers or booleans; comments; blank lines) itself and blanks
their lines, so ``tomllib`` parses the rest with every line number intact.
It gives up (None: parse the whole text as usual) on anything it does not
understand, so it never accepts a document ``tomllib`` would refuse, nor
reads one differently.
"""

from __future__ import annotations

import re

__all__ = ["split_jobs"]

_HEADER = re.compile(r"[ \t]*\[\[[ \t]*jobs[ \t]*\]\][ \t]*(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?\r?")
_BLANK = re.compile(r"[ \t]*(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?\r?")
_PAIR = re.compile(
    r"[ \t]*([A-Za-z0-9_-]+)[ \t]*=[ \t]*"
    r'(?:"([^"\\\x00-\x08\x0a-\x1f\x7f]*)"|(-?(?:0|[1-9][0-9]*))|(true|false))'
    r"[ \t]*(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?\r?"
)
_MIN_BLOCKS = 64
"""Fewer blocks are left to ``tomllib``: the saving would not be worth a second path."""


def split_jobs(text: str) -> tuple[str, list[dict[str, object]]] | None:
    """(the text with its plain ``[[jobs]]`` blocks blanked, those blocks as tables).

    None when the document has few blocks or anything that makes a line-wise
    reading unsafe: multi-line strings (a ``[[jobs]]`` line could be inside
    one), a block line of another shape, a key given twice, or ``jobs`` named
    any other way (``[jobs.x]``, ``jobs = …``) in the text.
    """
    if text.count("[[jobs]]") < _MIN_BLOCKS or '"""' in text or "'''" in text:
        return None
    lines = text.split("\n")
    jobs: list[dict[str, object]] = []
    current: dict[str, object] | None = None
    for number, line in enumerate(lines):
        # The two lines of every printed block that need no pattern: a header, a gap.
        if line == "[[jobs]]":
            current = {}
            jobs.append(current)
            lines[number] = ""
            continue
        if not line:
            continue
        stripped = line.lstrip(" \t")
        if stripped.startswith("["):
            if _HEADER.fullmatch(line):
                current = {}
                jobs.append(current)
                lines[number] = ""
                continue
            if re.match(r"\[+[ \t]*[\"']?jobs\b", stripped):
                return None  # another header naming jobs: leave it all to tomllib
            current = None
            continue
        if current is None:
            if re.match(r"[\"']?jobs[\"']?[ \t]*[.=]", stripped):
                return None  # ``jobs = …`` or ``jobs.x = …`` at the top level
            continue
        if _BLANK.fullmatch(line):
            lines[number] = ""
            continue
        pair = _PAIR.fullmatch(line)
        if pair is None:
            return None
        key, string, integer, boolean = pair.groups()
        if key in current:
            return None  # tomllib says where the duplicate is
        if string is not None:
            current[key] = string
        elif integer is not None:
            current[key] = int(integer)
        else:
            current[key] = boolean == "true"
        lines[number] = ""
    return "\n".join(lines), jobs
