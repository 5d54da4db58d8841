"""A neutral :class:`bot.messages.Chart` drawn as a small PNG, for platforms that show images.

Drawn with matplotlib's Agg backend (no display), horizontal bars best first, the marked
bar in the accent colour and its label in bold, each bar's value written beside it. The
picture is at most 800 pixels wide and 1024 high, and is saved with a 16-colour palette
(flat colours compress well): a ten-team chart is a few kilobytes, small enough to travel
inside a Teams card as a ``data:`` URI. The same chart drawn again is served from memory.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache

from adapters import drawing
from bot.messages import Chart

WIDTH_PX = 800
MAX_HEIGHT_PX = 1024
DPI = 100
ACCENT = "#2f6fde"
MUTED = drawing.MUTED
TEXT = drawing.TEXT
#: Teams cards are kept under 20 KB: an image bigger than this goes as text bars instead.
MAX_DATA_URI = 15_000


@lru_cache(maxsize=256)
def png(chart: Chart) -> bytes:
    """The chart as PNG bytes."""
    bars = chart.bars or ()
    rows = max(1, len(bars))
    height_px = min(MAX_HEIGHT_PX, 90 + 34 * rows)
    figure = drawing.figure(WIDTH_PX / DPI, height_px / DPI, DPI)
    axes = figure.add_axes((0.32, 8 / height_px, 0.60, 1 - 60 / height_px))
    positions = list(range(rows))[::-1]
    values = [b.value for b in bars] or [0.0]
    colours = [ACCENT if b.highlighted else MUTED for b in bars] or [MUTED]
    axes.barh(positions, values, color=colours, height=0.7)
    top = chart.top or max(values) or 1.0
    axes.set_xlim(0, top * 1.02)
    axes.set_yticks(positions)
    labels = [b.label if len(b.label) <= 24 else b.label[:23] + "…" for b in bars] or [""]
    axes.set_yticklabels(labels, fontsize=10, color=TEXT)
    for tick, bar in zip(axes.get_yticklabels(), bars, strict=False):
        if bar.highlighted:
            tick.set_fontweight("bold")
    for y, bar, shown in zip(positions, bars, chart.shown, strict=False):
        axes.text(
            min(bar.value, top) + top * 0.01,
            y,
            shown,
            va="center",
            fontsize=9,
            color=TEXT,
            fontweight="bold" if bar.highlighted else "normal",
        )
    axes.set_xticks([])
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.spines["left"].set_color(MUTED)
    axes.tick_params(axis="y", length=0)
    figure.suptitle(chart.title[:80], x=0.02, ha="left", fontsize=12, color=TEXT)
    return drawing.png(figure, DPI, colours=16)


def data_uri(chart: Chart) -> str | None:
    """The chart as a ``data:image/png;base64,...`` URI, or None if it is too big to send
    inside a card."""
    uri = "data:image/png;base64," + base64.b64encode(png(chart)).decode("ascii")
    return uri if len(uri) <= MAX_DATA_URI else None


#: Widths a picture too big to travel inside a card is drawn down to, in turn.
SMALLER_WIDTHS = (800, 640, 480)


@lru_cache(maxsize=64)
def fitted_uri(data: bytes, limit: int = MAX_DATA_URI) -> str | None:
    """A PNG as a ``data:`` URI of at most ``limit`` characters: as it is when it fits,
    else scaled down (keeping its shape) and saved with 16 colours, at the first of
    SMALLER_WIDTHS that fits; None when none does (the card says it in words instead)."""
    from PIL import Image

    def uri(png_bytes: bytes) -> str:
        return "data:image/png;base64," + base64.b64encode(png_bytes).decode("ascii")

    found = uri(data)
    if len(found) <= limit:
        return found
    image = Image.open(io.BytesIO(data)).convert("RGB")
    for width in SMALLER_WIDTHS:
        if width >= image.width:
            continue
        height = max(1, round(image.height * width / image.width))
        small = image.resize((width, height), Image.Resampling.LANCZOS).quantize(colors=16)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True)
        found = uri(out.getvalue())
        if len(found) <= limit:
            return found
    return None


def file_name(chart: Chart) -> str:
    """A file name for the chart's PNG, from its title."""
    stem = "".join(ch if ch.isalnum() else "-" for ch in chart.title.lower()).strip("-")
    return f"{(stem or 'chart')[:60]}.png"
