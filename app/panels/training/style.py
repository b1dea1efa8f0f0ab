"""Colours and pens shared by the training plots (readable on a projector)."""

from __future__ import annotations

import pyqtgraph as pg

from app.theme import line_scale

# tab10: distinct and colour-blind-friendlier than pyqtgraph's defaults.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def colour(i: int) -> str:
    """Return the i-th palette colour."""
    return PALETTE[i % len(PALETTE)]


# The colour of the legend that explains the marks (raw, smoothed, validation).
LEGEND_PEN = "#808080"


def raw_pen(i: int, fixed: str | None = None) -> object:
    """Return the faint pen of raw per-step values (of the i-th colour, or `fixed`)."""
    c = pg.mkColor(fixed or colour(i))
    c.setAlpha(70)
    return pg.mkPen(c, width=line_scale())


def smooth_pen(i: int, fixed: str | None = None) -> object:
    """Return the pen of the smoothed line (of the i-th colour, or `fixed`).

    Width 1 (cosmetic): in Qt's software rasteriser a 2.5 px pen made each redraw of the
    loss plots 3-4× dearer (25 ms vs 6 ms of GUI thread per frame, measured on 2 cores);
    only the presentation theme, made for a projector, pays that for visibility.
    """
    return pg.mkPen(fixed or colour(i), width=line_scale())


CURSOR_PEN = pg.mkPen("#555555", width=1.5, style=pg.QtCore.Qt.PenStyle.DashLine)
# Where one training phase ends and the next begins (latent diffusion's autoencoder, then
# its UNet): dotted, so it is not read as the epoch cursor.
PHASE_PEN = pg.mkPen("#9467bd", width=2, style=pg.QtCore.Qt.PenStyle.DotLine)
