"""The Sixel and Kitty encoders, byte for byte on tiny known pictures, checked against the
protocols: our Sixel output decodes back to the picture's pixels (a decoder written from the
DEC spec), Kitty payloads travel in base64 chunks of at most 4096 bytes with m=1 … m=0."""

from __future__ import annotations

import base64
import io
import re

from PIL import Image

from jobtui.preview.kitty import CHUNK, kitty_delete, kitty_hide, kitty_place, kitty_transmit
from jobtui.preview.loader import Picture
from jobtui.preview.raster import cell_box, png_bytes, raster
from jobtui.preview.sixel import sixel_encode
from jobtui.tui.terminal.graphics import placed

from support.sixel_decode import decode_sixel

WHITE, BLACK, RED, BLUE = (255, 255, 255), (0, 0, 0), (255, 0, 0), (0, 51, 255)


def tiny() -> Image.Image:
    """5 × 8: white, a red dot in band 0, a blue dot in band 1, a black bottom row."""
    image = Image.new("RGB", (5, 8), WHITE)
    for x in range(5):
        image.putpixel((x, 7), BLACK)
    image.putpixel((1, 1), RED)
    image.putpixel((2, 6), BLUE)
    return image


def test_sixel_bytes_of_a_tiny_picture() -> None:
    assert sixel_encode(tiny()) == (
        "\x1bP0;1;0q"  # DCS, P2=1: zero bits leave what is under them
        '"1;1;5;8'  # square pixels, 5 × 8
        "#0;2;100;100;100#1;2;0;0;0#2;2;0;20;100#3;2;100;0;0"  # registers in percent
        "#0~|~~~$#3?A"  # band 0: white everywhere but (1,1); red at (1,1); trailing ? cut
        "-#0@@?@@$#1!5A$#2??@"  # band 1: rows 6-7; black row 7 run-length encoded
        "\x1b\\"
    )


def test_sixel_decodes_back_to_the_pixels() -> None:
    image = tiny()
    width, height, pixels = decode_sixel(sixel_encode(image))
    assert (width, height) == image.size
    assert pixels == {(x, y): image.getpixel((x, y)) for x in range(5) for y in range(8)}


def test_sixel_of_a_photo_sized_picture_keeps_256_colours_and_every_pixel() -> None:
    gradient = Image.linear_gradient("L").resize((97, 61))
    across = gradient.transpose(Image.Transpose.ROTATE_90).resize((97, 61))
    image = Image.merge("RGB", (gradient, across, gradient.point(lambda v: 255 - v)))
    sequence = sixel_encode(image)
    registers = re.findall(r"#(\d+);2;", sequence)
    assert 1 < len(registers) <= 256
    width, height, pixels = decode_sixel(sequence)
    assert (width, height) == (97, 61) and len(pixels) == 97 * 61  # the last band is partial
    quantised = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    expected = quantised.convert("RGB")
    for (x, y), color in pixels.items():
        want = expected.getpixel((x, y))
        # Registers are percentages: a level comes back within 255/200 of itself.
        assert all(abs(a - b) <= 2 for a, b in zip(color, want, strict=True)), (x, y)


def test_kitty_transmission_is_chunked_at_4096_with_m_flags() -> None:
    png = bytes(range(256)) * 40  # 10,240 bytes → 13,656 base64 characters: four chunks
    commands = kitty_transmit(png, 7)
    assert len(commands) == 4
    keys = [c[3 : c.index(";")] for c in commands]
    assert keys == ["a=t,f=100,t=d,i=7,q=2,m=1", "m=1,q=2", "m=1,q=2", "m=0,q=2"]
    payloads = [c[c.index(";") + 1 : -2] for c in commands]
    assert all(c.startswith("\x1b_G") and c.endswith("\x1b\\") for c in commands)
    assert all(len(p) <= CHUNK and len(p) % 4 == 0 for p in payloads)
    assert [len(p) for p in payloads[:-1]] == [CHUNK] * 3
    assert base64.standard_b64decode("".join(payloads)) == png


def test_kitty_small_image_is_one_chunk_and_place_delete_are_exact() -> None:
    assert kitty_transmit(b"\x89PNG", 3) == ["\x1b_Ga=t,f=100,t=d,i=3,q=2,m=0;iVBORw==\x1b\\"]
    assert kitty_place(3, 1, 20, 9) == "\x1b_Ga=p,i=3,p=1,c=20,r=9,C=1,q=2\x1b\\"
    assert kitty_hide(3) == "\x1b_Ga=d,d=i,i=3,q=2\x1b\\"
    assert kitty_delete(3) == "\x1b_Ga=d,d=I,i=3,q=2\x1b\\"


def test_placed_moves_the_cursor_and_wraps_for_tmux_with_doubled_escapes() -> None:
    assert placed("\x1b_Gx\x1b\\", 4, 2) == "\x1b7\x1b[3;5H\x1b_Gx\x1b\\\x1b8"
    wrapped = placed("\x1b_Gx\x1b\\", 4, 2, tmux=True, offset=(10, 1))
    assert wrapped == "\x1bPtmux;\x1b\x1b7\x1b\x1b[4;15H\x1b\x1b_Gx\x1b\x1b\\\x1b\x1b8\x1b\\"


def test_raster_scales_draws_outlines_and_grays() -> None:
    picture = Picture(4, 4, bytes([0, 0, 200]) * 16)
    assert cell_box(picture, 20, 18) == (20, 10)  # the half-blocks' box: 20 × 20 pixels
    square = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
    image = raster(picture, (40, 40), [square])
    assert image.size == (40, 40)
    assert image.getpixel((0, 20)) == (255, 60, 60) and image.getpixel((20, 20)) == (0, 0, 200)
    grey = raster(picture, (8, 8), gray=True).getpixel((4, 4))
    assert isinstance(grey, tuple) and grey[0] == grey[1] == grey[2]
    decoded = Image.open(io.BytesIO(png_bytes(image)))
    assert decoded.format == "PNG" and decoded.size == (40, 40)
