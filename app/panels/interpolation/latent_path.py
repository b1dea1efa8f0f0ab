"""VAEs and GANs (and latent diffusion's autoencoder): the latent space's map, and the
path's live frame and strip.

The shared latent space encodes the dataset (or draws generated samples for a GAN) once
per model; its map gives the anchors' latents and the dimensions' spread. Every frame is a
latest-wins decode (a millisecond), so dragging α stays live; conditional models decode
with class weights mixed along α.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Slot

from app.panels.interpolation.anchors import DATASET, FILE, MAP, RANDOM
from app.panels.interpolation.controls import ARITH, DIMS, LATENT, PATH
from app.panels.interpolation.latent_requests import ANCHOR, GRID, LIVE, STRIP
from app.session.latent_types import MapData
from models.images import make_grid
from models.latent.first_stage import has_first_stage, shape_text
from models.latent.interpolation import (
    aggregate_spread,
    class_weights,
    frame_alphas,
    path_latents,
)
from models.latent.paths import arithmetic
from models.opened import OpenedModel


class LatentPath:
    """The InterpolationPanel's VAE/GAN side (a part of it: GUI thread).

    Panel state used: `data` (the map shown), `latents`, `source` (what the live frame
    shows: PATH, DIMS or ARITH), `live_request` (id of the newest live decode),
    `strip_images` (the strip's decoded frames).
    """

    def _open_latent_space(self, model: OpenedModel) -> None:
        """Ask for `model`'s map; adopt it now when the latent space has it already."""
        self.status.setText("Loading the model (encoding the dataset)…")
        data = self.latent_requests.open(model)
        if data is not None:
            self._on_map(data)

    @Slot(object)
    def _on_map(self, data: MapData) -> None:
        """Adopt a map of the model shown: anchors, sliders, classes, then draw."""
        if self.model is None or self.diffusion is not None:
            return
        first = self.data is None  # later maps are newer weights of the same run
        self.data = data
        self._set_model_kind(LATENT)
        self._prior = data.has_prior or data.generated
        self._center, self._std = aggregate_spread(data.means)
        self._set_up_dimensions(data)
        allowed = {DATASET, MAP, RANDOM} | (set() if data.generated else {FILE})
        for box in self.anchors.values():
            box.set_dataset_size(len(data.means))
            box.set_sources_allowed(allowed)
        self.classes.setVisible(data.conditional)
        if data.conditional:
            self.classes.set_classes(data.class_names, int(max(data.labels.max() + 1,
                                                               len(data.class_names), 1)))
        if self.attribute is None or self.attribute.generation != data.generation:
            # The latent map's vector when it was made on this map, else none.
            self._adopt_attribute(self.session.attribute_vector)
        what = "generated samples" if data.generated else f"{data.dataset} images"
        shape = self._latent_shape()
        if len(shape) == 3:  # latent diffusion's first stage: a C×h×w grid of values
            self.status.setText(
                f"{data.family}, epoch {data.epoch}: the autoencoder's latents "
                f"({shape_text(shape)}, not the noise x_T), anchors from "
                f"{len(data.means):,} {what}, frames decoded by its decoder.")
        else:
            self.status.setText(f"{data.family}, epoch {data.epoch}: {data.latent_dim}-D "
                                f"latent, anchors from {len(data.means):,} {what}.")
        state = self._take_pending_state()
        if state is not None:
            self.apply_state(state)
            return
        if first:
            self._default_anchors()
        self._resolve_anchors(first)
        self.dims.set_latent(self.latents["A"] if self.latents["A"] is not None
                             else self._center)
        self.refresh()

    def _latent_shape(self) -> tuple[int, ...]:
        """Return the shape of the map's latent: (D,), or latent diffusion's (C, h, w)."""
        data = self.data
        if data is None:
            return (0,)
        if data.model is not None and has_first_stage(data.model.capabilities):
            return tuple(int(s) for s in data.model.capabilities.latent_shape)
        return (data.latent_dim,)

    # --- the path ----------------------------------------------------------------------
    def ready(self) -> bool:
        """Return True when both path anchors have latents."""
        return self.latents["A"] is not None and self.latents["B"] is not None

    def path_latents(self, alphas: float | np.ndarray) -> np.ndarray:
        """Return N×D latents on the path at `alphas` (plus the attribute vector)."""
        a, b = self.latents["A"], self.latents["B"]
        assert a is not None and b is not None
        z = path_latents(a, b, np.atleast_1d(alphas), str(self.path.method.currentData()))
        return z + self._attribute_offset()

    def live_latent(self) -> np.ndarray | None:
        """Return the latent the live frame shows (None while anchors are missing)."""
        if self.source == DIMS:
            return self.dims.latent.copy()
        if self.source == ARITH:
            a, b, c = (self.latents[n] for n in "ABC")
            if a is None or b is None or c is None:
                return None
            return arithmetic(a, b, c) + self._attribute_offset()
        if not self.ready():
            return None
        return self.path_latents(self.alpha())[0]

    def refresh(self) -> None:
        """Redraw the strip and the live frame after anchors or path settings changed."""
        self._request_strip()
        self.request_live()

    def request_live(self) -> int:
        """Decode the live frame (latest wins); return the request id (0: nothing to do)."""
        if self.data is None:
            return 0
        z = self.live_latent()
        if z is None:
            return 0
        alpha = np.array([self.alpha() if self.source == PATH else 0.0])
        self.live_request = self._decode(LIVE, z[None], alpha)
        return self.live_request

    def _request_strip(self) -> None:
        if self.data is None or not self.ready():
            return
        alphas = frame_alphas(self.path.frames.value(), self.path.extrapolate.isChecked())
        self.strip.alphas = alphas
        self._decode(STRIP, self.path_latents(alphas), alphas)
        self._mark_strip()

    def _decode(self, channel: str, latents: np.ndarray, alphas: np.ndarray,
                label: int | None = None) -> int:
        """Queue a latest-wins decode; conditional models get class weights (the class of
        `label`, else A's to B's along `alphas`). Return its id."""
        if self.data is None or not self.data.conditional:
            return self.latent_requests.decode(channel, latents)
        k = self.classes.class_a.count()
        if label is None:
            ca, cb = self.class_for("A"), self.class_for("B")
            if not self.classes.interpolate.isChecked():
                cb = ca
            weights = class_weights(ca, cb, np.asarray(alphas, np.float64), k)
        else:
            weights = np.repeat(np.eye(k, dtype=np.float32)[label][None], len(latents), 0)
        return self.latent_requests.decode(channel, latents, weights)

    # --- decoded images ------------------------------------------------------------------
    @Slot(str, int, object)
    def _on_decoded(self, channel: str, request_id: int, images: np.ndarray) -> None:
        if channel == LIVE:
            if self.source != ARITH:
                self.frame.caption = f"α {self.alpha():.2f}" if self.source == PATH \
                    else "per-dimension sliders"
            self.frame.show_frame(images[0], request_id, immediate=True)
        elif channel == STRIP:
            self.strip_images = images
            self.strip.set_frames(images)
        elif channel.startswith(ANCHOR):
            box = self.anchors[channel[len(ANCHOR):]]
            box.show_anchor(images[0], box.description.text())
        elif channel == GRID:
            _, n = self._traversal_shape
            self.traversal.view.show_frame(make_grid(images, nrow=n, padding=1))
