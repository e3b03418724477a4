"""Draw the phone app's icons: icon.svg, and icon-192.png / icon-512.png from the same shapes.

A spectrum of rounded bars, teal to violet, on the app's dark background, kept inside the
central 60% so that launchers may mask it to a circle ("maskable"). Needs numpy only.
usage: python tools/web_icons.py   (writes src/spectrogenre/server/static/icons/)
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src/spectrogenre/server/static/icons"
BACKGROUND = (0x14, 0x16, 0x2B)
LEFT, RIGHT = np.array((0x2D, 0xD4, 0xBF)), np.array((0xA7, 0x8B, 0xFA))  # teal -> violet
HEIGHTS = (0.30, 0.52, 0.78, 0.60, 0.40, 0.66, 0.44, 0.26)  # bar heights, fraction of the art box
BOX = (0.2, 0.8)  # the art box, as a fraction of the icon (inside the maskable safe zone)
SUPERSAMPLE = 4


def bars() -> list[tuple[float, float, float, float, tuple[int, int, int]]]:
    """(centre x, top y, bottom y, radius, colour) of each bar, in units of the icon's size."""
    lo, hi = BOX
    pitch = (hi - lo) / len(HEIGHTS)
    radius = pitch * 0.32
    shapes = []
    for i, height in enumerate(HEIGHTS):
        x = lo + pitch * (i + 0.5)
        colour = LEFT + (RIGHT - LEFT) * i / (len(HEIGHTS) - 1)
        half = (hi - lo) * height / 2
        shapes.append((x, 0.5 - half + radius, 0.5 + half - radius, radius, tuple(int(c) for c in colour)))
    return shapes


def svg() -> str:
    rects = "".join(
        f'<rect x="{x - r:.4f}" y="{top - r:.4f}" width="{2 * r:.4f}" height="{bottom - top + 2 * r:.4f}" '
        f'rx="{r:.4f}" fill="#{c[0]:02x}{c[1]:02x}{c[2]:02x}"/>'
        for x, top, bottom, r, c in bars())
    bg = "#{:02x}{:02x}{:02x}".format(*BACKGROUND)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">'
            f'<rect width="1" height="1" rx="0.2" fill="{bg}"/>{rects}</svg>\n')


def raster(size: int) -> np.ndarray:
    """RGB uint8 (size, size, 3): full-bleed background (maskable icons must fill the square)."""
    n = size * SUPERSAMPLE
    y, x = (np.mgrid[0:n, 0:n] + 0.5) / n
    image = np.empty((n, n, 3)) + BACKGROUND
    for cx, top, bottom, r, colour in bars():
        # A capsule: points within r of the vertical segment (cx, top)-(cx, bottom).
        dy = y - np.clip(y, top, bottom)
        image[(x - cx) ** 2 + dy ** 2 <= r * r] = colour
    image = image.reshape(size, SUPERSAMPLE, size, SUPERSAMPLE, 3).mean(axis=(1, 3))  # anti-aliasing
    return np.round(image).astype(np.uint8)


def png(image: np.ndarray) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    height, width, _ = image.shape
    rows = b"".join(b"\x00" + row.tobytes() for row in image)  # filter type 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon.svg").write_text(svg())
    for size in (192, 512):
        (OUT / f"icon-{size}.png").write_bytes(png(raster(size)))
    print(f"wrote {OUT}/icon.svg, icon-192.png, icon-512.png")


if __name__ == "__main__":
    main()
