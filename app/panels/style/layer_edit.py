"""The per-layer style section: one image's styles in chosen layers moved toward another
source's, or scaled around w̄; before, after and the other source side by side."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QWidget

from app.jobs import JobService
from app.panels.style.choices import Layers, fill_layer_combo
from app.panels.style.jobs import Render
from app.panels.style.render import DIRECTIONS, EDIT_STEP, Frame, StyleRenderer
from app.panels.style.section import SliderSection

AMOUNT_MIN, AMOUNT_MAX = -3.0, 3.0
MODES = (("toward", "move toward the target's w"), ("scale", "scale around w̄"),
         ("direction", "move along a principal direction"))


class LayerEditSection(SliderSection):
    """Image and target by seed, the layers edited, the kind of edit and its amount
    (GUI thread)."""

    def __init__(self, jobs: JobService, parent: QWidget | None = None) -> None:
        positions = round((AMOUNT_MAX - AMOUNT_MIN) / EDIT_STEP) + 1
        super().__init__(jobs, "Amount", positions, parent)
        self.slider.setObjectName("style_edit_amount")
        self.layers: Layers | None = None
        self.seed = self.seed_spin("style_edit_seed", 0, "The image edited (its seed)")
        self.target = self.seed_spin("style_edit_target", 1,
                                 "The source whose styles the layers move toward")
        self.range = QComboBox()
        self.range.setObjectName("style_edit_layers")
        self.range.setToolTip("The layers whose w is edited; the others keep the image's")
        self.range.currentIndexChanged.connect(self.settings_changed)
        self.mode = QComboBox()
        self.mode.setObjectName("style_edit_mode")
        for key, label in MODES:
            self.mode.addItem(label, key)
        self.mode.setToolTip("Toward: w + a·(w_target − w) in those layers (a = 1: the "
                             "target's style). Scale: w̄ + a·(w − w̄) (a = 0: the mean "
                             "style there, 1: unchanged, 2: exaggerated). Direction: "
                             "w + a·σ·v, v a principal direction of sampled w (GANSpace), "
                             "σ the spread of w along it")
        self.mode.currentIndexChanged.connect(self._on_mode)
        self.component = QSpinBox()
        self.component.setObjectName("style_edit_component")
        self.component.setRange(0, DIRECTIONS - 1)
        self.component.setMinimumWidth(self.component.fontMetrics().horizontalAdvance("000")
                                       + 40)  # the digits beside the arrows
        self.component.setToolTip("Principal direction k of w (0: the most variance)")
        self.component.valueChanged.connect(self.settings_changed)
        self.target_label, self.component_label = QLabel("Target"), QLabel("Direction")
        self.controls.addWidget(QLabel("Image"))
        self.controls.addWidget(self.seed)
        self.controls.addWidget(QLabel("Layers"))
        self.controls.addWidget(self.range, 1)
        self.controls.addWidget(self.mode)
        for widget in (self.target_label, self.target, self.component_label,
                       self.component):
            self.controls.addWidget(widget)
        self._show_mode_controls()
        self.slider.blockSignals(True)
        self.slider.setValue(self.position_of(1.0))
        self.slider.blockSignals(False)

    def _show_mode_controls(self) -> None:
        direction = self.mode.currentData() == "direction"
        for widget in (self.target_label, self.target):
            widget.setVisible(not direction)
        for widget in (self.component_label, self.component):
            widget.setVisible(direction)

    def _on_mode(self) -> None:
        self._show_mode_controls()
        self.settings_changed()

    def other(self) -> int:
        """Return the target's seed, or the direction's index in mode "direction"."""
        return self.component.value() if self.mode.currentData() == "direction" \
            else self.target.value()

    @staticmethod
    def amount_at(position: int) -> float:
        """Return the edit amount a at a slider position."""
        return round(AMOUNT_MIN + position * EDIT_STEP, 6)

    @staticmethod
    def position_of(amount: float) -> int:
        """Return the slider position of amount a."""
        return round((amount - AMOUNT_MIN) / EDIT_STEP)

    def set_layers(self, layers: Layers | None) -> None:
        """Offer `layers`' ranges and single layers (None: none)."""
        self.layers = layers
        fill_layer_combo(self.range, layers)

    def chosen_layers(self) -> tuple[int, ...]:
        """Return the ws indices edited."""
        return tuple(self.range.currentData() or ())

    def settings_key(self) -> object:
        """Return the image, target, layers and mode (None until the layers are known)."""
        if not self.chosen_layers():
            return None
        return ("edit", self.seed.value(), self.other(), self.chosen_layers(),
                self.mode.currentData())

    def renderer_for(self) -> Render:
        """Return the renderer of before | after | target at a slider position."""
        seed, target, layers = self.seed.value(), self.other(), self.chosen_layers()
        mode, amount_at = self.mode.currentData(), self.amount_at

        def render(renderer: StyleRenderer, position: int) -> Frame:
            return renderer.edit(seed, target, layers, mode, amount_at(position))

        return render

    def value_text(self, position: int) -> str:
        """Return "a = 0.5"."""
        return f"a = {self.amount_at(position):.1f}"

    def caption(self, position: int) -> str:
        """Say what the three images are."""
        span = self.layers.span(self.chosen_layers()) if self.layers else ""
        a = self.amount_at(position)
        mode = self.mode.currentData()
        if mode == "direction":
            k = self.component.value()
            return (f"Before (seed {self.seed.value()}) | after: layers {span} get "
                    f"w + {a:.1f}·σ{k}·v{k} | w̄ moved so in every layer (what v{k} does)")
        how = f"w + {a:.1f}·(w_target − w)" if mode == "toward" else f"w̄ + {a:.1f}·(w − w̄)"
        return (f"Before (seed {self.seed.value()}) | after: layers {span} get {how} | "
                f"target (seed {self.target.value()})")
