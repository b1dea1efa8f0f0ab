"""What to draw: images, seed, temperature, class; Sample and Stop (GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

MAX_IMAGES = 16
DEFAULT_IMAGES = 4
CYCLE = -1  # the class choice "each image its own class" (0, 1, 2, … cycling)


class SamplingControls(QWidget):
    """One row of controls; emits sampleRequested and stopRequested."""

    sampleRequested = Signal()
    stopRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.n_spin = QSpinBox()
        self.n_spin.setObjectName("pixels_n")
        self.n_spin.setRange(1, MAX_IMAGES)
        self.n_spin.setValue(DEFAULT_IMAGES)
        self.n_spin.setToolTip(f"Images drawn side by side (1–{MAX_IMAGES}), in a grid")
        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("pixels_seed")
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip("The seed fixes every draw: the same seed, the same images")
        self.temperature = QDoubleSpinBox()
        self.temperature.setObjectName("pixels_temperature")
        self.temperature.setRange(0.05, 3.0)
        self.temperature.setSingleStep(0.05)
        self.temperature.setDecimals(2)
        self.temperature.setValue(1.0)
        self.temperature.setToolTip("Divides the logits before the softmax: 1 is the "
                                    "model's own distribution, below 1 sharper, above "
                                    "flatter")
        self.class_label = QLabel("Class")
        self.class_combo = QComboBox()
        self.class_combo.setObjectName("pixels_class")
        self.class_combo.setToolTip("The class every image is drawn from (a "
                                    "class-conditional model)")
        self.sample_button = QPushButton("Sample")
        self.sample_button.setObjectName("pixels_sample")
        self.sample_button.setToolTip("Draw the images pixel by pixel (replaces the draw shown)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("pixels_stop")
        self.stop_button.setToolTip("Stop drawing; the values drawn so far stay to scrub")
        self.sample_button.clicked.connect(self.sampleRequested)
        self.stop_button.clicked.connect(self.stopRequested)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for label, widget in (("Images", self.n_spin), ("Seed", self.seed_spin),
                              ("Temperature", self.temperature)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addWidget(self.class_label)
        row.addWidget(self.class_combo)
        row.addWidget(self.sample_button)
        row.addWidget(self.stop_button)
        row.addStretch(1)
        self.set_classes(None)
        self.set_state(has_model=False, running=False)

    def set_classes(self, names: tuple[str, ...] | None) -> None:
        """Offer `names` (a conditional model's classes; None hides the choice)."""
        self.class_combo.clear()
        if names is None:
            self.class_label.hide()
            self.class_combo.hide()
            return
        self.class_combo.addItem("each its own", CYCLE)
        for k, name in enumerate(names):
            self.class_combo.addItem(name if name == str(k) else f"{k} ({name})", k)
        self.class_label.show()
        self.class_combo.show()

    def labels(self, n: int, num_classes: int) -> tuple[int, ...] | None:
        """Return the class of each of n images (None: no class asked for)."""
        choice = self.class_combo.currentData()
        if choice is None:  # an unconditional model: nothing offered
            return None
        if choice == CYCLE:
            return tuple(i % num_classes for i in range(n))
        return (int(choice),) * n

    def set_state(self, *, has_model: bool, running: bool) -> None:
        """Enable Sample with a model, Stop while drawing."""
        self.sample_button.setEnabled(has_model)
        self.stop_button.setEnabled(running)
