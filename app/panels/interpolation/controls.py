"""The panel's control groups: the path row, classes, arithmetic, traversal grid.

Plain widgets with named children; the panel connects their signals. GUI thread only.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.panels.interpolation.views import GridView
from app.theme import style_text
from app.widgets.flow_layout import FlowLayout

ALPHA_STEPS = 1000  # α slider positions over its range
# What the live frame shows: the path at α, the per-dimension sliders' latent, A − B + C.
PATH, DIMS, ARITH = "path", "dims", "arith"
LATENT, DIFFUSION = "latent", "diffusion"  # the kinds of model the panel shows
NO_VECTOR_TEXT = ("Select two groups on the latent map (Box or Lasso) to get an attribute "
                  "vector: mean(A) − mean(B).")


class PathControls(QWidget):
    """α slider with its range option, path kind, strip size, Play/Bounce and speed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.alpha = QSlider(Qt.Orientation.Horizontal)
        self.alpha.setObjectName("alpha_slider")
        self.alpha.setRange(0, ALPHA_STEPS)
        self.alpha.setValue(ALPHA_STEPS // 2)
        self.alpha.setToolTip("α: 0 is anchor A, 1 is anchor B; decodes live while dragging")
        self.alpha_label = QLabel("α 0.50")
        self.alpha_label.setMinimumWidth(70)
        self.alpha_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.method = QComboBox()
        self.method.setObjectName("path_method")
        self.method.addItem("Linear", "linear")
        self.method.addItem("Spherical (slerp)", "slerp")
        self.method.setToolTip("Linear: a straight line. Slerp: along the sphere, keeping "
                               "the latent's length as Gaussian samples have it")
        self.extrapolate = QCheckBox("Extrapolate")
        self.extrapolate.setToolTip("Let α run from −0.5 to 1.5: beyond the anchors")
        self.frames = QSpinBox()
        self.frames.setObjectName("strip_frames")
        self.frames.setRange(2, 32)
        self.frames.setValue(8)
        self.frames.setPrefix("Strip ")
        self.frames.setToolTip("Frames in the strip (and in the exported animation)")
        self.steps = QSpinBox()
        self.steps.setObjectName("ddim_steps")
        self.steps.setRange(2, 250)
        self.steps.setValue(20)
        self.steps.setPrefix("DDIM ")
        self.steps.setSuffix(" steps")
        self.steps.setToolTip("Denoising steps per frame (diffusion models): fewer is faster")
        self.steps.hide()
        self.play = QPushButton("Play")
        self.play.setCheckable(True)
        self.play.setToolTip("Animate α along the path")
        self.bounce = QCheckBox("Bounce")
        self.bounce.setChecked(True)
        self.bounce.setToolTip("Run back and forth instead of looping")
        self.speed = QDoubleSpinBox()
        self.speed.setRange(0.5, 30.0)
        self.speed.setValue(3.0)
        self.speed.setSingleStep(0.5)
        self.speed.setSuffix(" s")
        self.speed.setDecimals(1)
        self.speed.setToolTip("Animation speed: seconds from A to B")

        top = QHBoxLayout()
        top.addWidget(QLabel("A"))
        top.addWidget(self.alpha, 1)
        top.addWidget(QLabel("B"))
        top.addSpacing(12)
        top.addWidget(self.alpha_label)
        # The path settings and the animation wrap onto two rows in a narrow column.
        bottom = FlowLayout()
        for w in (self.method, self.extrapolate, self.frames, self.steps, self.play,
                  self.bounce, self.speed):
            bottom.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addLayout(bottom)

    def reset(self) -> None:
        """Put α back in the middle and the path back to linear (without emitting)."""
        for w in (self.alpha, self.method):
            w.blockSignals(True)
        self.alpha.setValue(ALPHA_STEPS // 2)
        self.method.setCurrentIndex(0)
        for w in (self.alpha, self.method):
            w.blockSignals(False)
        self.alpha_label.setText(f"α {self.alpha_value():.2f}")

    @property
    def alpha_range(self) -> tuple[float, float]:
        """Return the α values at the slider's two ends."""
        return (-0.5, 1.5) if self.extrapolate.isChecked() else (0.0, 1.0)

    def alpha_value(self) -> float:
        """Return the α the slider is at."""
        lo, hi = self.alpha_range
        return lo + (hi - lo) * self.alpha.value() / ALPHA_STEPS

    def set_alpha(self, alpha: float) -> None:
        """Move the slider to `alpha` (clamped to its range); emits valueChanged if it moves."""
        lo, hi = self.alpha_range
        self.alpha.setValue(round((min(max(alpha, lo), hi) - lo) / (hi - lo) * ALPHA_STEPS))


class SpaceChoice(QWidget):
    """Which latent a latent diffusion model is interpolated in: the autoencoder's (images
    encoded and decoded, LATENT) or the diffusion's starting noise x_T (DIFFUSION). Hidden
    for models with one latent. `box`'s item data are LATENT and DIFFUSION."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QComboBox()
        self.box.setObjectName("interpolation_space")
        self.box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.box.addItem("Autoencoder latents", LATENT)
        self.box.addItem("Diffusion noise x_T", DIFFUSION)
        self.box.setItemData(0, "Between images: their first-stage latents (posterior "
                                "means), interpolated and decoded by the autoencoder",
                             Qt.ItemDataRole.ToolTipRole)
        self.box.setItemData(1, "Between seeds: their starting noises x_T (slerp), each "
                                "sampled with DDIM and decoded by the autoencoder",
                             Qt.ItemDataRole.ToolTipRole)
        self.box.setToolTip("Latent diffusion has two latents: the autoencoder's, and the "
                            "noise the sampler starts from")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Interpolate"))
        layout.addWidget(self.box)
        self.hide()

    @property
    def value(self) -> str:
        """Return the space chosen (LATENT or DIFFUSION)."""
        return str(self.box.currentData())

    def set_value(self, space: str) -> None:
        """Choose `space` (LATENT or DIFFUSION) without emitting."""
        self.box.blockSignals(True)
        self.box.setCurrentIndex(max(0, self.box.findData(space)))
        self.box.blockSignals(False)


class ClassControls(QWidget):
    """Class of each end for conditional models, and whether to interpolate between them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_a = QComboBox()
        self.class_a.setObjectName("class_a")
        self.class_b = QComboBox()
        self.class_b.setObjectName("class_b")
        self.interpolate = QCheckBox("Interpolate the class too")
        self.interpolate.setToolTip("Move the class input from A's class to B's along α "
                                    "(otherwise every frame uses A's class)")
        # The classes stay on one line; the check box wraps below them in a narrow column.
        ends = QWidget()
        row = QHBoxLayout(ends)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (QLabel("Class"), self.class_a, QLabel("→"), self.class_b):
            row.addWidget(w)
        layout = FlowLayout(self)
        layout.addWidget(ends)
        layout.addWidget(self.interpolate)

    def set_classes(self, names: Sequence[str], count: int) -> None:
        """Offer `count` classes in both boxes, by name where `names` has one (else by
        number), keeping the choices when possible."""
        items = [names[i] if i < len(names) else str(i) for i in range(count)]
        for box in (self.class_a, self.class_b):
            keep = box.currentIndex()
            box.blockSignals(True)
            box.clear()
            box.addItems(items)
            box.setCurrentIndex(min(max(keep, 0), len(items) - 1))
            box.blockSignals(False)

    def reset(self) -> None:
        """Offer no class, interpolate none, and hide (without emitting)."""
        for w in (self.class_a, self.class_b, self.interpolate):
            w.blockSignals(True)
        self.class_a.clear()
        self.class_b.clear()
        self.interpolate.setChecked(False)
        for w in (self.class_a, self.class_b, self.interpolate):
            w.blockSignals(False)
            w.setEnabled(True)
        self.hide()


class ArithmeticTab(QWidget):
    """A − B + C, and the latent map's attribute vector with a strength slider."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.show_result = QPushButton("Show A − B + C")
        self.show_result.setObjectName("arithmetic_button")
        self.show_result.setToolTip("Decode anchor A minus anchor B plus anchor C")
        self.formula = QLabel("e.g. A = a thick 7, B = a thin 7, C = a thin 1: A − B + C "
                              "is a thick 1.")
        self.formula.setWordWrap(True)
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setObjectName("attribute_strength")
        self.strength.setRange(-300, 300)
        self.strength.setValue(0)
        self.strength.setEnabled(False)
        self.strength.setToolTip("How much of the attribute vector to add to every frame")
        self.strength_label = QLabel("strength 0.00")
        self.vector_note = QLabel(NO_VECTOR_TEXT)
        self.vector_note.setWordWrap(True)
        style_text(self.vector_note, "muted")
        grid = QGridLayout(self)
        grid.addWidget(self.show_result, 0, 0, 1, 2)
        grid.addWidget(self.formula, 1, 0, 1, 2)
        grid.addWidget(QLabel("<b>Attribute vector</b>"), 2, 0, 1, 2)
        grid.addWidget(self.vector_note, 3, 0, 1, 2)
        grid.addWidget(self.strength, 4, 0)
        grid.addWidget(self.strength_label, 4, 1)
        grid.setRowStretch(5, 1)

    def strength_value(self) -> float:
        """Return the attribute strength (−3..3)."""
        return self.strength.value() / 100.0

    def set_strength(self, strength: float) -> None:
        """Move the strength slider to `strength` (without emitting) and label it."""
        self.strength.blockSignals(True)
        self.strength.setValue(round(strength * 100))
        self.strength.blockSignals(False)
        self.strength_label.setText(f"strength {self.strength_value():+.2f}")

    def reset(self) -> None:
        """Forget the attribute vector: strength 0, disabled."""
        self.set_strength(0.0)
        self.strength.setEnabled(False)
        self.vector_note.setText(NO_VECTOR_TEXT)


class TraversalTab(QWidget):
    """The traversal grid: the most active dimensions (rows) × values over ±3σ (columns)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = QSpinBox()
        self.rows.setRange(1, 32)
        self.rows.setValue(8)
        self.rows.setPrefix("dimensions ")
        self.columns = QSpinBox()
        self.columns.setRange(3, 21)
        self.columns.setValue(9)
        self.columns.setPrefix("values ")
        self.make = QPushButton("Traverse")
        self.make.setObjectName("traversal_button")
        self.make.setToolTip("Sweep each of the most active dimensions over ±3σ, the others "
                             "held at the sliders' latent (β-VAE disentanglement)")
        self.view = GridView()
        self.view.setObjectName("traversal_view")
        row = QHBoxLayout()
        row.addWidget(self.rows)
        row.addWidget(self.columns)
        row.addWidget(self.make)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)

    def clear(self) -> None:
        """Show no grid."""
        self.view.clear()
