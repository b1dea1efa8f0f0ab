"""The α slider and what moves it: its range (extrapolation), path settings, clicks on the
strip, and Play/Bounce. Shared by both kinds of model: VAEs and GANs decode the live frame
at α (latent_path.py), diffusion models show the cached frame nearest α
(diffusion_path.py)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Slot

from app.panels.interpolation.controls import ALPHA_STEPS, PATH


class AlphaControls:
    """The InterpolationPanel's α slider and animation (a part of it: GUI thread)."""

    def alpha(self) -> float:
        """Return the α the slider is at."""
        return self.path.alpha_value()

    @Slot(int)
    def _on_alpha(self, _value: int) -> None:
        self.path.alpha_label.setText(f"α {self.alpha():.2f}")
        self._mark_strip()
        if self.diffusion is not None:
            self._show_cached()
            return
        self.source = PATH
        self.request_live()

    def _mark_strip(self) -> None:
        if len(self.strip.alphas):
            self.strip.set_current(int(np.argmin(np.abs(self.strip.alphas - self.alpha()))))

    @Slot()
    def _on_path_changed(self, *_: object) -> None:
        """Recompute after the path kind, strip size, steps or classes changed."""
        if self.diffusion is not None:
            self.start_noise_path()
        elif self.data is not None:
            self.refresh()

    @Slot(bool)
    def _on_extrapolate(self, on: bool) -> None:
        lo, hi = (0.0, 1.0) if on else (-0.5, 1.5)  # the range before the toggle
        alpha = lo + (hi - lo) * self.path.alpha.value() / ALPHA_STEPS
        self.path.alpha.blockSignals(True)
        self.path.set_alpha(alpha)
        self.path.alpha.blockSignals(False)
        self._on_alpha(self.path.alpha.value())
        self._on_path_changed()

    @Slot(int)
    def _on_strip_clicked(self, index: int) -> None:
        if index < len(self.strip.alphas):
            self.path.set_alpha(float(self.strip.alphas[index]))

    @Slot(bool)
    def _on_play(self, on: bool) -> None:
        self.path.play.setText("Pause" if on else "Play")
        if on:
            self.animator.bounce = self.path.bounce.isChecked()
            self.animator.set_period(self.path.speed.value())
            self.animator.play(self.path.alpha.value() / ALPHA_STEPS)
        else:
            self.animator.stop()

    @Slot(bool)
    def _on_bounce(self, on: bool) -> None:
        self.animator.bounce = on

    @Slot(float)
    def _on_animation(self, fraction: float) -> None:
        self.path.alpha.setValue(round(fraction * ALPHA_STEPS))
