"""The Kitty graphics protocol: transmit a PNG once, place it over cells, delete it.

Every command is an APC ``ESC _ G keys ; payload ESC \\``. The PNG travels
base64-encoded in chunks of at most 4096 bytes: ``m=1`` on every chunk but the
last, ``m=0`` on the last, and the keys only on the first (later chunks carry
``m`` and ``q`` alone). ``q=2`` silences the terminal's replies, which would
otherwise arrive as keystrokes; ``C=1`` keeps the cursor where it was, and
``c``/``r`` make the terminal scale the picture into that many cells, so no
cell size in pixels is ever needed.
"""

from __future__ import annotations

import base64

__all__ = ["CHUNK", "kitty_delete", "kitty_hide", "kitty_place", "kitty_transmit"]

CHUNK = 4096
"""The largest payload a single command may carry (a multiple of 4, as base64 needs)."""


def _command(keys: str, payload: str = "") -> str:
    return f"\x1b_G{keys};{payload}\x1b\\" if payload else f"\x1b_G{keys}\x1b\\"


def kitty_transmit(png: bytes, image_id: int) -> list[str]:
    """The commands that store ``png`` in the terminal as image ``image_id`` (not shown yet)."""
    payload = base64.standard_b64encode(png).decode("ascii")
    pieces = [payload[start : start + CHUNK] for start in range(0, len(payload), CHUNK)] or [""]
    commands = []
    for number, piece in enumerate(pieces):
        more = 1 if number < len(pieces) - 1 else 0
        keys = f"a=t,f=100,t=d,i={image_id},q=2,m={more}" if number == 0 else f"m={more},q=2"
        commands.append(_command(keys, piece))
    return commands


def kitty_place(image_id: int, placement_id: int, columns: int, rows: int) -> str:
    """Show image ``image_id`` at the cursor, scaled into ``columns × rows`` cells.

    Placing again with the same ``placement_id`` moves the picture instead of adding one.
    """
    keys = f"a=p,i={image_id},p={placement_id},c={columns},r={rows},C=1,q=2"
    return _command(keys)


def kitty_hide(image_id: int) -> str:
    """Remove every placement of ``image_id``, keeping its data for a later placement."""
    return _command(f"a=d,d=i,i={image_id},q=2")


def kitty_delete(image_id: int) -> str:
    """Remove ``image_id``'s placements and free its data in the terminal."""
    return _command(f"a=d,d=I,i={image_id},q=2")
