"""Where each key of a TOML document is written: the line numbers behind config errors.

``tomllib`` returns plain dicts with no positions, so this module scans the
text itself. It only has to understand what starts a statement (table
headers, array-of-tables headers, ``key = value`` lines with dotted and quoted
keys) and what can hide one (strings, multi-line strings, arrays and inline
tables spanning lines, comments). The document has already parsed, so the
scanner can be forgiving: anything it cannot place falls back to the line of
the nearest enclosing key.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["KeyLines", "KeyPath"]

KeyPath = tuple[str | int, ...]
"""A key path: table and key names, with array-of-tables indices as ints (``("jobs", 2, "id")``)."""

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


class KeyLines:
    """The 1-based line of every key, table and array-of-tables element of a document.

    The text is scanned on demand, only as far as a lookup needs: a warning about
    a provider near the top of a config with 10,000 ``[[jobs]]`` reads a few
    lines, not all of them. A key's line is its first statement, so stopping
    at the first sighting gives the same answer as a full scan; a path never
    found scans to the end before falling back to its nearest ancestor.
    """

    def __init__(self, text: str) -> None:
        self._lines: dict[KeyPath, int] = {}
        self._arrays: dict[KeyPath, int] = {}  # resolved array-of-tables path → last index
        self._text_lines = text.split("\n")
        self._next = 0  # the index of the first line not scanned yet
        self._table: KeyPath = ()

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its nearest ancestor the scanner found; None if none."""
        probe = tuple(path)
        self._scan_until(probe)
        while probe:
            if probe in self._lines:
                return self._lines[probe]
            probe = probe[:-1]
        return None

    # -- scanning ------------------------------------------------------------------

    def _scan_until(self, wanted: KeyPath) -> None:
        """Scan statements until ``wanted`` has a line or the text ends."""
        lines = self._text_lines
        number = self._next
        while number < len(lines) and wanted not in self._lines:
            line = lines[number]
            start = _skip_space(line, 0)
            if start >= len(line) or line[start] in "#\r":
                number += 1
                continue
            if line[start] == "[":
                self._table = self._header(line, start, number + 1)
                number += 1
                continue
            keys, after = _parse_key(line, start)
            if keys is None:
                number += 1
                continue
            table = self._table
            full = table + tuple(keys)
            for depth in range(len(table) + 1, len(full) + 1):
                self._lines.setdefault(full[:depth], number + 1)
            number = _skip_value(lines, number, after)
        self._next = number

    def _header(self, line: str, start: int, number: int) -> KeyPath:
        is_array = line.startswith("[[", start)
        keys, _ = _parse_key(line, start + (2 if is_array else 1))
        if keys is None:
            return ()
        resolved = (*self._resolve(keys[:-1]), keys[-1])
        if is_array:
            index = self._arrays.get(resolved, -1) + 1
            self._arrays[resolved] = index
            resolved = (*resolved, index)
        # Tables the header creates implicitly (``providers`` for ``[providers.deepo]``)
        # are placed at their first header too.
        for depth in range(1, len(resolved) + 1):
            self._lines.setdefault(resolved[:depth], number)
        return resolved

    def _resolve(self, keys: Sequence[str]) -> KeyPath:
        # A header below an array of tables (``[jobs.extra]`` after ``[[jobs]]``)
        # belongs to the array's latest element.
        resolved: KeyPath = ()
        for key in keys:
            resolved = (*resolved, key)
            if resolved in self._arrays:
                resolved = (*resolved, self._arrays[resolved])
        return resolved


def _skip_space(line: str, index: int) -> int:
    while index < len(line) and line[index] in " \t":
        index += 1
    return index


def _parse_key(line: str, index: int) -> tuple[list[str] | None, int]:
    """A dotted key starting at ``index``: its parts, and the index after it."""
    parts: list[str] = []
    while True:
        index = _skip_space(line, index)
        if index >= len(line):
            return None, index
        char = line[index]
        if char == '"':
            part, index = _basic_string(line, index + 1)
        elif char == "'":
            end = line.find("'", index + 1)
            if end < 0:
                return None, len(line)
            part, index = line[index + 1 : end], end + 1
        else:
            end = index
            while end < len(line) and line[end] in _BARE:
                end += 1
            if end == index:
                return None, index
            part, index = line[index:end], end
        parts.append(part)
        index = _skip_space(line, index)
        if index < len(line) and line[index] == ".":
            index += 1
            continue
        return parts, index


def _basic_string(line: str, index: int) -> tuple[str, int]:
    """A ``"..."`` key's text, from just after the opening quote; the index after the close."""
    out: list[str] = []
    while index < len(line):
        char = line[index]
        if char == '"':
            return "".join(out), index + 1
        if char == "\\" and index + 1 < len(line):
            code = line[index + 1]
            if code in _ESCAPES:
                out.append(_ESCAPES[code])
                index += 2
                continue
            width = {"u": 4, "U": 8}.get(code)
            digits = line[index + 2 : index + 2 + width] if width else ""
            if (
                width
                and len(digits) == width
                and all(c in "0123456789abcdefABCDEF" for c in digits)
            ):
                value = int(digits, 16)
                out.append(chr(value) if value <= 0x10FFFF else "\ufffd")
                index += 2 + width
                continue
        out.append(char)
        index += 1
    return "".join(out), index


def _skip_value(lines: list[str], number: int, index: int) -> int:
    """Skip the value of a ``key = value`` statement; the index of the line after it.

    Values may span lines (multi-line strings, arrays, inline tables), and
    ``[`` or ``key =`` inside them must not be taken for new statements.
    """
    depth = 0
    quote: str | None = None  # the delimiter of the string being skipped
    line = lines[number]
    while True:
        if index >= len(line):
            if quote is not None and len(quote) == 1:
                quote = None  # a one-line string cannot continue (tomllib parsed it)
            if depth == 0 and quote is None:
                return number + 1
            number += 1
            if number >= len(lines):
                return number
            line, index = lines[number], 0
            continue
        char = line[index]
        if quote is not None:
            if char == "\\" and quote[0] == '"':
                index += 2
                continue
            if line.startswith(quote, index):
                index += len(quote)
                if len(quote) == 3:
                    # Up to two more quote characters belong to the string's content.
                    extra = 0
                    while extra < 2 and line.startswith(quote[0], index):
                        index += 1
                        extra += 1
                quote = None
                continue
            index += 1
            continue
        if char == "#":
            index = len(line)
        elif char in "\"'":
            triple = char * 3
            quote = triple if line.startswith(triple, index) else char
            index += len(quote)
        elif char in "[{":
            depth += 1
            index += 1
        elif char in "]}":
            depth = max(0, depth - 1)
            index += 1
        else:
            index += 1
