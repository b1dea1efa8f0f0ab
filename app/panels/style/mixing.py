"""The style-mixing section: the StyleGAN paper's grid, row sources A giving the chosen
layers' styles to column sources B, with a slider for how much of A's styles they take."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from app.jobs import JobService
from app.panels.style.choices import Layers, fill_layer_combo
from app.panels.style.jobs import Render
from app.panels.style.render import Frame, StyleRenderer
from app.panels.style.section import SliderSection

SHARE_STEP = 0.05
ROWS, COLUMNS = 3, 5


class MixingSection(SliderSection):
    """Sources A (rows) and B (columns) by first seed, the layers the rows give, and
    A's share of those styles (0: B's image, 1: the paper's mix) (GUI thread)."""

    def __init__(self, jobs: JobService, parent: QWidget | None = None) -> None:
        super().__init__(jobs, "A's share", round(1.0 / SHARE_STEP) + 1, parent)
        self.slider.setObjectName("style_mix_share")
        self.slider.setToolTip("How far the chosen layers' styles move from B's toward "
                               "A's (1: taken from A, as in the paper's figure)")
        self.layers: Layers | None = None
        self.rows_seed = self.seed_spin("style_mix_rows", 0, "Row sources A: seeds from here")
        self.columns_seed = self.seed_spin("style_mix_columns", 100,
                                       "Column sources B: seeds from here")
        self.range = QComboBox()
        self.range.setObjectName("style_mix_range")
        self.range.setToolTip("The layers whose styles the rows (A) give; the rest are "
                              "the columns' (B)")
        self.range.currentIndexChanged.connect(self.settings_changed)
        self.controls.addWidget(QLabel("A seeds"))
        self.controls.addWidget(self.rows_seed)
        self.controls.addWidget(QLabel("B seeds"))
        self.controls.addWidget(self.columns_seed)
        self.controls.addWidget(QLabel("A gives"))
        self.controls.addWidget(self.range, 1)
        self.slider.blockSignals(True)
        self.slider.setValue(self.slider.maximum())
        self.slider.blockSignals(False)

    def set_layers(self, layers: Layers | None) -> None:
        """Offer `layers`' ranges (None: none)."""
        self.layers = layers
        fill_layer_combo(self.range, layers)

    def rows(self) -> list[int]:
        """Return the seeds of sources A, top to bottom."""
        return list(range(self.rows_seed.value(), self.rows_seed.value() + ROWS))

    def columns(self) -> list[int]:
        """Return the seeds of sources B, left to right."""
        return list(range(self.columns_seed.value(), self.columns_seed.value() + COLUMNS))

    def chosen_layers(self) -> tuple[int, ...]:
        """Return the ws indices the rows give."""
        return tuple(self.range.currentData() or ())

    def settings_key(self) -> object:
        """Return the sources and the layers (None until the layers are known)."""
        if not self.chosen_layers():
            return None
        return ("mixing", tuple(self.rows()), tuple(self.columns()), self.chosen_layers())

    def renderer_for(self) -> Render:
        """Return the renderer of the grid at a slider position."""
        rows, columns, layers = self.rows(), self.columns(), self.chosen_layers()

        def render(renderer: StyleRenderer, position: int) -> Frame:
            return renderer.mixing(rows, columns, layers, position * SHARE_STEP)

        return render

    def value_text(self, position: int) -> str:
        """Return the share as a percentage."""
        return f"{position * SHARE_STEP:.0%}"

    def caption(self, position: int) -> str:
        """Say what the grid shows."""
        span = self.layers.span(self.chosen_layers()) if self.layers else ""
        share = position * SHARE_STEP
        took = "take" if share == 1.0 else f"move {share:.0%} of the way to"
        return (f"Top: sources B (seeds {self.columns()[0]}–{self.columns()[-1]}); left: "
                f"sources A (seeds {self.rows()[0]}–{self.rows()[-1]}). Each cell is B "
                f"whose {span} styles {took} A's.")
