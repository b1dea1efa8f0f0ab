"""Clicking the latent map: select the point under the mouse, or decode the empty position
clicked (2-D latent, PCA or LDA only); the pick goes to the detail view and the session
(GUI thread)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt

from app.session.latent_types import LatentAnchor

DETAIL_CHANNEL = "detail"


class PickingMixin:
    """Clicks and picks of LatentMapPanel (uses its scatter, marker, detail view, `latent`)."""

    _selected: LatentAnchor | None = None

    def _on_mouse_clicked(self, ev: Any) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or self.projection is None \
                or self.view_box.mode != "pan" or ev.double():
            return
        if not self.view_box.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = self.view_box.mapSceneToView(ev.scenePos())
        self.click_at(p.x(), p.y())

    def click_at(self, x: float, y: float) -> LatentAnchor | None:
        """Select the point under (x, y), or decode that position; return the pick.

        Emits the pick on the session (latentSelected). Returns None for empty space when
        the projection cannot be inverted (t-SNE, UMAP) or the model has not opened yet
        (a precomputed map): the detail view says why.
        """
        data, proj = self.data, self.projection
        if data is None or proj is None:
            return None
        index = self.scatter.nearest(x, y, self._pixel_size())
        if index is not None:
            return self.select_point(index)
        if data.model is None:
            self.detail.show_message("Decoding starts once PyTorch has loaded: then a click "
                                     "between points shows the image of that position.")
            return None
        if not proj.invertible:
            self.detail.show_message(getattr(proj, "no_inverse_reason", "") or (
                f"{proj.method} has no inverse mapping: a position between points does not "
                "correspond to a latent. Use PCA or LDA (or a 2-D latent) to decode empty "
                "space."))
            return None
        latent = proj.to_latent(np.array([[x, y]]))[0]
        near = self.scatter.nearest_any(x, y)
        label = int(data.labels[near]) if near is not None else -1
        anchor = LatentAnchor(latent, None, label, (float(x), float(y)), data.generation)
        self.marker.setData([x], [y])
        self.scatter.set_highlight(None)
        title = f"Decoded at ({x:.2f}, {y:.2f})"
        if data.conditional:
            title += f", conditioned on the nearest point's class {label}"
        self.detail.show_point(title, latent, None)
        self._publish(anchor)
        return anchor

    def select_point(self, index: int) -> LatentAnchor:
        """Select data point `index`: detail view, ring, session pick; return it."""
        data = self.data
        assert data is not None and self.projection is not None
        pos = self.projection.positions[index]
        label = int(data.labels[index])
        anchor = LatentAnchor(data.means[index].copy(), index, label,
                              (float(pos[0]), float(pos[1])), data.generation)
        self.marker.setData([], [])
        self.scatter.set_highlight(index)
        name = (data.class_names[label] if 0 <= label < len(data.class_names)
                else str(label))
        self.detail.show_point(f"Point #{index:,} — class {name}", anchor.latent,
                               data.images[index])
        self._publish(anchor)
        return anchor

    def _publish(self, anchor: LatentAnchor) -> None:
        self._selected = anchor
        labels = np.array([max(anchor.label, 0)])
        self.latent.decode(DETAIL_CHANNEL, anchor.latent[None], labels)
        self.session.select_latent(anchor)

    def _clear_pick(self) -> None:
        """Forget the pick: no marker, no ring, an empty detail view."""
        self._selected = None
        self.marker.setData([], [])
        self.scatter.set_highlight(None)
        self.detail.clear()
        self.latent.cancel_decode(DETAIL_CHANNEL)
