"""A Sixel decoder written from the DEC spec, to read our encoder's output back to pixels."""

from __future__ import annotations

import re

RGB = tuple[int, int, int]

_NUMBER = re.compile(r"\d+")


def decode_sixel(sequence: str) -> tuple[int, int, dict[tuple[int, int], RGB]]:
    """``(width, height, pixels)`` of a DCS … q … ST sequence; unset pixels are absent."""
    assert sequence.startswith("\x1bP") and sequence.endswith("\x1b\\"), "not a DCS string"
    body = sequence[2:-2]
    head, _, data = body.partition("q")
    assert all(p.isdigit() for p in head.split(";") if p), f"bad DCS parameters {head!r}"
    width = height = 0
    registers: dict[int, RGB] = {}
    pixels: dict[tuple[int, int], RGB] = {}
    color: RGB | None = None
    x = band = 0
    i = 0

    def numbers(at: int) -> tuple[list[int], int]:
        values: list[int] = []
        while True:
            match = _NUMBER.match(data, at)
            if match is None:
                break
            values.append(int(match.group()))
            at = match.end()
            if at < len(data) and data[at] == ";":
                at += 1
            else:
                break
        return values, at

    while i < len(data):
        char = data[i]
        if char == '"':
            values, i = numbers(i + 1)
            _, _, width, height = values
        elif char == "#":
            values, i = numbers(i + 1)
            if len(values) == 5:
                assert values[1] == 2, "only RGB (2) colour definitions are expected"
                registers[values[0]] = tuple(round(v * 255 / 100) for v in values[2:])  # type: ignore[assignment]
            color = registers[values[0]]
        elif char == "!":
            values, i = numbers(i + 1)
            count, char = values[0], data[i]
            i += 1
            x = _paint(pixels, color, char, x, band, count)
        elif char == "$":
            x, i = 0, i + 1
        elif char == "-":
            x, band, i = 0, band + 1, i + 1
        else:
            assert "?" <= char <= "~", f"unexpected byte {char!r}"
            x = _paint(pixels, color, char, x, band, 1)
            i += 1
    return width, height, pixels


def _paint(
    pixels: dict[tuple[int, int], RGB], color: RGB | None, char: str, x: int, band: int, count: int
) -> int:
    bits = ord(char) - 63
    for column in range(x, x + count):
        for row in range(6):
            if bits & (1 << row):
                assert color is not None, "data before a colour was selected"
                pixels[(column, band * 6 + row)] = color
    return x + count
