"""The "Directions" tab: GANSpace directions (the top principal components of sampled w)
as sliders in σ units, each with the range of layers its edit applies to, and the chosen
source before and after (GUI thread)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.panels.wspace.jobs import LANE, PCA_CHANNEL, SWEEP_SIGMAS, DirectionSet, pca_work
from app.panels.wspace.runner import Runner
from app.panels.wspace.strip import FrameStrip
from app.theme import style_text

SLIDER_STEPS = 10  # slider ticks per σ
MAX_SIGMA = 4
PCA_SAMPLES = 10_000
# Layer ranges offered for an edit: a name and the named ranges it joins.
RANGE_CHOICES = (("all layers", ("coarse", "middle", "fine")), ("coarse", ("coarse",)),
                 ("middle", ("middle",)), ("fine", ("fine",)),
                 ("coarse + middle", ("coarse", "middle")), ("middle + fine", ("middle", "fine")))


def range_label(names: tuple[str, ...], ranges: dict[str, range]) -> str:
    """Return the ws indices the named ranges cover, as "0–3"."""
    idx = sorted({i for n in names for i in ranges.get(n, ())})
    return f"{idx[0]}–{idx[-1]}" if idx else "none"


class DirectionRow:
    """One direction's widgets: name with its explained variance, slider, value, range."""

    def __init__(self, k: int, ratio: float, ranges: dict[str, range]) -> None:
        self.name = QLabel(f"PC{k + 1} ({ratio:.1%})")
        self.name.setToolTip(f"Principal component {k + 1} of sampled w: "
                             f"{ratio:.1%} of w's variance")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName(f"wspace_direction_{k}")
        self.slider.setRange(-MAX_SIGMA * SLIDER_STEPS, MAX_SIGMA * SLIDER_STEPS)
        self.slider.setMinimumWidth(120)
        self.value = QLabel("+0.0σ")
        self.value.setMinimumWidth(self.value.fontMetrics().horizontalAdvance("−0.0σ+") + 4)
        self.layers = QComboBox()
        self.layers.setObjectName(f"wspace_direction_layers_{k}")
        for label, names in RANGE_CHOICES:
            self.layers.addItem(f"{label} ({range_label(names, ranges)})", names)
        self.layers.setToolTip("The style layers this edit applies to (ws indices): "
                               "coarse 4–8 px, middle 16 px, fine 32 px")
        self._ranges = ranges

    @property
    def amount(self) -> float:
        """Return the slider's value in σ."""
        return self.slider.value() / SLIDER_STEPS

    def layer_indices(self) -> list[int]:
        """Return the ws indices the edit applies to."""
        names = self.layers.currentData() or ()
        return sorted({i for n in names for i in self._ranges.get(n, ())})


