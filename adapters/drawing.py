"""What every chart Huddle draws shares: matplotlib's Agg backend (no display), the
colours, and PNGs saved with a small palette (flat colours compress well).

matplotlib is imported inside these functions, not with the module: only drawing needs
it, and importing it costs about half a second at start-up.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TEXT = "#1f2937"
MUTED = "#b9c3d3"
GRID = "#e5e7eb"

#: Okabe and Ito's colour-blind-safe palette (Color Universal Design, 2008).
BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
BLACK = "#000000"


def figure(width_in: float, height_in: float, dpi: int) -> Figure:
    """A new figure on the Agg canvas (no pyplot, so no global state between threads)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    drawn = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(drawn)
    return drawn


def png(drawn: Figure, dpi: float, colours: int) -> bytes:
    """The figure as PNG bytes, on white, quantized to ``colours`` colours."""
    from PIL import Image

    raw = io.BytesIO()
    drawn.savefig(raw, format="png", dpi=dpi, facecolor="white")
    image = Image.open(io.BytesIO(raw.getvalue())).convert("RGB")
    small = image.quantize(colors=colours)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()
