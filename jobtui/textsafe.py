"""Make untrusted text safe to print on a terminal.

Provider payloads, job labels and error messages are data. Written to a
terminal as-is, an ESC starts an escape sequence (colours, cursor moves,
OSC 52 clipboard writes), and a bidi override reorders what follows it so a
line reads differently from what it contains; bidi marks and zero-width
characters are invisible, so two strings that look alike can differ.
``visible`` replaces every such character with a printable escape (``\\x1b``,
``\\u202e``) so the user sees exactly what the provider sent and the terminal
interprets none of it.
"""

from __future__ import annotations

__all__ = ["UNSAFE_CODEPOINTS", "visible"]


def _escape(codepoint: int) -> str:
    if codepoint <= 0xFF:
        return f"\\x{codepoint:02x}"
    return f"\\u{codepoint:04x}"


UNSAFE_CODEPOINTS: frozenset[int] = frozenset(
    [
        *range(0x00, 0x20),  # C0 controls, ESC included
        0x7F,  # DEL
        *range(0x80, 0xA0),  # C1 controls (0x9b is a one-byte CSI on some terminals)
        *range(0x202A, 0x202F),  # bidi embeddings and overrides
        *range(0x2066, 0x206A),  # bidi isolates
        0x200E,  # left-to-right mark: invisible, yet reorders neighbouring text
        0x200F,  # right-to-left mark
        0x061C,  # Arabic letter mark (a bidi mark too)
        *range(0x200B, 0x200E),  # zero-width space, non-joiner, joiner: hide differences
        0xFEFF,  # zero-width no-break space (byte order mark)
        0x2028,  # line separator: some terminals break the line on it
        0x2029,  # paragraph separator
    ]
)
"""Code points that a terminal would act on instead of showing."""

_TABLE: dict[int, str] = {codepoint: _escape(codepoint) for codepoint in UNSAFE_CODEPOINTS}


def visible(text: str, *, keep: str = "") -> str:
    """Return ``text`` with control and bidi characters replaced by visible escapes.

    ``keep`` lists characters to leave alone (``"\\n"`` for multi-line text).
    Everything else printable, emoji and right-to-left scripts included, is
    returned unchanged.
    """
    if keep:
        table = {cp: escape for cp, escape in _TABLE.items() if chr(cp) not in keep}
        return text.translate(table)
    return text.translate(_TABLE)
