"""Nearest-point look-ups over a 2-D scatter through a KD-tree (no per-point objects)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


class PointIndex:
    """A KD-tree over N×2 positions; hidden points (a boolean mask) are never returned."""

    def __init__(self, positions: np.ndarray) -> None:
        self.positions = np.ascontiguousarray(positions, dtype=np.float64)
        self._tree = cKDTree(self.positions)
        self._visible: np.ndarray | None = None

    def set_visible(self, mask: np.ndarray | None) -> None:
        """Restrict look-ups to points where `mask` is True (None: all points)."""
        self._visible = None if mask is None or mask.all() else mask.astype(bool)

    def nearest(self, x: float, y: float, max_distance: float = np.inf,
                scale: tuple[float, float] = (1.0, 1.0)) -> int | None:
        """Return the index of the visible point nearest (x, y) within max_distance, or None.

        `scale` divides each axis first, so distances can be measured in screen pixels.
        """
        if scale != (1.0, 1.0):
            return self._nearest_scaled(x, y, max_distance, scale)
        k = 1 if self._visible is None else min(len(self.positions), 16)
        while True:
            dist, idx = self._tree.query((x, y), k=k, distance_upper_bound=max_distance)
            dist, idx = np.atleast_1d(dist), np.atleast_1d(idx)
            for d, i in zip(dist, idx, strict=True):
                if not np.isfinite(d):
                    return None
                if self._visible is None or self._visible[i]:
                    return int(i)
            if k >= len(self.positions):
                return None
            k = min(len(self.positions), k * 4)

    def _nearest_scaled(self, x: float, y: float, max_distance: float,
                        scale: tuple[float, float]) -> int | None:
        # Candidates within the larger axis radius, then an exact scaled comparison.
        radius = max_distance * max(scale) if np.isfinite(max_distance) else np.inf
        if np.isfinite(radius):
            cand = np.asarray(self._tree.query_ball_point((x, y), radius), dtype=int)
        else:
            cand = np.arange(len(self.positions))
        if self._visible is not None and len(cand):
            cand = cand[self._visible[cand]]
        if not len(cand):
            return None
        d = np.hypot((self.positions[cand, 0] - x) / scale[0],
                     (self.positions[cand, 1] - y) / scale[1])
        best = int(d.argmin())
        return int(cand[best]) if d[best] <= max_distance else None

    def inside_polygon(self, polygon: np.ndarray) -> np.ndarray:
        """Return indices of visible points inside a closed polygon (M×2 vertices)."""
        inside = points_in_polygon(self.positions, np.asarray(polygon, np.float64))
        if self._visible is not None:
            inside &= self._visible
        return np.flatnonzero(inside)


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Return a boolean mask of the N×2 points inside the polygon (even-odd ray casting)."""
    x, y = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), dtype=bool)
    j = len(polygon) - 1
    for i in range(len(polygon)):
        xi, yi = polygon[i]
        xj, yj = polygon[j]
        crosses = (yi > y) != (yj > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = (xj - xi) * (y - yi) / (yj - yi) + xi
        inside ^= crosses & (x < x_cross)
        j = i
    return inside
