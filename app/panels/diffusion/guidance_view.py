"""The Guidance view: classifier-free guidance's three predictions at one step side by side
(unconditional, conditional, guided: ε̂ over x̂0, beside the x_t all three saw) and the
guidance slider (GUI thread). It paints cached arrays only: nothing is computed here."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from app.panels.diffusion.cache import RunRecord
from app.panels.diffusion.display import tile
from app.panels.diffusion.image_pane import TITLE_PX, ImagePane, TextLine

GUIDANCE_STEP = 0.5  # the slider's w moves in halves
GUIDANCE_MAX = 10.0
BRANCHES = ("uncond", "cond", "guided")  # the columns, left to right
MIN_PANE = 96  # panes shrink to fit 1280 × 720 (four columns, two rows)
NO_PARTS_TEXT = ("This run has no recorded guidance branches (a loaded trajectory): "
                 "press Run to record them.")
FORMULA = ("guided = unconditional + w·(conditional − unconditional): w = 1 is the "
           "conditional column exactly, w = 0 the unconditional one")


def branch_titles(class_text: str, w: float | None) -> dict[tuple[str, str], str]:
    """Return the pane titles by (branch, "eps" | "x0"): which branch, its class, its w."""
    guided = "guided" if w is None else f"guided, w = {w:g}"
    names = {"uncond": "unconditional (no class)", "cond": f"conditional ({class_text})",
             "guided": guided}
    return {(b, k): f"{'ε̂' if k == 'eps' else 'x̂0'} {names[b]}"
            for b in BRANCHES for k in ("eps", "x0")}


class GuidanceView(QWidget):
    """The guidance slider over a grid: x_t (spanning two rows) then one column per branch,
    ε̂ above x̂0; `show_step` paints a cached step of a run that recorded its branches."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diffusion_guidance_view")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("diffusion_guidance_slider")
        self.slider.setRange(0, round(GUIDANCE_MAX / GUIDANCE_STEP))
        self.slider.setPageStep(2)
        self.slider.setToolTip("Guidance w: moving it re-runs the sampler with this w (run "
                               "A's guidance follows it); the newest position wins")
        self.value_label = TextLine("w = 10.0")
        self.value_label.setObjectName("diffusion_guidance_value")
        self.progress = TextLine()
        self.progress.setObjectName("diffusion_guidance_progress")
        self.caption = TextLine(lines=2)
        self.x_t = self._pane("x_t (input of all three)")
        self.panes = {key: self._pane(title) for key, title in branch_titles("", None).items()}
        self.shown: tuple[int, int] | None = None  # (run id, frame) on screen

        top = QHBoxLayout()
        top.addWidget(QLabel("Guidance w"))
        top.addWidget(self.slider, 2)
        top.addWidget(self.value_label)
        top.addWidget(self.progress, 1)
        grid = QGridLayout()
        grid.setSpacing(6)
        grid.addWidget(self.x_t, 0, 0, 2, 1)
        for col, branch in enumerate(BRANCHES, start=1):
            grid.addWidget(self.panes[(branch, "eps")], 0, col)
            grid.addWidget(self.panes[(branch, "x0")], 1, col)
            grid.setColumnStretch(col, 1)
        grid.setColumnStretch(0, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.caption)
        layout.addLayout(grid, 1)

    @staticmethod
    def _pane(title: str) -> ImagePane:
        pane = ImagePane(title)
        pane.setMinimumSize(MIN_PANE, MIN_PANE + TITLE_PX)
        return pane

    # --- the slider ----------------------------------------------------------------------
    def guidance(self) -> float:
        """Return the slider's w."""
        return self.slider.value() * GUIDANCE_STEP

    def set_guidance(self, w: float) -> None:
        """Put the slider at `w` (nearest half, within its range) without emitting; the
        label shows `w` itself."""
        self.slider.blockSignals(True)
        self.slider.setValue(round(min(max(w, 0.0), GUIDANCE_MAX) / GUIDANCE_STEP))
        self.slider.blockSignals(False)
        self.value_label.set_text(f"w = {w:.1f}")

    # --- the grid ------------------------------------------------------------------------
    def set_placeholder(self, text: str) -> None:
        """Empty every pane and show `text` in them."""
        self.shown = None
        self.caption.set_text("")
        for pane in (self.x_t, *self.panes.values()):
            pane.placeholder = text
            pane.set_image(None)

    def show_step(self, run: RunRecord, frame: int, sample: int | None, class_text: str,
                  w: float | None) -> bool:
        """Show `run`'s frame (clamped to what arrived) for one sample or all: x_t and each
        branch's ε̂ and x̂0, titled with the branch, `class_text` and `w`; return True when
        that frame is on screen."""
        if run.available == 0:
            self.set_placeholder("Waiting for the first step…")
            self.caption.set_text(run.spec.describe(), "A ")
            return False
        k = min(frame, run.frames_available - 1)
        nrow = None if sample is not None else max(1, int(np.ceil(np.sqrt(run.spec.n))))
        final = run.is_final(k)
        # The final image has nothing left to predict: beside it, the last step's branches.
        step = k - 1 if final else k
        self.x_t.set_title("final image (t = 0)" if final else "x_t (input of all three)")
        self.x_t.set_image(tile(run.frame_display(k)[0], sample, nrow))
        _, eps, x0 = run.display(step)
        for key, title in branch_titles(class_text, w).items():
            self.panes[key].set_title(title)
        parts = run.part_display(step)
        if parts is None:
            for pane in self.panes.values():
                pane.placeholder = NO_PARTS_TEXT
                pane.set_image(None)
        else:
            images = {("guided", "eps"): eps, ("guided", "x0"): x0,
                      **{(name.split("_")[1], name.split("_")[0]): image
                         for name, image in parts.items()}}
            for key, image in images.items():
                self.panes[key].set_image(tile(image, sample, nrow))
        t, ab = run.frame_time(k)
        where = f"final image after {run.num_steps} steps (predictions of the last step)" \
            if final else f"step {k + 1} / {run.num_steps}"
        self.caption.set_text(f"{run.spec.describe()} — {where}, t = {t:.0f}, ᾱ = {ab:.4f}\n"
                              f"{FORMULA}", "A ")
        self.shown = (run.run_id, k)
        return k == frame
