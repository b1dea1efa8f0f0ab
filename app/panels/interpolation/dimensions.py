"""Per-dimension sliders: one per latent dimension, most active first, searchable.

Each slider spans the dimension's aggregate-posterior centre ± 3σ. Large latents show the
first rows of the (filtered) list only; the search box reaches any dimension. A C×h×w
latent (latent diffusion's autoencoder) names each value by channel and place. GUI thread.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.theme import style_text
from models.latent.first_stage import dimension_name
from models.latent.interpolation import dimension_order

SPAN = 3.0  # sliders cover centre ± SPAN·σ
STEPS = 240  # slider positions over that span
MAX_ROWS = 64  # rows built at once; the search box reaches the others


class DimensionSliders(QWidget):
    """Sliders editing `latent` one dimension at a time.

    Emits valueChanged(dimension, value) when the user moves a slider (GUI thread);
    set_latent never emits.
    """

    valueChanged = Signal(int, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.latent = np.zeros(0, np.float32)
        self.center = np.zeros(0, np.float32)
        self.std = np.ones(0, np.float32)
        self.activity: np.ndarray | None = None
        self.activity_name = ""
        self.shape: tuple[int, ...] = ()  # the latent's shape: () or (D,) flat
        self.order = np.zeros(0, np.int64)
        self.sliders: dict[int, QSlider] = {}
        self._values: dict[int, QLabel] = {}
        self.search = QLineEdit()
        self.search.setObjectName("dimension_search")
        self.search.setPlaceholderText("Find dimension (e.g. 12 or z12)")
        self.search.setClearButtonEnabled(True)
        self.take = QPushButton("Start from the frame shown")
        self.take.setObjectName("dims_from_frame")
        self.take.setToolTip("Set every slider to the latent of the frame shown (the path at "
                             "α, or A − B + C)")
        self.note = QLabel()
        self.note.setWordWrap(True)
        style_text(self.note, "muted")
        self._rows = QWidget()
        self._grid = QGridLayout(self._rows)
        self._grid.setContentsMargins(2, 2, 2, 2)
        self._grid.setVerticalSpacing(2)
        self._grid.setColumnStretch(1, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._rows)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.take)
        layout.addWidget(self.search)
        layout.addWidget(self.note)
        layout.addWidget(scroll, 1)
        self.search.textChanged.connect(self._rebuild)

    def set_dimensions(self, center: np.ndarray, std: np.ndarray,
                       activity: np.ndarray | None, activity_name: str = "KL",
                       shape: tuple[int, ...] = ()) -> None:
        """Describe the latent: per-dimension centre and σ, an activity to order by, and
        its shape (C×h×w values are named "c2 (3,5)": channel, row, column)."""
        self.shape = tuple(shape)
        self.center = np.asarray(center, np.float32)
        self.std = np.asarray(std, np.float32)
        self.activity = None if activity is None else np.asarray(activity, np.float32)
        self.activity_name = activity_name
        d = len(self.center)
        self.order = dimension_order(self.activity) if self.activity is not None \
            else np.arange(d)
        self.latent = self.center.copy()
        self._rebuild()

    def clear(self) -> None:
        """Remove every slider and the search text: no latent described."""
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.set_dimensions(np.zeros(0, np.float32), np.ones(0, np.float32), None)
        self.note.setText("")

    def set_latent(self, z: np.ndarray) -> None:
        """Move every slider to latent `z` (without emitting)."""
        self.latent = np.array(z, np.float32, copy=True)
        for d, slider in self.sliders.items():
            slider.blockSignals(True)
            slider.setValue(self._position(d, float(self.latent[d])))
            slider.blockSignals(False)
            self._values[d].setText(f"{self.latent[d]:+.2f}")

    def value_at(self, d: int, position: int) -> float:
        """Return the latent value of slider position `position` of dimension d."""
        lo = self.center[d] - SPAN * self.std[d]
        return float(lo + (2 * SPAN * self.std[d]) * position / STEPS)

    def _position(self, d: int, value: float) -> int:
        lo = self.center[d] - SPAN * self.std[d]
        pos = (value - lo) / (2 * SPAN * self.std[d]) * STEPS
        return int(np.clip(round(pos), 0, STEPS))

    def visible_dimensions(self) -> list[int]:
        """Return the dimensions that have a row, in display order."""
        return list(self.sliders)

    @Slot()
    def _rebuild(self, *_: object) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.sliders.clear()
        self._values.clear()
        text = self.search.text().strip().lower()
        dims = [int(d) for d in self.order if self._matches(int(d), text)]
        shown = dims[:MAX_ROWS]
        for row, d in enumerate(shown):
            name = dimension_name(d, self.shape)
            if self.activity is not None:
                name += f"  {self.activity_name} {self.activity[d]:.2f}"
            label = QLabel(name)
            where = self._place(d)
            label.setToolTip(f"Dimension {d}{where}: {self.center[d]:+.2f} ± 3σ "
                             f"(σ = {self.std[d]:.2f} over the encoded data)")
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setObjectName(f"dim_slider_{d}")
            slider.setRange(0, STEPS)
            slider.setProperty("dim", d)
            value = QLabel()
            value.setMinimumWidth(44)
            self._grid.addWidget(label, row, 0)
            self._grid.addWidget(slider, row, 1)
            self._grid.addWidget(value, row, 2)
            self.sliders[d] = slider
            self._values[d] = value
            slider.valueChanged.connect(self._on_slider)
        self._grid.setRowStretch(len(shown), 1)
        if len(self.latent):
            self.set_latent(self.latent)
        total = len(self.order)
        order = f"most active ({self.activity_name}) first" if self.activity is not None \
            else "in order"
        more = f"; showing {len(shown)} of {len(dims)}: search for the others" \
            if len(dims) > len(shown) else ""
        grid = ""
        if len(self.shape) == 3:
            c, h, w = self.shape
            grid = (f" A {c}×{h}×{w} grid: each value is one of {c} channels at one place "
                    f"of an {h}×{w} grid over the image (c2 (3,5): channel 2, row 3, "
                    "column 5), so a slider changes one patch.")
        self.note.setText(f"{total} dimensions, {order}, each over ±3σ{more}.{grid}")

    def _matches(self, d: int, text: str) -> bool:
        """Return True when dimension d is found by the search `text`: its index (with or
        without "z") or a part of its name ("c2", "c2 (3")."""
        if not text:
            return True
        return str(d).startswith(text.lstrip("z")) or \
            (len(self.shape) == 3 and dimension_name(d, self.shape).startswith(text))

    def _place(self, d: int) -> str:
        """Return ", channel c at row r, column k" for a C×h×w latent ("" otherwise)."""
        if len(self.shape) != 3:
            return ""
        _, h, w = self.shape
        return f", channel {d // (h * w)} at row {d % (h * w) // w}, column {d % w}"

    @Slot(int)
    def _on_slider(self, position: int) -> None:
        slider = self.sender()
        if slider is None:
            return
        d = int(slider.property("dim"))
        value = self.value_at(d, position)
        self.latent[d] = value
        self._values[d].setText(f"{value:+.2f}")
        self.valueChanged.emit(d, value)
