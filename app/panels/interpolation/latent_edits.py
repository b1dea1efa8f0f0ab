"""Editing latents directly (VAEs and GANs): the per-dimension sliders, latent arithmetic
A − B + C, the latent map's attribute vector with its strength, and the traversal grid."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Slot

from app.panels.interpolation.controls import ARITH, DIMS, NO_VECTOR_TEXT
from app.panels.interpolation.latent_requests import GRID
from app.panels.interpolation.views import signed
from app.session.latent_types import AttributeVector, MapData
from models.latent.first_stage import dimension_name
from models.latent.interpolation import with_dimension
from models.latent.paths import traversal_grid, traversal_values


class LatentEdits:
    """The InterpolationPanel's Dimensions, Arithmetic and Traversal tabs (a part of it:
    GUI thread). Panel state used: `attribute` (the vector added to every frame or None),
    `_traversal_shape` (rows, columns of the grid asked for)."""

    def _set_up_dimensions(self, data: MapData) -> None:
        """One slider per dimension over its spread, ordered by KL (VAEs) or variance;
        latent diffusion's C×h×w values are named by channel and place."""
        shape = self._latent_shape()
        if data.kl_per_dim is not None and len(data.kl_per_dim) == data.latent_dim:
            self.dims.set_dimensions(self._center, self._std, data.kl_per_dim, "KL", shape)
        else:  # GANs, AEs, latent diffusion: how much each dimension varies over the data
            self.dims.set_dimensions(self._center, self._std, self._std**2, "var", shape)

    # --- per-dimension sliders -------------------------------------------------------------
    @Slot(int, float)
    def _on_dimension(self, dim: int, value: float) -> None:
        self.source = DIMS
        self.request_live()

    @Slot()
    def dims_from_frame(self) -> None:
        """Move the per-dimension sliders to the latent of the frame shown."""
        z = self.live_latent()
        if z is not None:
            self.dims.set_latent(z)
            self.source = DIMS
            self.request_live()

    def set_dimension(self, dim: int, value: float) -> int:
        """Set latent dimension `dim` of the sliders' latent and decode it; return the id."""
        self.dims.set_latent(with_dimension(self.dims.latent, dim, value))
        self.source = DIMS
        return self.request_live()

    # --- arithmetic and the attribute vector -------------------------------------------------
    @Slot()
    def show_arithmetic(self) -> int:
        """Show A − B + C in the live frame; return the decode request id."""
        self.source = ARITH
        self.frame.caption = "A − B + C"
        return self.request_live()

    @Slot(int)
    def _on_strength(self, _value: int) -> None:
        self.arith.strength_label.setText(f"strength {self.arith.strength_value():+.2f}")
        self.refresh()

    @Slot(object)
    def use_attribute_vector(self, vector: AttributeVector | None) -> None:
        """Add `vector` (from the latent map; None: no vector) to every frame, and redraw."""
        self._adopt_attribute(vector)
        if self.data is not None:
            self.refresh()

    def _adopt_attribute(self, vector: AttributeVector | None) -> None:
        """Take `vector` when it was made on the map shown (else none) and describe it."""
        if vector is not None and (self.data is None
                                   or vector.generation != self.data.generation):
            vector = None  # from another model snapshot
        self.attribute = vector
        self.arith.strength.setEnabled(vector is not None)
        if vector is None:
            self.arith.vector_note.setText(NO_VECTOR_TEXT)
        else:
            self.arith.vector_note.setText(
                f"Attribute vector from the map: {len(vector.group_a):,} points in group A "
                f"minus {len(vector.group_b):,} in group B (length "
                f"{np.linalg.norm(vector.vector):.2f}). Added to every frame × strength.")

    def _attribute_offset(self) -> np.ndarray:
        if self.attribute is None:
            return np.zeros(1, np.float32)
        return (self.arith.strength_value() * self.attribute.vector).astype(np.float32)

    # --- traversal grid ----------------------------------------------------------------
    @Slot()
    def request_traversal(self) -> int:
        """Decode the traversal grid (most active dimensions × values); return the id."""
        if self.data is None:
            return 0
        rows = [int(d) for d in self.dims.order[:self.traversal.rows.value()]]
        n = self.traversal.columns.value()
        grid = np.concatenate([
            traversal_grid(self.dims.latent, [d], traversal_values(
                float(self._center[d]), float(self._std[d]), n)) for d in rows])
        self._traversal_shape = (len(rows), n)
        self.traversal.view.set_labels(*traversal_labels(rows, self._center, self._std, n,
                                                         self._latent_shape()))
        self.traversal.view.caption = ("Each row sweeps one dimension over its mean ± 3σ; "
                                       "the others stay at the sliders' values.")
        return self._decode(GRID, grid, np.zeros(len(grid)), self.class_for("A"))


def traversal_labels(rows: list[int], center: np.ndarray, std: np.ndarray, n: int,
                     shape: tuple[int, ...] = ()) -> tuple[list[str], list[str]]:
    """Return the traversal grid's row labels ("z3: −2.1…+1.8", the dimension — named by
    channel and place in a C×h×w `shape` — and the values it sweeps) and column labels
    (−3σ, 0, +3σ at the ends and the middle)."""
    row_labels = []
    for d in rows:
        values = traversal_values(float(center[d]), float(std[d]), n)
        row_labels.append(f"{dimension_name(d, shape)}: {signed(values[0])}…"
                          f"{signed(values[-1])}")
    columns = [""] * n
    columns[0], columns[-1] = "−3σ", "+3σ"
    if n % 2:
        columns[n // 2] = "mean"
    return row_labels, columns
