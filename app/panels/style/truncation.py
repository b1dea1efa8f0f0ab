"""The truncation section: a grid of samples at w̄ + ψ(w − w̄) beside w̄'s own image."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from app.jobs import JobService
from app.panels.style.jobs import Render
from app.panels.style.render import PSI_STEP, Frame, StyleRenderer
from app.panels.style.section import SliderSection

PSI_MAX = 1.5
DEFAULT_PSI = 0.7
ROWS, COLUMNS = 3, 5


class TruncationSection(SliderSection):
    """ψ slider (0–1.5) over a grid of samples from a first seed (GUI thread)."""

    def __init__(self, jobs: JobService, parent: QWidget | None = None) -> None:
        super().__init__(jobs, "Truncation ψ", round(PSI_MAX / PSI_STEP) + 1, parent)
        self.slider.setObjectName("style_psi")
        self.slider.setToolTip("ψ = 0: every sample is w̄'s image; 1: untruncated; "
                               "above 1: exaggerated away from the mean")
        self.seed = self.seed_spin("style_trunc_seed", 0,
                                   f"The {ROWS * COLUMNS} samples use seeds from this one on")
        self.controls.addWidget(QLabel("First seed"))
        self.controls.addWidget(self.seed)
        self.controls.addStretch(1)
        self.slider.blockSignals(True)
        self.slider.setValue(round(DEFAULT_PSI / PSI_STEP))
        self.slider.blockSignals(False)

    def seeds(self) -> list[int]:
        """Return the seeds of the grid's samples, row by row."""
        return list(range(self.seed.value(), self.seed.value() + ROWS * COLUMNS))

    def settings_key(self) -> object:
        """Return the seeds: the only setting besides ψ."""
        return ("truncation", tuple(self.seeds()))

    def renderer_for(self) -> Render:
        """Return the renderer of the grid at a slider position."""
        seeds = self.seeds()

        def render(renderer: StyleRenderer, position: int) -> Frame:
            return renderer.truncation(seeds, COLUMNS, position * PSI_STEP)

        return render

    def value_text(self, position: int) -> str:
        """Return "ψ = 0.70"."""
        return f"ψ = {position * PSI_STEP:.2f}"

    def caption(self, position: int) -> str:
        """Say what the picture shows."""
        return (f"Left: w̄'s own image. Right: seeds {self.seed.value()}–"
                f"{self.seed.value() + ROWS * COLUMNS - 1} at w̄ + ψ(w − w̄), "
                f"ψ = {position * PSI_STEP:.2f}")
