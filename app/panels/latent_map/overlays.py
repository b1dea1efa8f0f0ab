"""Overlays of the points: the manifold grid (decoded images tiling the visible region,
redrawn after a pan or zoom settles) and the VAE prior's density, shaded under the points
with its 1σ, 2σ and 3σ contours drawn over them (GUI thread)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from app.panels.latent_map.images import manifold_mosaic, prior_shading
from app.panels.latent_map.widgets import PRIOR_TIP
from app.session.latent_types import LATENT_2D, PCA
from app.theme import current, line_scale

GRID_CHANNEL = "grid"
PRIOR_SPAN = 4.0  # the prior overlay covers ± this many standard deviations
PRIOR_RADII = (1.0, 2.0, 3.0)  # contours of N(0, I) in the plane: 39 %, 86 %, 99 % inside
PRIOR_LABELS = ("1σ", "2σ", "prior 3σ")
# ≥ 3:1 (WCAG graphics) on the light and the dark plot background: 4.6 and 3.9.
PRIOR_COLOUR = "#9d4edd"
PRIOR_WIDTH = 2.0  # px, × the theme's line scale (5 px on a projector)
RING_POINTS = 181


def prior_ring(centre: tuple[float, float], radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Return x, y of a closed circle of `radius` around `centre`."""
    a = np.linspace(0.0, 2 * np.pi, RING_POINTS)
    return centre[0] + radius * np.cos(a), centre[1] + radius * np.sin(a)


class OverlaysMixin:
    """Manifold grid and prior shading of LatentMapPanel (uses its view box, images,
    checkboxes, grid timer and `latent`)."""

    _grid_rect = QRectF()
    _grid_k = 0
    _prior_items: tuple = ()  # rings then labels, made on first use

    # --- manifold grid -----------------------------------------------------------------------
    def _on_grid_toggled(self, on: bool) -> None:
        self.grid_image.setVisible(False)
        if on:
            self._request_grid()

    def _schedule_grid(self, *_: object) -> None:
        if self.grid_check.isChecked():
            self._grid_timer.start()  # debounced: one decode after the pan/zoom settles

    def _request_grid(self) -> None:
        from models.latent.grids import grid_positions

        proj = self.projection
        if not self.grid_check.isChecked() or proj is None or not proj.invertible \
                or self.data is None or self.data.model is None:  # no model to decode with
            self.grid_image.hide()
            return
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        k = self.grid_size.value()
        self._grid_rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        self._grid_k = k
        positions = grid_positions((x0, x1), (y0, y1), k)
        labels = None
        if self.data is not None and self.data.conditional:
            # Condition each cell on the class of its nearest point.
            near = [self.scatter.nearest_any(px, py) for px, py in positions]
            labels = np.array([self.data.labels[i] if i is not None else 0 for i in near])
        self.latent.decode(GRID_CHANNEL, proj.to_latent(positions), labels)

    def _show_grid(self, tiles: np.ndarray) -> None:
        if not self.grid_check.isChecked():
            return
        self.grid_image.setImage(manifold_mosaic(tiles, self._grid_k), autoLevels=False)
        self.grid_image.setRect(self._grid_rect)
        self.grid_image.show()

    # --- prior -------------------------------------------------------------------------------
    def _update_prior(self, *_: object) -> None:
        from models.latent.grids import standard_normal_density

        proj, data = self.projection, self.data
        # Only maps that keep distances (the latent, PCA's orthonormal axes) show N(0, I)
        # as a unit Gaussian; an LDA map stretches it.
        if not self.prior_check.isChecked() or proj is None or data is None \
                or not data.has_prior or not (proj.method == LATENT_2D or proj.pca is not None):
            self.prior_image.hide()
            self._hide_prior_contours()
            return
        # The prior N(0, I) seen through PCA is N(0, I) around the projected origin.
        centre = (np.zeros(2) if proj.pca is None
                  else proj.pca.transform(np.zeros((1, data.latent_dim)))[0])
        s = PRIOR_SPAN
        density = standard_normal_density((-s, s), (-s, s))
        self.prior_image.setImage(prior_shading(density), autoLevels=False)
        self.prior_image.setRect(QRectF(centre[0] - s, centre[1] - s, 2 * s, 2 * s))
        self.prior_image.show()
        self._show_prior_contours((float(centre[0]), float(centre[1])))

    def prior_contours(self) -> list[pg.PlotCurveItem]:
        """Return the 1σ, 2σ, 3σ rings of the prior (made and added to the view once)."""
        if not self._prior_items:
            pen = pg.mkPen(PRIOR_COLOUR, width=PRIOR_WIDTH * line_scale())
            rings = [pg.PlotCurveItem(pen=pen) for _ in PRIOR_RADII]
            # The labels are text: the theme's plot foreground (restyled with the theme).
            labels = [pg.TextItem(t, color=current().plot_foreground, anchor=(0, 1))
                      for t in PRIOR_LABELS]
            for item in [*rings, *labels]:
                item.theme_role = "foreground"
                item.setZValue(15)  # over the points, under the pick marker
                item.hide()
                self.view_box.addItem(item, ignoreBounds=True)
            self._prior_items = (*rings, *labels)
        return list(self._prior_items[:len(PRIOR_RADII)])

    def prior_contour_labels(self) -> list[str]:
        """Return the texts of the prior's contour labels shown (empty when hidden)."""
        labels = self._prior_items[len(PRIOR_RADII):]
        return [t.textItem.toPlainText() for t in labels if t.isVisible()]

    def _show_prior_contours(self, centre: tuple[float, float]) -> None:
        rings = self.prior_contours()
        labels = self._prior_items[len(PRIOR_RADII):]
        for ring, label, radius in zip(rings, labels, PRIOR_RADII, strict=True):
            ring.setData(*prior_ring(centre, radius))
            d = radius / np.sqrt(2.0)  # on the ring, up and to the right
            label.setPos(centre[0] + d, centre[1] + d)
            ring.show()
            label.show()

    def _hide_prior_contours(self) -> None:
        for item in self._prior_items:
            item.hide()

    def _enable_prior(self, has_prior: bool, method: str | None = None) -> None:
        """Offer the prior checkbox only for a model with a prior (a VAE), on a map that
        shows it as it is (the 2-D latent, PCA; `method` None: not drawn yet)."""
        shown = method in (None, LATENT_2D, PCA)
        self.prior_check.setEnabled(has_prior and shown)
        self.prior_check.setToolTip(PRIOR_TIP if has_prior and shown else
                                    "Only VAEs have a prior to shade" if not has_prior else
                                    "The prior is shaded on the 2-D latent and PCA maps")

    def _clear_overlays(self) -> None:
        """Forget the grid and prior images and any grid decode on its way."""
        self._grid_timer.stop()
        self.latent.cancel_decode(GRID_CHANNEL)
        self._grid_rect, self._grid_k = QRectF(), 0
        for image in (self.grid_image, self.prior_image):
            image.hide()
            image.clear()
        self._hide_prior_contours()
        self.grid_check.setEnabled(True)
        self._enable_prior(True)
