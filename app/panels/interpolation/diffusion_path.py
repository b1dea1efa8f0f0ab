"""Diffusion models: a path between two seeds' starting noises, sampled with DDIM.

A diffusion model's latent is its starting noise image. Deterministic DDIM makes the image
a smooth function of that noise, so frames along a (slerp) path between the noises of
seeds A and B morph one sample into the other. Each frame is a whole DDIM run, so they are
computed in the background (jobs.py), coarse to fine, into a cache of
DIFFUSION_SUBFRAMES frames per strip gap; the α slider scrubs the nearest cached frame
while the progress bar shows the cache filling in. Latent diffusion's x_T is a latent
noise (4×8×8): each frame's final latents are decoded by the autoencoder
(`model.to_images`, in models/latent/noise_path.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.panels.interpolation.anchors import RANDOM
from app.panels.interpolation.controls import DIFFUSION
from app.panels.interpolation.jobs import (
    COPY_CHANNEL,
    LANE,
    NoisePathRequest,
    drop_copy_work,
    noise_path_work,
)
from models.latent.first_stage import has_first_stage, shape_text
from models.latent.interpolation import frame_alphas
from models.opened import OpenedModel

if TYPE_CHECKING:
    from models.latent.noise_path import NoiseFrame

DIFFUSION_SUBFRAMES = 4  # cached diffusion frames per strip gap: what the slider scrubs


class DiffusionPath:
    """The InterpolationPanel's diffusion side (a part of it: GUI thread).

    Panel state used: `cache` (a uint8 H×W×C frame or None per α of `cache_alphas`),
    `_noise_serial` (the newest path asked for: ends of older ones are ignored),
    `_noise_running`, `_copies` (the lane's ModelCopy) and `_copy_used`.
    """

    def _show_diffusion(self, model: OpenedModel) -> None:
        """Set the controls up for `model` (the first time) and start its path."""
        if self.kind is None:  # not newer weights of the model shown: set everything up
            self._set_model_kind(DIFFUSION)
            conditional = model.capabilities.conditional
            self.classes.setVisible(conditional)
            if conditional:
                self.classes.set_classes(model.class_names,
                                         int(getattr(model.model_config, "num_classes", 0)))
                self.classes.class_b.setEnabled(False)
                self.classes.interpolate.setEnabled(False)
            state = self._take_pending_state()
            if state is not None:
                self.apply_state(state)  # starts the path
                return
            self.anchors["A"].set_source(RANDOM, 1)
            self.anchors["B"].set_source(RANDOM, 2)
        self.start_noise_path()

    def start_noise_path(self) -> None:
        """(Re)compute the cached DDIM frames for the seeds and path shown (latest wins)."""
        model = self.diffusion
        if model is None:
            return
        n, extrapolate = self.path.frames.value(), self.path.extrapolate.isChecked()
        self.strip.set_alphas(frame_alphas(n, extrapolate))
        self.strip_images = None
        self.cache_alphas = frame_alphas((n - 1) * DIFFUSION_SUBFRAMES + 1, extrapolate)
        self.cache = [None] * len(self.cache_alphas)
        seed_a, seed_b = (self.anchors[name].number.value() for name in "AB")
        latent = has_first_stage(model.capabilities)
        noise = "noise x_T" if latent else "noise"
        for name, seed in (("A", seed_a), ("B", seed_b)):
            self.anchors[name].show_anchor(None, f"{noise} of seed {seed}")
        label = max(self.classes.class_a.currentIndex(), 0) \
            if model.capabilities.conditional else None
        request = NoisePathRequest(seed_a, seed_b, self.cache_alphas, self.path.steps.value(),
                                   str(self.path.method.currentData()), label)
        self._noise_serial += 1
        serial = self._noise_serial
        self.session.jobs.submit(LANE, noise_path_work(self._copies, model, request),
                                 on_event=self._on_noise_frame,
                                 on_done=lambda status: self._on_noise_done(serial, status),
                                 on_error=lambda message, _tb: self._on_failed(message))
        self._noise_running = self._copy_used = True
        self.progress.setRange(0, len(self.cache))
        self.progress.setValue(0)
        self.progress.show()
        self.frame.clear()
        if latent:
            self.status.setText(
                f"{model.family}: DDIM frames between the noises x_T of seeds {seed_a} and "
                f"{seed_b} ({shape_text(model.capabilities.latent_shape)}), each sampled "
                "and decoded by the autoencoder, in the background.")
        else:
            self.status.setText(f"{model.family}: DDIM frames between the noises of seeds "
                                f"{seed_a} and {seed_b}, computed in the background.")

    def noise_running(self) -> bool:
        """Return True while the frames of the path shown are being computed."""
        return self._noise_running

    def _stop_noise_path(self) -> None:
        """Cancel the path being computed and free the lane's model copy."""
        self.session.jobs.cancel(LANE)
        self._noise_serial += 1  # the cancelled job's end is not the path shown
        self._noise_running = False
        if self._copy_used:
            self._copy_used = False
            try:
                self.session.jobs.submit(LANE, drop_copy_work(self._copies),
                                         channel=COPY_CHANNEL)
            except RuntimeError:
                pass  # the window is closing: the copy goes with the process

    def _on_noise_frame(self, frame: NoiseFrame) -> None:
        if frame.index >= len(self.cache):
            return
        self.cache[frame.index] = frame.image
        self.progress.setValue(sum(f is not None for f in self.cache))
        if frame.index % DIFFUSION_SUBFRAMES == 0:
            self.strip.set_frame(frame.index // DIFFUSION_SUBFRAMES, frame.image)
        for name, index in (("A", 0), ("B", len(self.cache) - 1)):
            if frame.index == index:
                box = self.anchors[name]
                box.show_anchor(frame.image, box.description.text())
        self._show_cached()

    def _on_noise_done(self, serial: int, status: str) -> None:
        if serial != self._noise_serial:
            return  # a path replaced since
        self._noise_running = False
        if status != "cancelled":
            self.progress.hide()
        strip = [f for f in self.cache[::DIFFUSION_SUBFRAMES] if f is not None]
        if status == "done" and strip:
            self.strip_images = np.stack(strip)

    def nearest_cached(self, alpha: float) -> int | None:
        """Return the index of the computed diffusion frame nearest `alpha` (None: none yet)."""
        done = [i for i, f in enumerate(self.cache) if f is not None]
        if not done:
            return None
        return min(done, key=lambda i: abs(self.cache_alphas[i] - alpha))

    def _show_cached(self) -> None:
        i = self.nearest_cached(self.alpha())
        if i is not None:
            self._scrub_tag += 1
            self.frame.caption = f"α {self.cache_alphas[i]:.2f}"
            image = self.cache[i]
            assert image is not None
            self.frame.show_frame(image, self._scrub_tag, immediate=True)