class DirectionsTab(QWidget):
    """Sliders for the top-k directions, applied to the chosen source (GUI thread).

    `edit_requested()` is emitted (debounced by the panel's latest-wins channel) whenever
    an amount or a range changes; `edits()` says what to apply.
    """

    def __init__(self, runner: Runner, request_edit: Any, request_sweep: Any,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._request_edit = request_edit
        self._request_sweep = request_sweep
        self.active = 0  # the direction last moved: the sweep shows it
        self.sweep_images: np.ndarray | None = None
        self.directions: Any = None
        self.rows: list[DirectionRow] = []
        self._ranges: dict[str, range] = {}
        self.count = QSpinBox()
        self.count.setObjectName("wspace_direction_count")
        self.count.setRange(1, 16)
        self.count.setValue(8)
        self.count.setToolTip(f"How many principal components of {PCA_SAMPLES:,} sampled w "
                              "to offer")
        self.count.valueChanged.connect(lambda _v: self.compute())
        self.reset_button = QPushButton("Reset")
        self.reset_button.setObjectName("wspace_direction_reset")
        self.reset_button.setToolTip("Every slider back to 0")
        self.reset_button.clicked.connect(self.reset_amounts)
        self.images = FrameStrip("Source A, then edited", min_side=56, max_side=168)
        self.images.setObjectName("wspace_edit_images")
        self.images.placeholder = "Open a StyleGAN to edit its samples."
        self.sweep = FrameStrip("", min_side=40, max_side=96)
        self.sweep.setObjectName("wspace_direction_sweep")
        self.status = QLabel()
        self.status.setWordWrap(True)
        style_text(self.status, "muted")

        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(6)
        holder = QWidget()
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_layout.addLayout(self.grid)
        holder_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)

        top = QHBoxLayout()
        top.addWidget(QLabel("Directions"))
        top.addWidget(self.count)
        top.addWidget(self.reset_button)
        top.addStretch(1)
        right = QVBoxLayout()
        right.addLayout(top)
        right.addWidget(scroll, 1)
        left = QVBoxLayout()
        left.addWidget(self.images, 3)
        left.addWidget(self.sweep)
        left.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(body, 1)
        layout.addWidget(self.status)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)  # coalesce a burst of slider moves into one request
        self._timer.timeout.connect(lambda: self._request_edit())

    # --- the directions ----------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the directions, their rows and the images."""
        self.directions = None
        self._remove_rows()
        self.images.set_frames(None)
        self.sweep.title = ""
        self.sweep_images = None
        self.sweep.set_frames(None)
        self.status.setText("")

    def compute(self) -> None:
        """Compute the directions of the model shown (PCA of sampled w) as a job."""
        k = self.count.value()
        if self.runner.submit(LANE, PCA_CHANNEL, lambda m, c: pca_work(m, c, k, PCA_SAMPLES),
                              self.show_directions) is not None:
            self.status.setText(f"PCA of {PCA_SAMPLES:,} sampled w…")

    def show_directions(self, found: DirectionSet) -> None:
        """Offer one row per direction, then draw the source. Newer weights of the same
        size keep each row's amount and layer range (the components are those of the new
        weights: PCA's order and signs can change between epochs)."""
        kept = [(r.slider.value(), r.layers.currentIndex()) for r in self.rows]
        self._remove_rows()
        self.directions = directions = found.directions
        self._ranges = dict(found.ranges)
        ratios = directions.explained_variance_ratio.numpy()
        for k, ratio in enumerate(ratios):
            row = DirectionRow(k, float(ratio), self._ranges)
            if len(kept) == len(ratios):
                row.slider.setValue(kept[k][0])
                row.layers.setCurrentIndex(kept[k][1])
                self._show_amount(row)
            row.slider.valueChanged.connect(lambda _v, r=row: self._on_amount(r))
            row.layers.currentIndexChanged.connect(lambda _i, r=row: self._on_layers(r))
            for col, widget in enumerate((row.name, row.slider, row.value, row.layers)):
                self.grid.addWidget(widget, k, col)
            self.rows.append(row)
        self.grid.setColumnStretch(1, 1)
        self.status.setText(
            f"PCA of {directions.samples:,} sampled w: the top {len(ratios)} components "
            f"hold {float(np.sum(ratios)):.1%} of w's variance. Sliders move w by a·σ_k·v_k "
            f"(σ_k: w's standard deviation along v_k) in the chosen layers only.")
        self.active = min(self.active, len(self.rows) - 1)
        self._timer.start()
        self.request_sweep()

    def _remove_rows(self) -> None:
        for row in self.rows:
            for widget in (row.name, row.slider, row.value, row.layers):
                self.grid.removeWidget(widget)
                widget.deleteLater()
        self.rows = []

    def _on_amount(self, row: DirectionRow) -> None:
        self._show_amount(row)
        self._timer.start()
        self._activate(row)

    def _on_layers(self, row: DirectionRow) -> None:
        self._timer.start()
        self.active = -1  # its range changed: sweep it again
        self._activate(row)

    def _activate(self, row: DirectionRow) -> None:
        index = self.rows.index(row)
        if index != self.active:
            self.active = index
            self.request_sweep()

    def request_sweep(self) -> None:
        """Draw the active direction alone from −3σ to +3σ in its layers (a job)."""
        if self.directions is None or not 0 <= self.active < len(self.rows):
            return
        row = self.rows[self.active]
        self.sweep.title = (f"{row.name.text().split(' ')[0]} alone in "
                            f"{row.layers.currentText()}: −3σ … +3σ")
        self._request_sweep(self.active, row.layer_indices())

    def show_sweep(self, images: np.ndarray) -> None:
        """Show the active direction's sweep (uint8 N×H×W×C)."""
        self.sweep_images = images
        self.sweep.set_frames(images, [f"{a:+.0f}σ".replace("-", "−") for a in SWEEP_SIGMAS])

    @staticmethod
    def _show_amount(row: DirectionRow) -> None:
        a = row.amount
        row.value.setText(f"{'+' if a >= 0 else '−'}{abs(a):.1f}σ")

    def reset_amounts(self) -> None:
        """Put every slider back to 0 (one edit request)."""
        for row in self.rows:
            row.slider.blockSignals(True)
            row.slider.setValue(0)
            row.slider.blockSignals(False)
            row.value.setText("+0.0σ")
        self._timer.start()

    def edits(self) -> list[tuple[float, list[int]]]:
        """Return (amount in σ, ws indices) per direction."""
        return [(row.amount, row.layer_indices()) for row in self.rows]

    def show_images(self, images: np.ndarray, source_name: str) -> None:
        """Show the source and its edit (uint8 2×H×W×C)."""
        self.images.title = f"{source_name}, then edited"
        self.images.set_frames(images, ["original", "edited"])
