"""Huddle's two Teams icons, drawn in code: no image files or image libraries needed.

Teams wants a 192x192 full-colour icon and a 32x32 outline icon (white on a
transparent background). Both show a speech bubble holding an "H".
"""

from __future__ import annotations

import struct
import zlib

Pixel = tuple[int, int, int, int]
TEAL: Pixel = (31, 78, 95, 255)
WHITE: Pixel = (255, 255, 255, 255)
CLEAR: Pixel = (0, 0, 0, 0)


def png(pixels: list[list[Pixel]]) -> bytes:
    """Encode RGBA rows as a PNG file."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + b"".join(struct.pack("BBBB", *p) for p in row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _rounded(cx: float, cy: float, box: tuple[float, float, float, float], r: float) -> bool:
    """Whether (cx, cy) lies in the rectangle ``box`` with corners rounded to radius r."""
    x0, y0, x1, y1 = box
    if not (x0 <= cx <= x1 and y0 <= cy <= y1):
        return False
    nx = min(max(cx, x0 + r), x1 - r)
    ny = min(max(cy, y0 + r), y1 - r)
    return (cx - nx) ** 2 + (cy - ny) ** 2 <= r * r


def _draw(size: int, ink: Pixel, paper: Pixel) -> list[list[Pixel]]:
    """A speech bubble (ring and tail) holding an H, designed on a 32-unit grid."""
    s = size / 32
    grid = [[paper for _ in range(size)] for _ in range(size)]
    shapes = [
        ((10, 9, 13, 19), 0),
        ((19, 9, 22, 19), 0),
        ((13, 12.5, 19, 15.5), 0),
        ((8, 22, 12, 28), 0),
    ]
    for y in range(size):
        for x in range(size):
            cx, cy = (x + 0.5) / s, (y + 0.5) / s
            ring = _rounded(cx, cy, (3, 4, 29, 24), 4) and not _rounded(cx, cy, (5, 6, 27, 22), 2.5)
            if ring or any(_rounded(cx, cy, box, r) for box, r in shapes):
                grid[y][x] = ink
    return grid


def color_icon() -> bytes:
    """192x192: a white bubble and H on Huddle's teal."""
    return png(_draw(192, WHITE, TEAL))


def outline_icon() -> bytes:
    """32x32: white on transparent, as Teams requires for outline icons."""
    return png(_draw(32, WHITE, CLEAR))
