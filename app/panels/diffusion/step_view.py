"""One run at one step: x_t, ε̂ and x̂0 side by side under a caption, or for a latent run
x_t's channels, the decoded x̂0 and the linear preview (latent_view.py) (GUI thread)."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget

from app.panels.diffusion.cache import RunRecord
from app.panels.diffusion.display import KINDS, TITLES, tile
from app.panels.diffusion.image_pane import ImagePane, TextLine
from app.panels.diffusion.latent_view import LatentPanes


class StepRow(QWidget):
    """The three panes of one run; `show_step` paints a cached step (no computation)."""

    def __init__(self, name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.caption = TextLine(scale=1.15)
        self.panes = {kind: ImagePane(TITLES[kind]) for kind in KINDS}
        self.latent = LatentPanes()
        self.r2: float | None = None  # the linear preview's held-out R² (latent models)
        self.shown: tuple[int, int] | None = None  # (run id, step) on screen
        pixel_page = QWidget()
        panes = QHBoxLayout(pixel_page)
        panes.setContentsMargins(0, 0, 0, 0)
        panes.setSpacing(6)
        for pane in self.panes.values():
            panes.addWidget(pane, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(pixel_page)
        self.pages.addWidget(self.latent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.pages, 1)

    def set_latent(self, on: bool) -> None:
        """Show latent runs' panes (True) or pixel runs' x_t, ε̂, x̂0 (False)."""
        self.pages.setCurrentWidget(self.latent if on else self.pages.widget(0))

    def set_placeholder(self, text: str) -> None:
        """Empty the panes and show `text` in them."""
        self.shown = None
        self.caption.set_text("")
        for pane in self.panes.values():
            pane.placeholder = text
            pane.set_image(None)
        self.latent.set_placeholder(text)

    def show_step(self, run: RunRecord, step: int, sample: int | None) -> bool:
        """Show `run`'s step (clamped to what arrived) for one sample or all; return True
        when that step is on screen."""
        if run.available == 0:
            self.set_placeholder("Waiting for the first step…")
            self.caption.set_text(run.spec.describe(), self._bold())
            return False
        k = min(step, run.frames_available - 1)
        nrow = None if sample is not None else max(1, int(np.ceil(np.sqrt(run.spec.n))))
        self.set_latent(run.spec.latent)
        if run.spec.latent:
            self.latent.show_frame(run, k, sample, nrow, self.r2)
        else:
            images = run.frame_display(k)
            for kind, arr in zip(KINDS, images, strict=True):
                self.panes[kind].set_image(tile(arr, sample, nrow))
        t, ab = run.frame_time(k)
        where = f"final image after {run.num_steps} steps" if run.is_final(k) \
            else f"step {k + 1} / {run.num_steps}"
        self.caption.set_text(f"{run.spec.describe()} — {where}, t = {t:.0f}, ᾱ = {ab:.4f}",
                              self._bold())
        self.shown = (run.run_id, k)
        return k == step

    def _bold(self) -> str:
        return f"{self.name} " if self.name else ""
