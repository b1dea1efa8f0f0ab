"""The class-coloured scatter: one pyqtgraph item per class, a KD-tree for hit tests.

Following docs/architecture.md (performance traps): the big items have no hover styling
and cache their rendering in device coordinates (a pan is then a blit), hit tests go
through a KD-tree instead of pyqtgraph's per-point objects, and the hover highlight is a
separate one-point item. One item per class means a class hides with setVisible, with no
per-point brushes to rebuild.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

from app.panels.latent_map.images import class_colour

POINT_SIZE = 5  # px: readable on a projector
HOVER_RADIUS_PX = 8.0


class UniformScatter(pg.ScatterPlotItem):
    """A ScatterPlotItem whose points all share the item's style.

    pyqtgraph looks up every point's symbol in its atlas with a Python key per point
    (~110 ms of the 230 ms a 70k-point setData takes here); with one style the lookup is
    done once and broadcast. Per-point styles must not be passed to this item.
    """

    def updateSpots(self, dataSet: np.ndarray | None = None) -> None:
        """Fill the atlas coordinates of new points from one look-up, then update."""
        data = self.data if dataSet is None else dataSet
        if self.opts["pxMode"] and self.opts["useCache"] and len(data):
            mask = data["sourceRect"]["w"] == 0
            if mask.any():
                first = np.flatnonzero(mask)[:1]
                style = list(zip(*self._style(["symbol", "size", "pen", "brush"], data=data,
                                              idx=first), strict=True))
                data["sourceRect"][mask] = tuple(self.fragmentAtlas[style][0])
        super().updateSpots(dataSet)


class ClassScatter:
    """Owns the per-class scatter items of one PlotItem's view box (GUI thread)."""

    def __init__(self, view: pg.ViewBox) -> None:
        self.view = view
        self.items: dict[int, pg.ScatterPlotItem] = {}
        self.positions = np.zeros((0, 2), np.float32)
        self.labels = np.zeros(0, np.int64)
        self.hidden: set[int] = set()
        self._index = None
        self.highlight = pg.ScatterPlotItem(size=14, pen=pg.mkPen("#111111", width=2),
                                            brush=None, pxMode=True)
        self.highlight.setZValue(20)
        view.addItem(self.highlight, ignoreBounds=True)

    def set_points(self, positions: np.ndarray, labels: np.ndarray) -> None:
        """Show N×2 `positions` coloured by `labels`; keeps hidden classes hidden."""
        from models.latent.spatial import PointIndex  # scipy: not needed before a map

        for item in self.items.values():
            self.view.removeItem(item)
        self.items.clear()
        self.positions = np.ascontiguousarray(positions, np.float32)
        self.labels = np.asarray(labels, np.int64)
        for label in np.unique(self.labels):
            idx = np.flatnonzero(self.labels == label)
            colour = pg.mkColor(class_colour(int(label)))
            colour.setAlpha(170)
            item = UniformScatter(pxMode=True, size=POINT_SIZE, pen=None,
                                   brush=pg.mkBrush(colour), hoverable=False,
                                   antialias=False)
            item.setData(x=self.positions[idx, 0], y=self.positions[idx, 1])
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            item.setZValue(1)
            item.setVisible(int(label) not in self.hidden)
            self.view.addItem(item)
            self.items[int(label)] = item
        self._index = PointIndex(self.positions)
        self._index.set_visible(self.visible_mask())
        self.set_highlight(None)

    @property
    def classes(self) -> list[int]:
        """Return the labels present, ascending."""
        return sorted(self.items)

    def counts(self) -> dict[int, int]:
        """Return the number of points per label."""
        labels, counts = np.unique(self.labels, return_counts=True)
        return {int(k): int(v) for k, v in zip(labels, counts, strict=True)}

    def set_class_visible(self, label: int, visible: bool) -> None:
        """Show or hide every point of class `label` (and exclude it from hit tests)."""
        if visible:
            self.hidden.discard(label)
        else:
            self.hidden.add(label)
        if label in self.items:
            self.items[label].setVisible(visible)
        if self._index is not None:
            self._index.set_visible(self.visible_mask())

    def visible_mask(self) -> np.ndarray:
        """Return a boolean mask of the points whose class is shown."""
        if not self.hidden:
            return np.ones(len(self.labels), bool)
        return ~np.isin(self.labels, list(self.hidden))

    def nearest(self, x: float, y: float, pixel: tuple[float, float],
                radius_px: float = HOVER_RADIUS_PX) -> int | None:
        """Return the visible point nearest (x, y) within `radius_px` screen pixels.

        `pixel` is the view-units size of one screen pixel along x and y.
        """
        if self._index is None or not len(self.positions):
            return None
        return self._index.nearest(x, y, radius_px, scale=pixel)

    def nearest_any(self, x: float, y: float) -> int | None:
        """Return the visible point nearest (x, y) at any distance."""
        if self._index is None or not len(self.positions):
            return None
        return self._index.nearest(x, y)

    def inside(self, polygon: np.ndarray) -> np.ndarray:
        """Return indices of visible points inside the polygon (M×2, view units)."""
        if self._index is None:
            return np.zeros(0, np.int64)
        return self._index.inside_polygon(polygon)

    def set_highlight(self, index: int | None) -> None:
        """Ring point `index` (None: no ring)."""
        if index is None:
            self.highlight.setData([], [])
        else:
            p = self.positions[index]
            self.highlight.setData([float(p[0])], [float(p[1])])
