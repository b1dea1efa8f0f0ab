"""Overlays under the points: the manifold grid (decoded images tiling the visible region,
redrawn after a pan or zoom settles) and the VAE prior's density (GUI thread)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF

from app.panels.latent_map.images import manifold_mosaic, prior_shading
from app.panels.latent_map.widgets import PRIOR_TIP
from app.session.latent_types import LATENT_2D, PCA

GRID_CHANNEL = "grid"
PRIOR_SPAN = 4.0  # the prior overlay covers ± this many standard deviations


class OverlaysMixin:
    """Manifold grid and prior shading of LatentMapPanel (uses its view box, images,
    checkboxes, grid timer and `latent`)."""

    _grid_rect = QRectF()
    _grid_k = 0

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
        if not self.grid_check.isChecked() or proj is None or not proj.invertible:
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
            return
        # The prior N(0, I) seen through PCA is N(0, I) around the projected origin.
        centre = (np.zeros(2) if proj.pca is None
                  else proj.pca.transform(np.zeros((1, data.latent_dim)))[0])
        s = PRIOR_SPAN
        density = standard_normal_density((-s, s), (-s, s))
        self.prior_image.setImage(prior_shading(density), autoLevels=False)
        self.prior_image.setRect(QRectF(centre[0] - s, centre[1] - s, 2 * s, 2 * s))
        self.prior_image.show()

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
        self.grid_check.setEnabled(True)
        self._enable_prior(True)
